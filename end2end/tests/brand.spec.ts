import { test, expect, type Page } from "@playwright/test";
import { ADMIN, PASSWORD, expectNoAxeViolations } from "./helpers";

// The suite's server shows the neutral brand (the default); a second one,
// on the next port, GOV.UK's (NOTIFY_BRAND=govuk).
const govuk = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3100) + 1}`;

/// Every URL the page asks for while `visit` runs.
async function requestsDuring(page: Page, visit: () => Promise<void>): Promise<string[]> {
  const urls: string[] = [];
  page.on("request", (r) => urls.push(r.url()));
  await visit();
  await page.waitForLoadState("load");
  return urls;
}

async function signInAt(page: Page, base: string) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email address").fill(ADMIN);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
}

test("the neutral brand shows the product's name, no crown, no logotype, no GDS Transport", async ({ page }, testInfo) => {
  const urls = await requestsDuring(page, async () => {
    await page.goto("/sign-in");
  });
  await expect(page).toHaveTitle("Sign in – Notify API");
  await expect(page.locator(".govuk-header")).toHaveText("Notify API");
  await expect(page.locator(".govuk-header svg")).toHaveCount(0);
  await expect(page.locator(".govuk-footer svg")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText("Crown copyright");
  await expect(page.locator("body")).not.toContainText("GOV.UK");
  expect(urls.filter((u) => u.includes("/assets/fonts/") || u.includes("govuk-crest") || u.endsWith("favicon.ico"))).toEqual([]);
  const fonts = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  expect(fonts).not.toContain("GDS Transport");
  await expectNoAxeViolations(page, testInfo);
  const css = await (await page.request.get("/css/govuk-frontend-neutral.min.css")).text();
  expect(css.length).toBeGreaterThan(100_000);
  expect(css).not.toContain("GDS Transport");
  expect(css).not.toContain("govuk-crest");
  await signInAt(page, "");
  await expect(page.locator(".govuk-footer")).toContainText("Notify API");
  await expectNoAxeViolations(page, testInfo);
});

test("GOV.UK's brand shows the crown, the logotype, GDS Transport and the licence", async ({ page }, testInfo) => {
  const urls = await requestsDuring(page, async () => {
    await page.goto(`${govuk}/sign-in`);
  });
  await expect(page).toHaveTitle("Sign in – GOV.UK Notify");
  await expect(page.locator(".govuk-header svg")).toHaveCount(1);
  await expect(page.locator(".govuk-header")).toContainText("Notify");
  await expect(page.locator(".govuk-footer")).toContainText("Open Government Licence v3.0");
  await expect(page.locator(".govuk-footer")).toContainText("© Crown copyright");
  expect(urls.some((u) => u.includes("/assets/fonts/"))).toBe(true);
  await expectNoAxeViolations(page, testInfo);
  await signInAt(page, govuk);
  await expectNoAxeViolations(page, testInfo);
});
