import { test, expect } from "@playwright/test";
import { ADMIN, cli, expectNoAxeViolations, expectNoFullReload, jsEnabled, markDocument, outbox, rememberSecret, securityCode, signIn } from "./helpers";

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
  const email = cli(["outbox", "--to", invitee]);
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

  // Signing in again: the password, then the code the email carries.
  const invitation = await outbox(invitee);
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, invitee, testInfo, password);
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await page.getByLabel("Security code").fill(securityCode(await outbox(invitee, invitation)));
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("link", { name: service })).toBeVisible();
});

test("the team: change a member's permissions, remove one who could see the keys, and act on the warning", async ({ page }, testInfo) => {
  const service = jsEnabled(testInfo) ? "Example trial service" : "Example live service";
  const serviceId = cli(["list-services"]).split("\n").map((l) => l.split("\t")).find((f) => f[2] === service)![0];
  const tag = `${testInfo.project.name}-${Date.now()}`;
  const people = [`Eve ${tag}`, `Finn ${tag}`];
  for (const name of people) {
    const email = `${name.toLowerCase().replace(/ /g, ".")}@example.gov.uk`;
    cli(["create-user", "--name", name, "--email", email], "a member's long password\n");
    cli(["grant", "--email", email, "--service-id", serviceId, "--permissions", "manage_api_keys,view_activity"]);
  }
  const keyName = `Key Finn saw ${tag}`;
  const key = cli(["create-api-key", "--service-id", serviceId, "--name", keyName, "--type", "test"]).trim();
  rememberSecret(key.slice(-36));

  await signIn(page, ADMIN, testInfo);
  await page.getByRole("link", { name: service }).click();
  await page.getByRole("link", { name: "Team members" }).click();
  // Eve: Send messages instead of the API.
  await page.getByRole("link", { name: `Change details for ${people[0]}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Change team member’s permissions" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Manage API integration").uncheck();
  await page.getByLabel("Send messages").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText(`${people[0]}’s permissions were changed`)).toBeVisible();

  // Finn, who could see the keys, removed after a confirmation.
  await page.getByRole("link", { name: `Change details for ${people[1]}` }).click();
  await page.getByRole("link", { name: "Remove this team member" }).click();
  const banner = page.getByRole("alert");
  await expect(banner).toContainText(`Are you sure you want to remove ${people[1]}?`);
  await expectNoAxeViolations(page, testInfo);
  await banner.getByRole("button", { name: "Yes, remove" }).click();
  await expect(page.getByText(`${people[1]} was removed from the team`)).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: people[1] })).toHaveCount(0);

  // The API integration page asks for the keys Finn could see to be rotated.
  await page.getByRole("link", { name: "API integration" }).click();
  const warning = page.getByRole("region").filter({ hasText: `${people[1]} left the team on` });
  await expect(warning).toContainText("These keys were created or could be seen by them: rotate them.");
  await expect(warning.getByRole("link", { name: `Rotate ‘${keyName}’` })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await warning.getByRole("button", { name: "Dismiss this warning" }).click();
  await expect(page.getByText("Warning dismissed")).toBeVisible();
  await expect(page.getByText(`${people[1]} left the team on`)).toHaveCount(0);
  await expectNoFullReload(page, testInfo);
});
