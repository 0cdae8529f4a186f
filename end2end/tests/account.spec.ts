import { test, expect } from "@playwright/test";
import { cli, expectNoAxeViolations, expectNoFullReload, markDocument, outbox, rememberSecret, securityCode } from "./helpers";

test("a forgotten password: the email's link, a new password, and signing in with it", async ({ page }, testInfo) => {
  const email = `forgetful-${testInfo.project.name}-${Date.now()}@example.gov.uk`;
  const oldPassword = "an old forgotten password";
  rememberSecret(oldPassword);
  cli(["create-user", "--name", "Forgetful User", "--email", email], `${oldPassword}\n`);

  await page.goto("/sign-in");
  await markDocument(page, testInfo);
  await page.getByRole("link", { name: "Forgotten your password?" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Forgotten your password?" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Email address").fill("not an address");
  await page.getByRole("button", { name: "Send email" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: /Enter an email address in the correct format/ }))
    .toHaveAttribute("href", "#email_address");
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Send email" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your inbox" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await expectNoFullReload(page, testInfo);

  const mail = cli(["outbox", "--to", email]);
  expect(mail).toContain("Subject: Reset your password");
  const link = mail.match(/https?:\/\/\S+\/new-password\/[0-9a-f]{64}/)![0];
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1, name: "Create a new password" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  const newPassword = `a new password for ${testInfo.project.name}`;
  rememberSecret(newPassword);
  await page.getByLabel("Password").fill(newPassword);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();

  // Signed out, the new password signs in, with the code sent by email.
  const resetMail = await outbox(email);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(newPassword);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await page.getByLabel("Security code").fill(securityCode(await outbox(email, resetMail)));
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
});
