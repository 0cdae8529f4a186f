import { expect, test } from "@playwright/test";
import { expectNoAxeViolations, expectNoFullReload, markDocument } from "./helpers";

const PAGES: Array<[string, string]> = [
  ["/documentation", "API documentation"],
  ["/documentation/rest-api", "REST API"],
  ["/documentation/clients", "Python and Node clients"],
  ["/documentation/bulk", "Sending a list of messages"],
  ["/documentation/callbacks", "Callbacks"],
  ["/documentation/api-keys", "API keys"],
  ["/documentation/statuses", "Message statuses"],
  ["/documentation/limits", "Limits"],
  ["/documentation/testing", "Testing"],
];

test("the documentation reads signed out, page to page, with no accessibility violation", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  for (const [path, heading] of PAGES) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    // The navigation between pages marks this one.
    const nav = page.getByRole("navigation", { name: "API documentation" });
    await expect(nav.locator('a[aria-current="page"]')).toHaveAttribute("href", path);
    await expectNoAxeViolations(page, testInfo);
  }
});

test("a developer finds how to send an email and the errors it can answer", async ({ page }, testInfo) => {
  await page.goto("/");
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "API documentation" }).click();
  await page.getByRole("navigation", { name: "API documentation" }).getByRole("link", { name: "REST API" }).click();
  await expect(page).toHaveURL(/\/documentation\/rest-api$/);
  // The page's contents lead to each group of endpoints.
  await page.getByRole("navigation", { name: "Contents of this page" }).getByRole("link", { name: "Send a message" }).click();
  await expect(page).toHaveURL(/#send-a-message$/);
  await expect(page.getByRole("heading", { name: "Send an email" })).toBeVisible();
  await expect(page.getByText("POST /v2/notifications/email")).toBeVisible();
  await expect(page.getByRole("cell", { name: /Template not found/ }).first()).toBeVisible();
  // With JavaScript, from the sign-in page to here without a reload, and the
  // fragment kept.
  await expectNoFullReload(page, testInfo);
  // The description for tools is one link away.
  const description = await page.request.get("/documentation/openapi.json");
  expect(description.ok()).toBe(true);
  expect((await description.json()).openapi).toBe("3.1.0");
});
