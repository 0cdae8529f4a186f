import { test, expect } from "@playwright/test";
import { cli, expectNoAxeViolations, jsEnabled, rememberSecret, signIn } from "./helpers";

test("a security key: registered on Your account, chosen as the sign-in method, and used to sign in", async ({ page }, testInfo) => {
  const email = `key-holder-${testInfo.project.name}-${Date.now()}@example.gov.uk`;
  const password = `a key holder's password ${testInfo.project.name}`;
  rememberSecret(password);
  cli(["create-user", "--name", "Kit Key", "--email", email, "--password-only"], `${password}\n`);
  await signIn(page, email, testInfo, password);
  await page.getByRole("link", { name: "Your account" }).click();
  await page.getByRole("link", { name: "Change security keys" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Security keys" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);

  if (!jsEnabled(testInfo)) {
    // Security keys need JavaScript: the page says so, and offers nothing that cannot work.
    await expect(page.getByText("JavaScript is not available for this page. Security keys need JavaScript to work.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Register a key" })).toBeHidden();
    return;
  }

  // Chromium's virtual authenticator stands in for the key.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "usb",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await expect(page.getByText("Security keys need JavaScript to work.")).toBeHidden();
  await page.getByRole("button", { name: "Register a key" }).click();
  await expect(page.getByText("‘Security key 1’ registered")).toBeVisible();
  await expect(page.locator(".govuk-summary-list")).toContainText("Never used");
  await expectNoAxeViolations(page, testInfo);

  // Renamed.
  await page.getByRole("link", { name: "Manage Security key 1" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Manage security key" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByLabel("Name of key").fill("Kit's blue key");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Key renamed")).toBeVisible();

  // Chosen as the sign-in method.
  await page.getByRole("link", { name: "Back" }).click();
  await page.getByRole("link", { name: "Change sign-in method" }).click();
  await page.getByLabel("Security key").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Your sign-in method is now ‘Security key’")).toBeVisible();

  // Signed out, the password and then the key sign in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, email, testInfo, password);
  await expect(page.getByRole("heading", { level: 1, name: "Get your security key" })).toBeVisible();
  await expectNoAxeViolations(page, testInfo);
  await page.getByRole("button", { name: "Check security key" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your services" })).toBeVisible();
  await page.getByRole("link", { name: "Your account" }).click();
  await page.getByRole("link", { name: "Change security keys" }).click();
  await expect(page.locator(".govuk-summary-list")).toContainText("Last used just now");
});
