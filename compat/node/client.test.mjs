// GOV.UK Notify's official Node client (notifications-node-client 8) against
// this server. Prints one line per check and a closing 'N passed, N failed'
// line; exits non-zero on any failure.
import { NotifyClient } from "notifications-node-client";

const BASE = process.env.NOTIFY_BASE_URL;
const KEYS = Object.fromEntries(
  ["test", "team", "trial_live", "revoked", "limited"].map((k) => [k, process.env[`KEY_${k.toUpperCase()}`]]),
);
const client = Object.fromEntries(Object.entries(KEYS).map(([k, key]) => [k, new NotifyClient(BASE, key)]));
const checks = [];
const check = (name, fn) => checks.push([name, fn]);
const assert = (cond, msg) => {
  if (!cond) throw new Error(msg);
};

async function templatesOf(c) {
  const res = await c.getAllTemplates();
  return Object.fromEntries(res.data.templates.map((t) => [t.type, t]));
}

async function expectError(promise, status, message) {
  try {
    await promise;
  } catch (err) {
    const got = err.response?.status;
    const messages = (err.response?.data?.errors ?? []).map((e) => e.message);
    assert(got === status, `status ${got}, wanted ${status}: ${JSON.stringify(messages)}`);
    assert(messages.includes(message), `${JSON.stringify(messages)} does not include ${JSON.stringify(message)}`);
    return;
  }
  throw new Error(`no error; wanted ${status} ${message}`);
}

async function waitForStatus(c, id, wanted) {
  let last;
  for (let i = 0; i < 50; i++) {
    last = (await c.getNotificationById(id)).data;
    if (last.status === wanted) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} never became ${wanted}; last ${last.status}`);
}

check("send each channel and read it back", async () => {
  const t = await templatesOf(client.test);
  const email = (await client.test.sendEmail(t.email.id, "anyone@example.com", { personalisation: { name: "Ada" }, reference: "node-email" })).data;
  assert(email.content.subject === "Your appointment, Ada", JSON.stringify(email));
  const sms = (await client.test.sendSms(t.sms.id, "+447700900123", { personalisation: { name: "Ada" } })).data;
  assert(sms.content.body.startsWith("Hello Ada"), JSON.stringify(sms));
  const letter = (await client.test.sendLetter(t.letter.id, {
    personalisation: { name: "Ada", address_line_1: "Ada Lovelace", address_line_2: "1 Street", address_line_3: "SW1A 1AA" },
  })).data;
  const n = await waitForStatus(client.test, email.id, "delivered");
  assert(n.reference === "node-email", JSON.stringify(n));
  await waitForStatus(client.test, sms.id, "delivered");
  assert((await client.test.getNotificationById(letter.id)).data.type === "letter");
});

check("list notifications and follow the next link", async () => {
  const first = (await client.test.getNotifications("sms", "", "paged")).data;
  assert(first.notifications.length === 250, `first page has ${first.notifications.length}`);
  const olderThan = new URL(first.links.next).searchParams.get("older_than");
  const second = (await client.test.getNotifications("sms", "", "paged", olderThan)).data;
  assert(second.notifications.length >= 10, `second page has ${second.notifications.length}`);
});

check("templates, versions and preview", async () => {
  const t = await templatesOf(client.test);
  const email = (await client.test.getTemplateById(t.email.id)).data;
  assert(email.personalisation.name.required === true, JSON.stringify(email));
  assert((await client.test.getTemplateByIdAndVersion(t.email.id, 1)).data.version === 1);
  const preview = (await client.test.previewTemplateById(t.email.id, { name: "Ada" })).data;
  assert(preview.subject === "Your appointment, Ada", JSON.stringify(preview));
  assert((await client.test.getAllTemplates("sms")).data.templates.length === 1);
});

check("received text messages is an empty list", async () => {
  assert((await client.test.getReceivedTexts()).data.received_text_messages.length === 0);
});

check("refusals surface as HTTP errors with Notify's message", async () => {
  const t = await templatesOf(client.test);
  const wrong = new NotifyClient(BASE, KEYS.test.slice(0, -36) + "0".repeat(36));
  await expectError(wrong.getAllTemplates(), 403, "Invalid token: API key not found");
  await expectError(client.revoked.getAllTemplates(), 403, "Invalid token: API key revoked");
  await expectError(
    client.team.sendEmail(t.email.id, "stranger@example.com", { personalisation: { name: "x" } }),
    400, "Can’t send to this recipient using a team-only API key",
  );
  await expectError(
    client.team.sendLetter(t.letter.id, { personalisation: { name: "x", address_line_1: "a", address_line_2: "b", address_line_3: "c" } }),
    403, "Cannot send letters with a team api key",
  );
  const trial = await templatesOf(client.trial_live);
  await expectError(
    client.trial_live.sendSms(trial.sms.id, "07700900999", { personalisation: { name: "x" } }),
    400, "Can’t send to this recipient when service is in trial mode – see https://www.notifications.service.gov.uk/trial-mode",
  );
  await expectError(
    client.trial_live.sendLetter(trial.letter.id, { personalisation: { name: "x", address_line_1: "a", address_line_2: "b", address_line_3: "c" } }),
    403, "Cannot send letters when service is in trial mode",
  );
  await expectError(client.test.sendEmail(t.email.id, "a@example.com", {}), 400, "Missing personalisation: name");
  await expectError(client.test.getNotificationById("not-a-uuid"), 400, "notification_id is not a valid UUID");
  const limited = await templatesOf(client.limited);
  const send = () => client.limited.sendEmail(limited.email.id, "admin@example.gov.uk", { personalisation: { name: "x" } });
  await send().catch(() => {}); // the Python suite may have used today's one email already
  await expectError(send(), 429, "Exceeded send limits (email: 1) for today");
});

let passed = 0;
let failed = 0;
for (const [name, fn] of checks) {
  try {
    await fn();
    passed++;
    console.log(`ok     node: ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAILED node: ${name}\n${err.stack}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
