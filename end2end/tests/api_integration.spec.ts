import { test, expect, type Page, type TestInfo } from "@playwright/test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ADMIN, rememberSecret, expectNoAxeViolations, expectNoFullReload, jsEnabled, markDocument, signIn } from "./helpers";

/** Signs in as the admin and opens the live service's API integration hub. */
async function openHub(page: Page, testInfo: any, service = "Example live service") {
  await signIn(page, ADMIN, testInfo);
  await page.getByRole("link", { name: service }).click();
  await page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "API integration" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API integration" })).toBeVisible();
}

test("create, see once, copy and revoke an API key", async ({ page, context }, testInfo) => {
  await openHub(page, testInfo);
  await expect(page.getByRole("heading", { level: 2, name: "Message log" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await markDocument(page, testInfo);

  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API keys" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "Create an API key" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Create an API key" })).toBeVisible();
  await expect(page.getByText("Cannot be used to send letters")).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  // Mistakes first: both errors, linked from the summary.
  await page.getByRole("button", { name: "Continue" }).click();
  const summary = page.locator(".govuk-error-summary");
  await expect(summary.getByRole("link", { name: "Enter a name for this API key" })).toHaveAttribute("href", "#key_name");
  await expect(summary.getByRole("link", { name: "Select a type of API key" })).toHaveAttribute("href", "#key_type");
  await expectNoAxeViolations(page, testInfo);

  const name = `Journey key ${testInfo.project.name}`;
  await page.getByLabel("Name for this key").fill(name);
  await page.getByLabel("Test – pretends to send messages").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New API key" })).toBeVisible();
  const key = (await page.locator("#api-key").textContent())!.trim();
  rememberSecret(key.slice(-36));
  expect(key).toMatch(/^journey_key_js(on|off)-[0-9a-f-]{36}-[0-9A-Za-z]{36}$/);
  expect(page.url()).not.toContain(key.slice(-36));
  await expectNoAxeViolations(page, testInfo);

  if (jsEnabled(testInfo)) {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Copy API key to clipboard" }).click();
    await expect(page.getByText("API key copied to clipboard")).toBeAttached();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  } else {
    await expect(page.getByRole("button", { name: "Copy API key to clipboard" })).toHaveCount(0);
  }

  await page.getByRole("link", { name: "Back to API keys" }).click();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Test – pretends to send messages");
  await expect(row).toContainText("Never used");
  await expect(page.locator("body")).not.toContainText(key.slice(-36));

  await row.getByRole("link", { name: `Revoke ${name}` }).click();
  const banner = page.getByRole("alert");
  await expect(banner).toContainText(`Are you sure you want to revoke ‘${name}’?`);
  await expect(banner).toContainText("You will not be able to use this API key to connect to Notify API.");
  await expectNoAxeViolations(page, testInfo);
  await banner.getByRole("button", { name: "Yes, revoke this API key" }).click();

  await expect(page.getByText(`‘${name}’ was revoked`)).toBeVisible();
  await expect(page).toHaveURL(/\/api\/keys$/);
  await expect(page.getByRole("row").filter({ hasText: name })).toContainText(/Revoked \d{1,2} \w+ at (\d{1,2}:\d\d[ap]m|midnight|midday)/);
  await expect(page.getByRole("link", { name: `Revoke ${name}` })).toHaveCount(0);
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("a key that expires: its expiry on the list and a warning on the hub", async ({ page }, testInfo) => {
  await openHub(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await page.getByRole("button", { name: "Create an API key" }).click();
  const name = `Expiring key ${testInfo.project.name}`;
  await page.getByLabel("Name for this key").fill(name);
  await page.getByLabel("Test – pretends to send messages").check();
  const lifetime = page.getByRole("group", { name: "When should this key stop working?" });
  await expect(lifetime.getByLabel("Never")).toBeChecked();
  await lifetime.getByLabel("In 30 days").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New API key" })).toBeVisible();

  await page.getByRole("link", { name: "Back to API keys" }).click();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText("Expires in 29 days");
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("link", { name: "Back", exact: true }).click();
  const warning = page.locator(".govuk-warning-text");
  await expect(warning).toContainText("1 API key expires within 30 days.");
  await expectNoAxeViolations(page, testInfo);

  // Revoked, it no longer expires: the warning goes.
  await warning.getByRole("link", { name: "Check your API keys" }).click();
  await page.getByRole("row").filter({ hasText: name }).getByRole("link", { name: `Revoke ${name}` }).click();
  await page.getByRole("button", { name: "Yes, revoke this API key" }).click();
  await expect(page.getByText(`‘${name}’ was revoked`)).toBeVisible();
  await page.getByRole("link", { name: "Back", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API integration" })).toBeVisible();
  await expect(page.locator(".govuk-warning-text")).toHaveCount(0);
  await expectNoFullReload(page, testInfo);
});

test("rotate a key in one step: a new key shown once, the old one replaced", async ({ page }, testInfo) => {
  await openHub(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await page.getByRole("button", { name: "Create an API key" }).click();
  const name = `Rotating key ${testInfo.project.name}`;
  await page.getByLabel("Name for this key").fill(name);
  await page.getByLabel("Test – pretends to send messages").check();
  await page.getByRole("button", { name: "Continue" }).click();
  const first = (await page.locator("#api-key").textContent())!.trim();
  rememberSecret(first.slice(-36));
  await page.getByRole("link", { name: "Back to API keys" }).click();

  await page.getByRole("link", { name: `Rotate ${name}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Rotate ‘${name}’` })).toBeVisible();
  const overlap = page.getByRole("group", { name: "How long should the current key keep working?" });
  await expect(overlap.getByLabel("24 hours")).toBeChecked();
  await expectNoAxeViolations(page, testInfo);
  await overlap.getByLabel("1 hour").check();
  await page.getByRole("button", { name: "Rotate this key" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "New API key" })).toBeVisible();
  const second = (await page.locator("#api-key").textContent())!.trim();
  rememberSecret(second.slice(-36));
  expect(second).not.toBe(first);
  expect(second.slice(0, 20)).toBe(first.slice(0, 20));
  await page.getByRole("link", { name: "Back to API keys" }).click();
  const rows = page.getByRole("row").filter({ hasText: name });
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "Replaced by a new key" })).toContainText(/Expires in (59|60) minutes|Expires in 1 hour/);
  await expect(page.getByRole("link", { name: `Rotate ${name}` })).toHaveCount(1);
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("a key's page: its usage charted, an alert on a spike, dismissed", async ({ page }, testInfo) => {
  // The trial service, so the live service's message log stays readable.
  await openHub(page, testInfo, "Example trial service");
  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await page.getByRole("button", { name: "Create an API key" }).click();
  const name = `Busy key ${testInfo.project.name}`;
  await page.getByLabel("Name for this key").fill(name);
  await page.getByLabel("Test – pretends to send messages").check();
  await page.getByRole("button", { name: "Continue" }).click();
  const key = (await page.locator("#api-key").textContent())!.trim();
  rememberSecret(key.slice(-36));
  await page.getByRole("link", { name: "Back to API keys" }).click();

  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page.locator(".govuk-summary-list")).toContainText("Never used");
  await expect(page.locator(".notify-flags")).toContainText("No expiry");
  await expect(page.getByRole("img", { name: /^Last 7 days: 0 messages sent/ })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  const keyPage = page.url();

  // 500 messages in a few seconds from a key that never sent: a spike.
  const auth = { Authorization: `ApiKey-v1 ${key}` };
  const templates = await (await page.request.get("/v2/templates?type=email", { headers: auth })).json();
  const template_id = templates.templates[0].id;
  for (let batch = 0; batch < 20; batch++) {
    const sends = Array.from({ length: 25 }, () =>
      page.request.post("/v2/notifications/email", {
        headers: auth,
        data: { email_address: "busy@example.com", template_id, personalisation: { name: "Ada" } },
      }),
    );
    for (const sent of await Promise.all(sends)) expect(sent.status()).toBe(201);
  }
  // Counts are written every 2 s and the alert rules run every 10 s.
  await expect(async () => {
    await page.goto(keyPage);
    await expect(page.getByRole("heading", { level: 2, name: "Alerts (1)" })).toBeVisible({ timeout: 1000 });
    // Test keys' messages are delivered by a background loop: wait for all 500.
    await expect(page.getByRole("img", { name: /^Last 7 days: 500 messages sent, 500 delivered, 0 failed/ }))
      .toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await markDocument(page, testInfo);
  await page.getByText("Last 7 days as a table").click();
  await expect(page.getByRole("table", { name: /^Last 7 days: 500 messages sent/ }).getByRole("row").nth(1)).toContainText("500");
  await expect(page.locator(".notify-alerts")).toContainText(`‘${name}’ sent 500 messages in the hour from`);
  await expectNoAxeViolations(page, testInfo);

  // The hub shows it too; dismissed from the key's page, it goes from both.
  await page.getByRole("button", { name: "Dismiss" }).click();
  await expect(page.getByText("Alert dismissed")).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "Alerts", exact: true })).toBeVisible();
  await expect(page.locator(".notify-alerts")).toContainText("Dismissed");
  await expect(page.getByRole("button", { name: "Dismiss" })).toHaveCount(0);
  await expect(page.getByRole("table").filter({ hasText: "Dismissed the alert" })).toBeVisible();
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("link", { name: "Back", exact: true }).click();
  await page.getByRole("link", { name: "Back", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "API integration" })).toBeVisible();
  await expect(page.getByText(`‘${name}’ sent 500 messages`)).toHaveCount(0);
});

/** The check of a new reply-to address: passed, said so, then back to the list. */
async function passReplyToCheck(page: Page, testInfo: TestInfo, address: string) {
  await expect(page.getByRole("heading", { level: 1, name: "Reply-to email address check" })).toBeVisible();
  const added = page.getByText(`We’ve added ‘${address}’ to your reply-to email addresses.`);
  // Still checking: the page says so and offers Refresh.
  for (let i = 0; i < 10 && !(await added.isVisible()); i++) {
    await expect(page.getByText(`We need to check that ‘${address}’ is a real email address.`)).toBeVisible();
    await page.getByRole("link", { name: "Refresh" }).click();
  }
  await expect(page.getByText("The check is complete.")).toBeVisible();
  await expect(added).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reply-to email addresses" })).toBeVisible();
}

test("reply-to email addresses: add two, choose the default, delete one", async ({ page }, testInfo) => {
  // Each run on its own service, so each starts with none.
  await openHub(page, testInfo, jsEnabled(testInfo) ? "Example trial service" : "Example live service");
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Reply-to email addresses" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reply-to email addresses" })).toBeVisible();
  // The trial service has none; the demo gives the live service one.
  const live = !jsEnabled(testInfo);
  if (live) {
    await expect(page.getByRole("heading", { level: 2, name: "appointments@example.gov.uk (default)" })).toBeVisible();
  } else {
    await expect(page.getByText("You have not added any reply-to email addresses yet")).toBeVisible();
  }
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "Add reply-to email address" }).click();
  if (!live) await expect(page.getByText("This will be your default reply-to address.")).toBeVisible();
  await page.getByLabel("Reply-to email address").fill("not an address");
  await page.getByRole("button", { name: "Add" }).click();
  const summary = page.locator(".govuk-error-summary");
  await expect(summary.getByRole("link", { name: "Enter an email address in the correct format, like name@example.gov.uk" }))
    .toHaveAttribute("href", "#email_address");
  await expect(page.getByLabel("Reply-to email address")).toHaveValue("not an address");
  await expectNoAxeViolations(page, testInfo);

  const first = `first-${testInfo.project.name}@example.gov.uk`;
  const second = `second-${testInfo.project.name}@example.gov.uk`;
  await page.getByLabel("Reply-to email address").fill(first);
  if (live) await page.getByLabel("Make this email address the default").check();
  await page.getByRole("button", { name: "Add" }).click();
  // A new address is checked first: an email goes to it, and once it is
  // delivered (here to the built-in outbox) the address is added.
  await passReplyToCheck(page, testInfo, first);
  await expect(page.getByRole("heading", { level: 2, name: `${first} (default)` })).toBeVisible();

  await page.getByRole("button", { name: "Add reply-to email address" }).click();
  await page.getByLabel("Reply-to email address").fill(second);
  await page.getByLabel("Make this email address the default").check();
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("button", { name: "Add" }).click();
  await passReplyToCheck(page, testInfo, second);
  await expect(page.getByRole("heading", { level: 2, name: `${second} (default)` })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: first, exact: true })).toBeVisible();
  await expect(page.getByText(`ID for ${first}`)).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("link", { name: `Change ${first}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Change reply-to email address" })).toBeVisible();
  await page.getByRole("link", { name: "Delete" }).click();
  const banner = page.getByRole("alert");
  await expect(banner).toContainText("Are you sure you want to delete this reply-to email address?");
  await expectNoAxeViolations(page, testInfo);
  await banner.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText(`‘${first}’ was deleted`)).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: first, exact: true })).toHaveCount(0);
  await expect(page.getByRole("heading", { level: 2, name: `${second} (default)` })).toBeVisible();
  await expectNoFullReload(page, testInfo);
});

test("text message sender IDs: every service starts with GOVUK; add one, fixing a mistake, as the default", async ({ page }, testInfo) => {
  await openHub(page, testInfo, jsEnabled(testInfo) ? "Example trial service" : "Example live service");
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Text message sender IDs" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Text message sender IDs" })).toBeVisible();
  // GOVUK, the default until the service chooses (the live service's inbound number is its default).
  await expect(page.getByRole("heading", { level: 2, name: /^GOVUK/ })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "Add text message sender ID" }).click();
  await page.getByRole("textbox", { name: "Text message sender ID" }).fill("Info");
  await page.getByRole("button", { name: "Save" }).click();
  const summary = page.locator(".govuk-error-summary");
  await expect(summary.getByRole("link", {
    name: "Text message sender ID cannot be Alert, Info or Verify as those are prohibited due to usage by spam",
  })).toHaveAttribute("href", "#sms_sender");
  await expectNoAxeViolations(page, testInfo);
  const sender = jsEnabled(testInfo) ? "Council On" : "Council Off";
  await page.getByRole("textbox", { name: "Text message sender ID" }).fill(sender);
  await page.getByLabel("Make this text message sender ID the default").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 2, name: `${sender} (default)` })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "GOVUK", exact: true })).toBeVisible();
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("sender addresses for letters: add one as the default, make Blank the default, delete it", async ({ page }, testInfo) => {
  await openHub(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Sender addresses" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sender addresses" })).toBeVisible();
  // The demo's contact block (its default until a run of this test makes Blank the default).
  await expect(page.locator(".notify-sender").filter({ hasText: "Appointments team" })).toContainText("10 Whitehall");
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "Add your contact details" }).click();
  const field = page.getByLabel("This will appear as the sender address on your letters");
  await field.fill(Array.from({ length: 11 }, (_, i) => `Line ${i + 1}`).join("\n"));
  await page.getByRole("button", { name: "Add" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", {
    name: "This address is 11 lines long - the most you can have is 10 lines",
  })).toHaveAttribute("href", "#letter_contact_block");
  await expectNoAxeViolations(page, testInfo);
  const firstLine = `Contact team ${testInfo.project.name}`;
  await field.fill(`${firstLine}\n1 High Street\nTown\nAB1 2CD`);
  await page.getByLabel("Set as your default address").check();
  await page.getByRole("button", { name: "Add" }).click();
  const item = page.locator(".notify-sender").filter({ hasText: firstLine });
  await expect(item).toContainText("1 High Street");
  await expect(item).toContainText("(default)");
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "Make default Blank" }).click();
  await expect(page.getByText("Blank (default)")).toBeVisible();
  await expect(item).not.toContainText("(default)");

  await page.getByRole("link", { name: `Change ${firstLine}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Change sender address" })).toBeVisible();
  await page.getByRole("link", { name: "Delete" }).click();
  await expect(page.getByRole("alert")).toContainText("Are you sure you want to delete this sender address?");
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await expect(page.getByText(`‘${firstLine}`)).toBeVisible();
  await expect(page.locator(".notify-sender").filter({ hasText: firstLine })).toHaveCount(0);
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("a text sent to the service's number shows in its received text messages", async ({ page }, testInfo) => {
  const message = `Can I move my appointment? (${testInfo.project.name})`;
  // As the SMS provider sends it: Firetext's form, Basic authentication.
  const received = await page.request.post("/notifications/sms/receive/firetext", {
    headers: { Authorization: `Basic ${Buffer.from("notify:e2e-inbound-sms-password").toString("base64")}` },
    form: { source: "447700900111", destination: "447700900500", message, time: "2026-11-29 10:00:00" },
  });
  expect(received.status()).toBe(200);
  await openHub(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Received text messages" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Received text messages" })).toBeVisible();
  await expect(page.getByText("People can text 07700900500 to reach your service.")).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: message });
  await expect(row).toContainText("447700900111");
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("the audit log shows who changed what", async ({ page }, testInfo) => {
  await openHub(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Guest list" }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Guest list updated")).toBeVisible();
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  const first = page.getByRole("row").nth(1);
  await expect(first).toContainText("Demo Admin (admin@example.gov.uk)");
  await expect(first).toContainText("Updated the guest list");
  await expectNoFullReload(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
});

