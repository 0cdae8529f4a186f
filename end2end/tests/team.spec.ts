import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ADMIN, expectNoAxeViolations, expectNoFullReload, jsEnabled, markDocument, rememberSecret, signIn } from "./helpers";

/** The newest email the server's built-in outbox holds for `to` (the CLI's `outbox` command). */
function newestEmail(to: string): string {
  const root = path.resolve(process.cwd(), "..");
  return execFileSync(path.join(root, "target", "release", "server"), ["outbox", "--to", to], {
    cwd: root,
    env: { ...process.env, NOTIFY_DATA_DIR: path.join(root, "target", "e2e", "data") },
    encoding: "utf8",
  });
}

test("the team: invite someone, who makes an account from the email's link and sees what they were given", async ({ page }, testInfo) => {
  const service = jsEnabled(testInfo) ? "Example trial service" : "Example live service";
  const invitee = `invitee-${testInfo.project.name}@example.gov.uk`;
  await signIn(page, ADMIN, testInfo);
  await page.getByRole("link", { name: service }).click();
  await page.getByRole("link", { name: "Team members" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Team members" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "Demo Admin (you)" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  await page.getByRole("button", { name: "Invite a team member" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Invite a team member" })).toBeVisible();
  // Yourself: refused, the input kept.
  await page.getByLabel("Email address").fill(ADMIN);
  await page.getByRole("button", { name: "Send invitation email" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "Enter an email address that is not your own" }))
    .toHaveAttribute("href", "#email_address");
  await expect(page.getByLabel("Email address")).toHaveValue(ADMIN);
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Email address").fill(invitee);
  await page.getByLabel("Send messages").check();
  await page.getByLabel("See dashboard").check();
  await page.getByRole("button", { name: "Send invitation email" }).click();
  await expect(page.getByText(`Invite sent to ${invitee}`)).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: invitee })).toBeVisible();
  await expect(page.getByRole("button", { name: `Cancel invitation to ${invitee}` })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await expectNoFullReload(page, testInfo);

  // The email, read from the outbox; its link opened signed out.
  const email = newestEmail(invitee);
  expect(email).toContain(`Demo Admin has invited you to collaborate on ${service}`);
  const link = email.match(/https?:\/\/\S+\/invitation\/[0-9a-f]{64}/)![0];
  await page.context().clearCookies();
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1, name: "Create an account" })).toBeVisible();
  await markDocument(page, testInfo);
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Full name").fill("Ivy Invitee");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.locator(".govuk-error-summary").getByRole("link", { name: "Your password must be 8 characters or more" }))
    .toHaveAttribute("href", "#password");
  await expect(page.getByLabel("Full name")).toHaveValue("Ivy Invitee");
  await expectNoAxeViolations(page, testInfo);
  const password = `ivy-${testInfo.project.name}-password`;
  rememberSecret(password);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  // Lands on the service, with what was given: no API integration.
  await expect(page.getByRole("link", { name: "Team members" })).toBeVisible();
  await expect(page.getByRole("link", { name: "API integration" })).toHaveCount(0);
  await page.getByRole("link", { name: "Team members" }).click();
  await expect(page.getByRole("heading", { level: 2, name: "Ivy Invitee (you)" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Invite a team member" })).toHaveCount(0);
  await expectNoAxeViolations(page, testInfo);
});
