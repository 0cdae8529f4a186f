import { test, expect } from "@playwright/test";
import {
  ADMIN, OUTSIDER, VIEWER, expectNoAxeViolations, expectNoFullReload, markDocument, signIn,
} from "./helpers";

test("sign in with mistakes, see the services, open a dashboard, sign out", async ({ page }, testInfo) => {
  await page.goto("/sign-in");
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await markDocument(page, testInfo);

  // Nothing typed: an error for each field, linked from the summary.
  await page.getByRole("button", { name: "Continue" }).click();
  const summary = page.locator(".govuk-error-summary");
  await expect(summary).toContainText("There is a problem");
  await expect(summary.getByRole("link", { name: "Enter your email address" })).toHaveAttribute("href", "#email_address");
  await expect(summary.getByRole("link", { name: "Enter your password" })).toBeVisible();
  await expect(page).toHaveTitle("Error: Sign in – Notify API");
  await expectNoAxeViolations(page, testInfo);

  // A wrong password: the address is kept, the password is not.
  await page.getByLabel("Email address").fill(ADMIN);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(summary).toContainText("The email address or password you entered is incorrect");
  await expect(page.getByLabel("Email address")).toHaveValue(ADMIN);
  await expect(page.getByLabel("Password")).toHaveValue("");
  await expectNoAxeViolations(page, testInfo);

  await page.getByLabel("Password").fill("notify-demo-password");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
  await expect(page).toHaveURL(/\/your-services$/);
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("link", { name: "Example trial service" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Dashboard");
  await expect(page.locator("main")).toContainText("Trial mode");
  await expect(page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "API integration" })).toBeVisible();
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  await expectNoFullReload(page, testInfo);

  // The session is over: an admin page sends us back to sign in.
  await page.goto("/your-services");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fyour-services$/);
});

test("signing in from a deep link comes back to it", async ({ page }, testInfo) => {
  await page.goto("/your-services");
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await markDocument(page, testInfo);
  await page.getByLabel("Email address").fill(VIEWER);
  await page.getByLabel("Password").fill("notify-demo-password");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
  await expectNoFullReload(page, testInfo);

  await page.getByRole("link", { name: "Example live service" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Dashboard");
  // A viewer has no API integration item.
  await expect(page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "API integration" })).toHaveCount(0);
});

test("an outsider sees no services and gets Page not found for a service", async ({ page }, testInfo) => {
  await signIn(page, OUTSIDER, testInfo);
  await expect(page.getByText("You are not a team member of any services yet.")).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  // Learn a real service id as the admin, in another context.
  const admin = await page.context().browser()!.newContext();
  const adminPage = await admin.newPage();
  await adminPage.goto(`${testInfo.project.use.baseURL}/sign-in`);
  await adminPage.getByLabel("Email address").fill(ADMIN);
  await adminPage.getByLabel("Password").fill("notify-demo-password");
  await adminPage.getByRole("button", { name: "Continue" }).click();
  const href = await adminPage.getByRole("link", { name: "Example live service" }).getAttribute("href");
  await admin.close();

  const response = await page.goto(href!);
  expect(response!.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
  await expect(page.locator("body")).not.toContainText("Example live service");
  await expectNoAxeViolations(page, testInfo);
});

test("report a leaked key: the page, its error, and the same thanks whatever was sent", async ({ page }, testInfo) => {
  await page.goto("/report-a-leaked-key");
  await expect(page.getByRole("heading", { level: 1, name: "Report a leaked API key" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("button", { name: "Report" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "Paste what you found" })).toHaveAttribute("href", "#text");
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("What you found").fill("no key in here");
  await page.getByLabel("Where you found it (optional)").fill("https://example.com/paste");
  await page.getByRole("button", { name: "Report" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Thank you for your report" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
});
