import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, OUTSIDER, VIEWER, jsEnabled, signIn } from "./helpers";

// Every link on every page leads somewhere: as each demo user (and signed
// out), every page reachable from the start pages is fetched, and every
// internal link, stylesheet, script, image and fragment on it is followed.
// Pages of the same shape (a message, a key, a template: their ids replaced)
// are visited a few times each, not all of them.

const START = ["/", "/your-services", "/documentation", "/sign-in", "/report-a-leaked-key"];
const SAME_SHAPE = 3;
const MOST_PAGES = 600;

function shape(path: string): string {
  return path
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "{id}")
    .replace(/=[^&]*/g, "=…");
}

function decode(attribute: string): string {
  return attribute.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/** Internal addresses in a page: hrefs and srcs that stay on this server. */
function references(html: string, base: string): string[] {
  const out: string[] = [];
  for (const match of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
    const value = decode(match[1]);
    if (/^[a-z][a-z0-9+.-]*:/i.test(value) || value.startsWith("//")) continue; // another site, mailto:…
    out.push(new URL(value, base).pathname + new URL(value, base).search + new URL(value, base).hash);
  }
  return out;
}

async function crawl(request: APIRequestContext, who: string) {
  const pages = new Map<string, string>(); // path → HTML (or "" for other content)
  const broken: string[] = [];
  const visitsOfShape = new Map<string, number>();
  const fragments: Array<[string, string, string]> = []; // [page, target path, id]
  const queue: Array<[string, string]> = START.map((p) => [p, "(start)"]);
  while (queue.length > 0 && pages.size < MOST_PAGES) {
    const [path, from] = queue.shift()!;
    if (pages.has(path)) continue;
    const s = shape(path);
    const seen = visitsOfShape.get(s) ?? 0;
    if (seen >= SAME_SHAPE) continue;
    visitsOfShape.set(s, seen + 1);
    const response = await request.get(path);
    if (response.status() !== 200) {
      broken.push(`${path} (linked from ${from}) answered ${response.status()} to ${who}`);
      pages.set(path, "");
      continue;
    }
    const type = response.headers()["content-type"] ?? "";
    if (!type.startsWith("text/html")) {
      pages.set(path, "");
      continue;
    }
    const html = await response.text();
    pages.set(path, html);
    const here = new URL(response.url()).pathname + new URL(response.url()).search;
    for (const ref of references(html, response.url())) {
      const [target, id] = ref.split("#", 2);
      if (id !== undefined) fragments.push([here, target || here, id]);
      if (target && target !== "/sign-out") queue.push([target, here]);
    }
  }
  for (const [page, target, id] of fragments) {
    const html = pages.get(target) ?? (await (await request.get(target)).text());
    if (id !== "" && !html.includes(`id="${id}"`)) broken.push(`${page} links to ${target}#${id}, which has no such id (${who})`);
  }
  if (process.env.LINKS_VERBOSE) console.log(who, [...pages.keys()].join("\n"));
  return { broken, visited: pages.size };
}

test.describe("every link leads somewhere", () => {
  // Links are the same with JavaScript on or off: crawled once.
  test.beforeEach(({}, testInfo) => test.skip(jsEnabled(testInfo), "the links do not depend on JavaScript"));

  test("signed out", async ({ request }) => {
    const { broken, visited } = await crawl(request, "a visitor");
    expect(broken).toEqual([]);
    expect(visited).toBeGreaterThan(10);
  });

  for (const [who, email] of [
    ["the admin", ADMIN],
    ["a viewer", VIEWER],
    ["a user of no service", OUTSIDER],
  ]) {
    test(`as ${who}`, async ({ page }, testInfo) => {
      test.setTimeout(180_000);
      await signIn(page, email, testInfo);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      const { broken, visited } = await crawl(page.request, who);
      expect(broken).toEqual([]);
      expect(visited).toBeGreaterThan(10);
    });
  }
});
