import { expect, type Page, type TestInfo } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Where the tests note each secret they see, for the secret scan. */
const SECRETS_SEEN = path.resolve(process.cwd(), "..", "target", "e2e", "secrets-seen.txt");

/**
 * Notes a secret the suite saw (an API key's secret, a bearer token, a
 * signing secret, a password, a session id): after the suite,
 * scripts/secret-scan.sh checks none is in plain text in the database, its
 * WAL or the server's log.
 */
export function rememberSecret(value: string) {
  fs.mkdirSync(path.dirname(SECRETS_SEEN), { recursive: true });
  fs.appendFileSync(SECRETS_SEEN, value.trim() + "\n");
}

export const PASSWORD = "notify-demo-password";
export const ADMIN = "admin@example.gov.uk";
export const VIEWER = "viewer@example.gov.uk";
export const OUTSIDER = "outsider@example.gov.uk";

export function jsEnabled(testInfo: TestInfo): boolean {
  return testInfo.project.name === "js-on";
}

/**
 * Runs axe-core on the page as it is now and fails on any violation.
 * With JavaScript off axe cannot run in the page itself, so the page's exact
 * HTML is opened in a JavaScript-enabled page (same styles, same base URL).
 */
export async function expectNoAxeViolations(page: Page, testInfo: TestInfo) {
  // Every page checked is after some navigation: note the session id then.
  for (const cookie of await page.context().cookies()) {
    if (cookie.name.endsWith("notify_session") && cookie.value) rememberSecret(cookie.value);
  }
  let target = page;
  let cleanup = async () => {};
  if (!jsEnabled(testInfo)) {
    const html = await page.content();
    const context = await page.context().browser()!.newContext({ javaScriptEnabled: true });
    target = await context.newPage();
    const withBase = html.replace("<head>", `<head><base href="${page.url()}">`);
    // Scripts are dropped so the copy shows exactly what a no-JS visitor sees.
    await target.route("**/*.js", (route) => route.abort());
    await target.setContent(withBase, { waitUntil: "load" });
    cleanup = () => context.close();
  }
  const results = await new AxeBuilder({ page: target }).analyze();
  await cleanup();
  const summary = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(summary, `axe-core violations on ${page.url()}`).toEqual([]);
}

/** Marks the current document so a later check can tell whether it was reloaded. */
export async function markDocument(page: Page, testInfo: TestInfo) {
  if (jsEnabled(testInfo)) {
    await page.evaluate(() => ((window as any).__notReloaded = true));
  }
}

/** With JavaScript on, the journey must not have reloaded the document. */
export async function expectNoFullReload(page: Page, testInfo: TestInfo) {
  if (jsEnabled(testInfo)) {
    expect(await page.evaluate(() => (window as any).__notReloaded === true), "the page was fully reloaded").toBe(true);
  }
}

export async function signIn(page: Page, email: string, testInfo: TestInfo, password = PASSWORD) {
  await page.goto("/sign-in");
  await markDocument(page, testInfo);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  rememberSecret(password);
}

/**
 * Runs the server's command line on the browser suite's database (the
 * release build, as the suite's server): `outbox --to` to read an email the
 * built-in outbox holds, `create-user`, `grant`, `create-api-key`.
 */
export function cli(args: string[], input?: string): string {
  const root = path.resolve(process.cwd(), "..");
  return execFileSync(path.join(root, "target", "release", "server"), args, {
    cwd: root,
    env: { ...process.env, NOTIFY_DATA_DIR: path.join(root, "target", "e2e", "data") },
    encoding: "utf8",
    input,
  });
}

/**
 * The newest message the built-in outbox holds for `to` (an email address
 * or a mobile number), waiting up to 10 seconds for one other than
 * `before` (the delivery worker puts it there a moment after the page).
 */
export async function outbox(to: string, before?: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    let message: string | undefined;
    try {
      message = cli(["outbox", "--to", to]);
    } catch {
      message = undefined;
    }
    if (message !== undefined && message !== before) {
      return message;
    }
    if (Date.now() > deadline) {
      throw new Error(`no new message to ${to} in the outbox`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The security code in a sign-in email ("security code: 12345") or text message ("12345 is …"). */
export function securityCode(message: string): string {
  const code = message.match(/security code: (\d{5})/)?.[1] ?? message.match(/^(\d{5}) is your/m)?.[1];
  if (!code) {
    throw new Error(`no security code in: ${message}`);
  }
  return code;
}