test("trial mode: the live key option is disabled", async ({ page }, testInfo) => {
  await openHub(page, testInfo, "Example trial service");
  await page.getByRole("link", { name: "API keys", exact: true }).click();
  await page.getByRole("button", { name: "Create an API key" }).click();
  await expect(page.getByLabel("Live – sends to anyone")).toBeDisabled();
  await expect(page.getByText("Not available because your service is in trial mode")).toBeVisible();
  // The hint explains why: it must be readable (axe's colour-contrast).
  await expectNoAxeViolations(page, testInfo);
});

test("keep a guest list, fixing mistakes on the way", async ({ page }, testInfo) => {
  await openHub(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Guest list" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Guest list" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByLabel("Email addresses").fill("guest@example.gov.uk\nnot-an-email");
  await page.getByLabel("Mobile numbers").fill("0770090012");
  await page.getByRole("button", { name: "Save" }).click();
  const summary = page.locator(".govuk-error-summary");
  await expect(summary).toContainText("Enter email address 2 in the correct format, like name@example.gov.uk");
  await expect(summary).toContainText("Mobile number 1 is too short");
  await expect(page.getByLabel("Email addresses")).toHaveValue("guest@example.gov.uk\nnot-an-email");
  await expectNoAxeViolations(page, testInfo);

  await page.getByLabel("Email addresses").fill("guest@example.gov.uk");
  await page.getByLabel("Mobile numbers").fill("07700 900123\n\n+1 202-555-0104");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Guest list updated")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "API integration" })).toBeVisible();
  await expectNoFullReload(page, testInfo);

  await page.getByRole("link", { name: "Guest list" }).click();
  await expect(page.getByLabel("Mobile numbers")).toHaveValue("+447700900123\n+12025550104");
});

test("set, change and clear a delivery receipts callback", async ({ page }, testInfo) => {
  await openHub(page, testInfo);
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Callbacks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Callbacks" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("link", { name: "Change delivery receipts callback settings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Callbacks for delivery receipts" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByLabel("URL").fill("www.example.gov.uk/no-scheme");
  await page.getByLabel("Bearer token").fill("short");
  await page.getByRole("button", { name: "Save" }).click();
  const summary = page.locator(".govuk-error-summary");
  await expect(summary).toContainText("Must be a valid https URL");
  await expect(summary).toContainText("The bearer token must be at least 10 characters long");
  await expect(page.getByLabel("URL")).toHaveValue("www.example.gov.uk/no-scheme");
  await expectNoAxeViolations(page, testInfo);

  await page.getByLabel("URL").fill("https://callbacks.example.gov.uk/delivery");
  await page.getByLabel("Bearer token").fill("a-long-enough-token");
  rememberSecret("a-long-enough-token");
  await page.getByRole("button", { name: "Save" }).click();
  // The first save shows the signing secret, once.
  await expect(page.getByRole("heading", { level: 1, name: "Signing secret" })).toBeVisible();
  await expect(page.locator("#signing-secret")).toContainText("whsec_");
  const signingSecret = (await page.locator("#signing-secret").textContent())!.trim();
  rememberSecret(signingSecret);
  rememberSecret(signingSecret.replace(/^whsec_/, ""));
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("link", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Callbacks for delivery receipts" })).toBeVisible();
  await expect(page.locator("body")).not.toContainText("whsec_");
  await page.getByRole("link", { name: "Back", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Callbacks" })).toBeVisible();
  await expect(page.locator(".govuk-summary-list")).toContainText("https://callbacks.example.gov.uk/delivery");
  await expectNoFullReload(page, testInfo);

  await page.getByRole("link", { name: "Change delivery receipts callback settings" }).click();
  await expect(page.getByLabel("Bearer token")).toHaveValue("bearer_token_set");
  await expect(page.locator("body")).not.toContainText("a-long-enough-token");
  await page.getByLabel("URL").fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Callbacks" })).toBeVisible();
  await expect(page.getByRole("row").or(page.locator(".govuk-summary-list__row")).first()).toContainText("Not set");
});

test("send a test callback to a local receiver, see the attempt, resend a failed one", async ({ page }, testInfo) => {
  // A receiver on loopback: answers 410 until told otherwise.
  let failing = true;
  const received: string[] = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push(body);
      res.writeHead(failing ? 410 : 200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const port = (receiver.address() as AddressInfo).port;
  try {
    // Each run on a service of its own, so neither sees the other's attempts.
    await openHub(page, testInfo, jsEnabled(testInfo) ? "Example live service" : "Example trial service");
    await page.goto(`${page.url().replace(/\/api$/, "")}/api/callbacks/delivery-status-callback`);
    await expect(page.getByRole("heading", { level: 1, name: "Callbacks for delivery receipts" })).toBeVisible();
    await page.getByLabel("URL").fill(`http://127.0.0.1:${port}/callback`);
    await page.getByLabel("Bearer token").fill("receiver-bearer-token");
    rememberSecret("receiver-bearer-token");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Signing secret" })).toBeVisible();
    await page.getByRole("link", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { level: 2, name: "Deliveries" })).toBeVisible();
    await expect(page.getByText("No callbacks have been sent yet.")).toBeVisible();
    await markDocument(page, testInfo);

    await page.getByRole("button", { name: "Send a test callback" }).click();
    await expect(page.getByText("Test callback failed: HTTP 410. We will not try again.")).toBeVisible();
    const attempts = page.locator("table.callback-attempts");
    await expect(attempts).toContainText("Test callback");
    await expect(attempts).toContainText("HTTP 410");
    await expect(attempts).toContainText("Failed: no more tries");
    await expectNoFullReload(page, testInfo);
    await expectNoAxeViolations(page, testInfo);
    expect(received.length).toBe(1);
    expect(JSON.parse(received[0]).reference).toBe("test-callback");

    failing = false;
    await page.getByRole("button", { name: /^Resend msg_/ }).click();
    await expect(page.getByText("The callback will be sent again now.")).toBeVisible();
    await expect.poll(() => received.length).toBe(2);
    await expect(async () => {
      await page.reload();
      await expect(page.locator("table.callback-attempts")).toContainText("HTTP 200");
    }).toPass({ timeout: 10_000 });
    await expect(page.locator("table.callback-attempts")).toContainText("Delivered");
    await expectNoAxeViolations(page, testInfo);

    // Leave the service as it was: clearing the URL removes the callback.
    await page.getByLabel("URL").fill("");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\/api(\/callbacks)?$/);
    await page.goto(`${page.url().replace(/\/api(\/callbacks)?$/, "")}/api/callbacks/delivery-status-callback`);
    await expect(page.getByLabel("URL")).toHaveValue("");
  } finally {
    receiver.close();
  }
});
