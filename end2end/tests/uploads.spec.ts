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

test("send a list of recipients: now, following the job's progress; later, then cancelled", async ({ page }, testInfo) => {
  const service = jsEnabled(testInfo) ? "Example trial service" : "Example live service";
  const suffix = `${jsEnabled(testInfo) ? "js" : "nojs"}-${Date.now()}`;
  await signIn(page, ADMIN, testInfo);
  await page.getByRole("link", { name: service }).click();
  await expect(page.getByRole("heading", { level: 1, name: /Dashboard/ })).toBeVisible();
  const dashboard = page.url();
  await page.getByRole("link", { name: "Templates" }).click();
  await expect(page).toHaveURL(/\/templates$/);
  const templates = page.url();
  const upload = async (name: string) => {
    await page.goto(templates);
    const emailRow = page.getByRole("row").filter({ hasText: "Email template" }).first();
    await emailRow.getByRole("link", { name: /^Upload a list of recipients/ }).click();
    const columns = await page.locator("main ul.govuk-list--bullet code").allTextContents();
    const row = [ADMIN, ...columns.slice(1).map(() => "Ada Lovelace")].join(",");
    await page.getByLabel("Upload a file").setInputFiles({
      name, mimeType: "text/csv", buffer: Buffer.from([columns.join(","), row].join("\n")),
    });
    await page.getByRole("button", { name: "Upload your file" }).click();
    await expect(page.getByText(`‘${name}’ has 1 email address with no problems.`)).toBeVisible();
  };

  // Now: the job's page shows it sent, and the dashboard lists it.
  await upload(`now-${suffix}.csv`);
  await expect(page.getByLabel("When should these messages be sent?")).toHaveValue("");
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("button", { name: "Send 1 email" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `now-${suffix}.csv` })).toBeVisible();
  await expect(page.getByText(/^Sent by Demo Admin on /)).toBeVisible();
  const done = page.getByText("1 of 1 messages delivered or failed (100%)");
  if (jsEnabled(testInfo)) {
    // The page keeps itself current.
    await expect(done).toBeVisible({ timeout: 15_000 });
  } else {
    for (let i = 0; i < 30 && !(await done.isVisible()); i++) {
      await page.waitForTimeout(300);
      await page.getByRole("link", { name: "Refresh" }).click();
    }
    await expect(done).toBeVisible();
  }
  await expect(page.locator("#job-status")).toHaveText("Finished");
  await expect(page.getByRole("table")).toContainText(ADMIN);
  await expectNoAxeViolations(page, testInfo);
  await page.goto(dashboard);
  await expect(page.getByRole("table", { name: "Files sent" })).toContainText(`now-${suffix}.csv`);
  await expectNoAxeViolations(page, testInfo);

  // Later: scheduled, then cancelled before its time.
  await upload(`later-${suffix}.csv`);
  const when = page.getByLabel("When should these messages be sent?");
  const label = (await when.locator("option").nth(3).textContent())!.trim();
  await when.selectOption({ label });
  await page.getByRole("button", { name: "Send 1 email" }).click();
  await expect(page.locator("#job-status")).toContainText("Scheduled for");
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("button", { name: "Cancel sending" }).click();
  await expect(page.getByText(`Sending ‘later-${suffix}.csv’ cancelled`)).toBeVisible();
  await expect(page.locator("#job-status")).toHaveText("Cancelled");
  await expect(page.getByRole("button", { name: "Cancel sending" })).toHaveCount(0);
  await expectNoAxeViolations(page, testInfo);
});

test("send one message: what to enter, then sent and shown", async ({ page }, testInfo) => {
  const service = jsEnabled(testInfo) ? "Example trial service" : "Example live service";
  await signIn(page, ADMIN, testInfo);
  await page.getByRole("link", { name: service }).click();
  await page.getByRole("link", { name: "Templates" }).click();
  const emailRow = page.getByRole("row").filter({ hasText: "Email template" }).first();
  await emailRow.getByRole("link", { name: /^Send one message/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: /^Send ‘/ })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await markDocument(page, testInfo);

  // Nothing typed: each field says what it needs, linked from the summary.
  await page.getByRole("button", { name: "Send 1 email" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "Enter an email address" }))
    .toHaveAttribute("href", "#recipient");
  await expectNoAxeViolations(page, testInfo);
  await expectNoFullReload(page, testInfo);

  // Filled in: sent, and the message's page shown.
  await page.getByLabel("Email address").fill(ADMIN);
  const inputs = page.locator("main input.govuk-input:not(#recipient)");
  for (let i = 0; i < (await inputs.count()); i++) await inputs.nth(i).fill("Ada Lovelace");
  await page.getByRole("button", { name: "Send 1 email" }).click();
  await expect(page.getByText(ADMIN).first()).toBeVisible();
  await expect(page).toHaveURL(/\/notification\//);
  await expectNoAxeViolations(page, testInfo);
});
