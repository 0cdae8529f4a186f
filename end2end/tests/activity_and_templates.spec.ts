import { test, expect, type Page } from "@playwright/test";
import { ADMIN, rememberSecret, expectNoAxeViolations, expectNoFullReload, jsEnabled, markDocument, signIn } from "./helpers";

async function openService(page: Page, testInfo: any) {
  await signIn(page, ADMIN, testInfo);
  await page.getByRole("link", { name: "Example live service" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Dashboard");
}

test("messages sent through the API appear in the message log and open as pages", async ({ page }, testInfo) => {
  await openService(page, testInfo);
  const services = page.url();
  // Make a test key in the admin, then use it as a developer would.
  await page.goto(`${services}/api/keys/create`);
  const name = `Log key ${testInfo.project.name}`;
  await page.getByLabel("Name for this key").fill(name);
  await page.getByLabel("Test – pretends to send messages").check();
  await page.getByRole("button", { name: "Continue" }).click();
  const key = (await page.locator("#api-key").textContent())!.trim();
  rememberSecret(key.slice(-36));

  const auth = { Authorization: `ApiKey-v1 ${key}` };
  const templates = await (await page.request.get("/v2/templates?type=email", { headers: auth })).json();
  const recipient = `log-${testInfo.project.name}@example.com`;
  const sent = await page.request.post("/v2/notifications/email", {
    headers: auth,
    data: { email_address: recipient, template_id: templates.templates[0].id, personalisation: { name: "Ada" }, reference: "e2e-ref" },
  });
  expect(sent.status()).toBe(201);
  const { id } = await sent.json();

  await page.goto(`${services}/api`);
  await markDocument(page, testInfo);
  const item = page.locator(".api-notifications-item").filter({ hasText: recipient });
  await expect(item).toContainText(name);
  await expect(item.locator("time")).toHaveText(/just now|in the last minute/);
  await expectNoAxeViolations(page, testInfo);

  await item.locator("summary").click();
  await expect(item.locator(`#notification-${id}`)).toContainText(id);
  await expect(item).toContainText("client_reference:");
  await expect(item).toContainText("e2e-ref");
  await item.getByRole("link", { name: "View email" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Email to ${recipient}` })).toBeVisible();
  await expect(page.locator("main")).toContainText("Your appointment, Ada");
  await expect(page.locator("main")).toContainText(`API key ‘${name}’`);
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("letters sent through the API open as pages with their PDF; a refused file says why", async ({ page }, testInfo) => {
  await openService(page, testInfo);
  const services = page.url();
  await page.goto(`${services}/api/keys/create`);
  const name = `Letter key ${testInfo.project.name}`;
  await page.getByLabel("Name for this key").fill(name);
  await page.getByLabel("Test – pretends to send messages").check();
  await page.getByRole("button", { name: "Continue" }).click();
  const key = (await page.locator("#api-key").textContent())!.trim();
  rememberSecret(key.slice(-36));
  const auth = { Authorization: `ApiKey-v1 ${key}` };
  const templates = await (await page.request.get("/v2/templates?type=letter", { headers: auth })).json();
  const person = `Ada ${testInfo.project.name}`;
  const sent = await page.request.post("/v2/notifications/letter", {
    headers: auth,
    data: {
      template_id: templates.templates[0].id,
      personalisation: { name: "Ada", address_line_1: person, address_line_2: "1 Street", postcode: "SW1A 1AA" },
    },
  });
  expect(sent.status()).toBe(201);
  const { id } = await sent.json();

  await page.goto(`${services}/notification/${id}`);
  await markDocument(page, testInfo);
  await expect(page.getByRole("heading", { level: 1, name: `Letter to ${person}` })).toBeVisible();
  await expect(page.locator("main")).toContainText(`${person}, 1 Street, SW1A 1AA`);
  const link = page.getByRole("link", { name: "Download this letter as a PDF" });
  const pdf = await page.request.get((await link.getAttribute("href"))!);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()["content-type"]).toBe("application/pdf");
  expect((await pdf.body()).subarray(0, 5).toString()).toBe("%PDF-");
  await expectNoAxeViolations(page, testInfo);

  // The same file sent back as a precompiled letter, and a file that is not a PDF.
  const precompiled = await page.request.post("/v2/notifications/letter", {
    headers: auth,
    data: { reference: "e2e-pdf", content: (await pdf.body()).toString("base64") },
  });
  expect(precompiled.status()).toBe(201);
  const refused = await page.request.post("/v2/notifications/letter", {
    headers: auth,
    data: { reference: "e2e-not-a-pdf", content: Buffer.from("not a pdf").toString("base64") },
  });
  expect(refused.status()).toBe(201);
  const precompiledPage = `${services}/notification/${(await precompiled.json()).id}`;
  await expect(async () => {
    await page.goto(precompiledPage);
    await expect(page.locator("main")).toContainText("Sent as a PDF file (1 page).", { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.getByRole("link", { name: "Download this letter as a PDF" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  const refusedPage = `${services}/notification/${(await refused.json()).id}`;
  await expect(async () => {
    await page.goto(refusedPage);
    await expect(page.locator("main")).toContainText("Validation failed", { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.locator(".govuk-warning-text")).toContainText("There’s a problem with your file. Notify cannot read this PDF.");
  await expectNoAxeViolations(page, testInfo);
});

test("the open message log shows new messages by itself (with JavaScript) or after Refresh (without)", async ({ page }, testInfo) => {
  await openService(page, testInfo);
  const services = page.url();
  await page.goto(`${services}/api/keys/create`);
  await page.getByLabel("Name for this key").fill(`Live log ${testInfo.project.name}`);
  await page.getByLabel("Test – pretends to send messages").check();
  await page.getByRole("button", { name: "Continue" }).click();
  const key = (await page.locator("#api-key").textContent())!.trim();
  rememberSecret(key.slice(-36));
  const auth = { Authorization: `ApiKey-v1 ${key}` };
  const templates = await (await page.request.get("/v2/templates?type=email", { headers: auth })).json();

  await page.goto(`${services}/api`);
  await markDocument(page, testInfo);
  const recipient = `live-${testInfo.project.name}@example.com`;
  await expect(page.locator(".api-notifications")).not.toContainText(recipient);
  const sent = await page.request.post("/v2/notifications/email", {
    headers: auth,
    data: { email_address: recipient, template_id: templates.templates[0].id, personalisation: { name: "Ada" } },
  });
  expect(sent.status()).toBe(201);
  const item = page.locator(".api-notifications-item").filter({ hasText: recipient });
  if (jsEnabled(testInfo)) {
    // The island polls every 5 seconds; no reload, no click.
    await expect(item).toBeVisible({ timeout: 15_000 });
    await item.locator("summary").click();
    await expect(item).toContainText("status:");
    await expect(item).toContainText("delivered", { timeout: 15_000 });
  } else {
    await expect(item).toHaveCount(0);
    await page.getByRole("link", { name: "Refresh" }).click();
    await expect(item).toBeVisible();
  }
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("create a template, fixing mistakes, then edit it into a new version", async ({ page }, testInfo) => {
  await openService(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Templates" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Templates" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "New template" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New template" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Email", { exact: true }).check();
  await page.getByRole("button", { name: "Save" }).click();
  const summary = page.locator(".govuk-error-summary");
  await expect(summary).toContainText("Enter a name for this template");
  await expect(summary).toContainText("Enter a subject line");
  await expect(summary).toContainText("Enter the message");
  await expectNoAxeViolations(page, testInfo);

  const name = `Welcome ${testInfo.project.name}`;
  await page.getByLabel("Template name").fill(name);
  await page.getByLabel("Subject line (email and letter templates)").fill("Welcome, ((name))");
  await page.getByLabel("Message", { exact: true }).fill("Hello ((name)), welcome.");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(`‘${name}’ was saved`)).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Email template");
  await expect(row).toContainText("1");

  await row.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Edit template" })).toBeVisible();
  await page.getByLabel("Message", { exact: true }).fill("Hello ((name)), welcome back.");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("row").filter({ hasText: name }).locator("td").last()).toHaveText("2");
  await expectNoFullReload(page, testInfo);
});

test("a letter template chooses its sender address, or none", async ({ page }, testInfo) => {
  await openService(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Templates" }).click();
  await page.getByRole("button", { name: "New template" }).click();
  const name = `Reminder letter ${testInfo.project.name}`;
  await page.getByLabel("Letter", { exact: true }).check();
  await page.getByLabel("Template name").fill(name);
  await page.getByLabel("Subject line (email and letter templates)").fill("Your appointment");
  await page.getByLabel("Message", { exact: true }).fill("Dear ((name)),\n\nPlease come.");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("row").filter({ hasText: name }).getByRole("link", { name, exact: true }).click();

  // Made without one: no sender address.
  const sender = page.locator(".govuk-summary-list__row").filter({ hasText: "Sender address" });
  await expect(sender.locator(".govuk-summary-list__value")).toHaveText("Blank");
  await expectNoAxeViolations(page, testInfo);
  await sender.getByRole("link", { name: "Change sender address" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sender address" })).toBeVisible();
  await expect(page.getByLabel("Blank")).toBeChecked();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Appointments team, Example live service, 10 Whitehall, London, SW1A 2AA").check();
  await page.getByRole("button", { name: "Save" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Edit template" })).toBeVisible();
  await expect(page.getByText(`‘${name}’ was saved`)).toBeVisible();
  await expect(sender.locator(".govuk-summary-list__value")).toContainText("Appointments team");
  await expect(sender.locator(".govuk-summary-list__value")).toContainText("SW1A 2AA");
  await expect(page.getByText("Letter template, version 2")).toBeVisible();

  // And back to none.
  await sender.getByRole("link", { name: "Change sender address" }).click();
  await page.getByLabel("Blank").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(sender.locator(".govuk-summary-list__value")).toHaveText("Blank");
  await expect(page.getByText("Letter template, version 3")).toBeVisible();
  await expectNoFullReload(page, testInfo);
});
