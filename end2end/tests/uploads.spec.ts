import { test, expect } from "@playwright/test";
import { ADMIN, expectNoAxeViolations, expectNoFullReload, jsEnabled, markDocument, signIn } from "./helpers";

test("upload a list of recipients: a file with problems is checked row by row, a good one previewed", async ({ page }, testInfo) => {
  const service = jsEnabled(testInfo) ? "Example trial service" : "Example live service";
  await signIn(page, ADMIN, testInfo);
  await page.getByRole("link", { name: service }).click();
  await page.getByRole("link", { name: "Templates" }).click();
  const emailRow = page.getByRole("row").filter({ hasText: "Email template" }).first();
  await emailRow.getByRole("link", { name: /^Upload a list of recipients/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Upload a list of email addresses" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  const columns = await page.locator("main ul.govuk-list--bullet code").allTextContents();
  expect(columns[0]).toBe("email address");
  const row = (email: string, value: string) => [email, ...columns.slice(1).map(() => value)].join(",");

  // No file: Notify's message, linked to the field.
  await page.getByRole("button", { name: "Upload your file" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "You need to choose a file to upload" }))
    .toHaveAttribute("href", "#file");
  await expectNoAxeViolations(page, testInfo);

  // Problems: a bad address and missing data, shown by row.
  const bad = [columns.join(","), row(ADMIN, "Ada"), row("not an address", "Bob"), row(ADMIN, "")].join("\n");
  await page.getByLabel("Upload a file").setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await page.getByRole("button", { name: "Upload your file" }).click();
  await expect(page.getByText("There are some problems with people.csv")).toBeVisible();
  if (columns.length > 1) {
    await expect(page.getByText("You need to fix 1 email address and enter missing data in 1 row.")).toBeVisible();
  }
  await expect(page.getByRole("table")).toContainText("email address: Not a valid email address");
  await expectNoAxeViolations(page, testInfo);

  // A good file: its first message, filled in.
  await page.getByRole("link", { name: "Upload a different file" }).click();
  const good = [columns.join(","), row(ADMIN, "Ada Lovelace")].join("\r\n");
  await page.getByLabel("Upload a file").setInputFiles({ name: "good.csv", mimeType: "text/csv", buffer: Buffer.from(good) });
  await page.getByRole("button", { name: "Upload your file" }).click();
  await expect(page.getByRole("heading", { level: 1, name: /^Preview of / })).toBeVisible();
  await expect(page.getByText("‘good.csv’ has 1 email address with no problems.")).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await expectNoFullReload(page, testInfo);
  await markDocument(page, testInfo);
});
