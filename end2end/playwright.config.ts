import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);

// Debian's Chromium, never a downloaded browser. The flags keep it from
// reaching for the network this machine does not have.
const launchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    // localhost, not 127.0.0.1: WebAuthn (security keys) refuses IP addresses.
    baseURL: `http://localhost:${port}`,
    launchOptions,
    trace: "off",
  },
  projects: [
    { name: "js-on", use: { javaScriptEnabled: true } },
    { name: "js-off", use: { javaScriptEnabled: false } },
  ],
  // The secret scan, before the server stops.
  globalTeardown: "./global-teardown.ts",
  webServer: [
    {
      command: "./start-server.sh",
      url: `http://127.0.0.1:${port}/_status`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { E2E_PORT: String(port) },
      stdout: "ignore",
      stderr: "pipe",
    },
    // The same product in GOV.UK's brand, for tests/brand.spec.ts.
    {
      command: "./start-server.sh",
      url: `http://127.0.0.1:${port + 1}/_status`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { E2E_PORT: String(port + 1), E2E_BRAND: "govuk", E2E_OUT: "target/e2e-govuk" },
      stdout: "ignore",
      stderr: "ignore",
    },
  ],
});
