import { test, expect } from "@playwright/test";
import {
  cli,
  expectNoAxeViolations,
  expectNoFullReload,
  markDocument,
  outbox,
  rememberSecret,
  securityCode,
  signIn,
} from "./helpers";

/** A mobile number in Ofcom's drama range (07700 900000–900999), per project and run. */
function mobile(testInfo: { project: { name: string } }): string {
  const n = (testInfo.project.name === "js-on" ? 0 : 500) + (Date.now() % 500);
  return `07700900${String(n).padStart(3, "0")}`;
}

test("a second factor: the code from the email, then text messages chosen on Your account and their code", async ({ page }, testInfo) => {
  const email = `two-factor-${testInfo.project.name}-${Date.now()}@example.gov.uk`;
  const number = mobile(testInfo);
  const password = `a two-factor password ${testInfo.project.name}`;
  rememberSecret(password);
  cli(["create-user", "--name", "Tess Two-Factor", "--email", email, "--mobile", number], `${password}\n`);

  // The password, then the code the email carries.
  await signIn(page, email, testInfo, password);
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  const first = await outbox(email);
  expect(first).toContain("Subject: Sign in to Notify API");
  const code = securityCode(first);
  const wrong = code === "00000" ? "00001" : "00000";
  await page.getByLabel("Security code").fill(wrong);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "Code not found" })).toHaveAttribute("href", "#code");
  await expect(page.getByLabel("Security code")).toHaveValue(wrong);
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Security code").fill(code);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
  await expectNoFullReload(page, testInfo);

  // Your account: text messages instead, and a new name.
  await page.getByRole("link", { name: "Your account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  await expect(page.locator(".govuk-summary-list")).toContainText("Email link or code");
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("link", { name: "Change sign-in method" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Change your sign-in method" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Text message code").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".govuk-summary-list")).toContainText("Text message code");
  await page.getByRole("link", { name: "Change name" }).click();
  await page.getByLabel("Your name").fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "Enter your full name" })).toHaveAttribute("href", "#name");
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Your name").fill("Tess Renamed");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Your name has been changed")).toBeVisible();
  await expect(page.locator(".govuk-summary-list")).toContainText("Tess Renamed");
  await expectNoFullReload(page, testInfo);

  // Signed out, the next sign-in asks for the text message's code.
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, email, testInfo, password);
  await expect(page.getByRole("heading", { level: 1, name: "Check your phone" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  const text = await outbox(number);
  expect(text).toContain("is your Notify API security code");
  await page.getByLabel("Text message code").fill(securityCode(text));
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
});

test("Your account: a new email address by its link, a new mobile number by its code, and a new password", async ({ page }, testInfo) => {
  const email = `changing-${testInfo.project.name}-${Date.now()}@example.gov.uk`;
  const newEmail = `changed-${testInfo.project.name}-${Date.now()}@example.gov.uk`;
  const password = `a changing password ${testInfo.project.name}`;
  rememberSecret(password);
  cli(["create-user", "--name", "Cass Changer", "--email", email, "--password-only"], `${password}\n`);
  await signIn(page, email, testInfo, password);
  await page.getByRole("link", { name: "Your account" }).click();
  await markDocument(page, testInfo);

  // Email: the password is asked for; the link goes to the new address.
  await page.getByRole("link", { name: "Change email address" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Change your email address" })).toBeVisible();
  await page.getByLabel("New email address").fill(newEmail);
  await page.getByLabel("Your password").fill("not my password");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "Your password is incorrect" }))
    .toHaveAttribute("href", "#password");
  await expect(page.getByLabel("New email address")).toHaveValue(newEmail);
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Your password").fill(password);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await expectNoFullReload(page, testInfo);
  const mail = await outbox(newEmail);
  expect(mail).toContain("Subject: Confirm your new email address");
  await page.goto(mail.match(/https?:\/\/\S+\/user-profile\/email\/confirm\/[0-9a-f]{64}/)![0]);
  await expect(page.getByText(`Your email address is now ${newEmail}`)).toBeVisible();
  await markDocument(page, testInfo);

  // Mobile: a code to the new number.
  const number = mobile(testInfo);
  await page.getByRole("link", { name: "Change mobile number" }).click();
  await page.getByLabel("New mobile number").fill(number);
  await page.getByLabel("Your password").fill(password);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Enter your text message code" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Text message code").fill(securityCode(await outbox(number)));
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Your mobile number has been changed")).toBeVisible();

  // Password: the current one, then the new one signs in.
  const newPassword = `a changed password ${testInfo.project.name}`;
  rememberSecret(newPassword);
  await page.getByRole("link", { name: "Change password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Change your password" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Current password").fill(password);
  await page.getByLabel("New password").fill(newPassword);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Your password has been changed")).toBeVisible();
  await expectNoFullReload(page, testInfo);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, newEmail, testInfo, newPassword);
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
});
