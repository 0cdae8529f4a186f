// GOV.UK Notify's official Node client (notifications-node-client 8) against
// this server. Prints one line per check and a closing 'N passed, N failed'
// line; exits non-zero on any failure.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import { NotifyClient } from "notifications-node-client";

// Notify's published response schemas (see compat/notify-response-schemas.json).
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(JSON.parse(readFileSync(new URL("../notify-response-schemas.json", import.meta.url))), "notify");
function conforms(answer, schemaName) {
  const validate = ajv.getSchema(`notify#/schemas/${schemaName}`);
  if (!validate(answer)) {
    throw new Error(`${schemaName}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(answer)}`);
  }
  return answer;
}

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
  const email = conforms((await client.test.sendEmail(t.email.id, "anyone@example.com", { personalisation: { name: "Ada" }, reference: "node-email" })).data, "post_email_response");
  assert(email.content.subject === "Your appointment, Ada", JSON.stringify(email));
  const sms = conforms((await client.test.sendSms(t.sms.id, "+447700900123", { personalisation: { name: "Ada" } })).data, "post_sms_response");
  // The template was saved with "\r\n": a text message's body has "\n".
  assert(sms.content.body === "Hello Ada,\nthis is a reminder of your appointment.", JSON.stringify(sms));
  const letter = conforms((await client.test.sendLetter(t.letter.id, {
    personalisation: { name: "Ada", address_line_1: "Ada Lovelace", address_line_2: "1 Street", postcode: "SW1A 1AA" },
  })).data, "post_letter_response");
  const n = conforms(await waitForStatus(client.test, email.id, "delivered"), "get_notification_response");
  assert(n.reference === "node-email", JSON.stringify(n));
  const readSms = conforms(await waitForStatus(client.test, sms.id, "delivered"), "get_notification_response");
  assert(readSms.body === "Hello Ada,\nthis is a reminder of your appointment.", JSON.stringify(readSms));
  const l = conforms((await client.test.getNotificationById(letter.id)).data, "get_notification_response");
  assert(l.type === "letter" && l.postcode === "SW1A 1AA", JSON.stringify(l));
});

async function pdfWhenReady(c, id) {
  for (let i = 0; i < 100; i++) {
    try {
      return await c.getPdfForLetterNotification(id);
    } catch (err) {
      const messages = (err.response?.data?.errors ?? []).map((e) => e.message);
      assert(messages.includes("PDF not available yet, try again later"), JSON.stringify(messages) + String(err));
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the PDF of ${id} was never ready`);
}

check("letter PDFs and precompiled letters", async () => {
  const t = await templatesOf(client.test);
  const letter = (await client.test.sendLetter(t.letter.id, {
    personalisation: { name: "Ada", address_line_1: "Ada Lovelace", address_line_2: "1 Street", postcode: "SW1A 1AA" },
  })).data;
  const drawn = await pdfWhenReady(client.test, letter.id);
  assert(drawn.subarray(0, 5).toString() === "%PDF-", drawn.subarray(0, 20).toString());
  const sent = conforms((await client.test.sendPrecompiledLetter("node-pdf", drawn, "economy")).data, "post_precompiled_letter_response");
  assert(sent.reference === "node-pdf" && sent.postage === "economy", JSON.stringify(sent));
  assert(Buffer.compare(await pdfWhenReady(client.test, sent.id), drawn) === 0, "the PDF read back differs");
  conforms((await client.test.getNotificationById(sent.id)).data, "get_notification_response");
});

check("list notifications and follow the next link", async () => {
  const first = conforms((await client.test.getNotifications("sms", "", "paged")).data, "get_notifications_response");
  assert(first.notifications.length === 250, `first page has ${first.notifications.length}`);
  const olderThan = new URL(first.links.next).searchParams.get("older_than");
  const second = conforms((await client.test.getNotifications("sms", "", "paged", olderThan)).data, "get_notifications_response");
  assert(second.notifications.length >= 10, `second page has ${second.notifications.length}`);
});

check("templates, versions and preview", async () => {
  const t = await templatesOf(client.test);
  const email = conforms((await client.test.getTemplateById(t.email.id)).data, "get_template_by_id_response");
  assert(email.personalisation.name.required === true, JSON.stringify(email));
  conforms((await client.test.getTemplateByIdAndVersion(t.email.id, 1)).data, "get_template_by_id_response");
  const preview = conforms((await client.test.previewTemplateById(t.email.id, { name: "Ada" })).data, "post_template_preview_response");
  assert(preview.subject === "Your appointment, Ada", JSON.stringify(preview));
  assert(conforms((await client.test.getAllTemplates("sms")).data, "get_all_template_response").templates.length === 1);
  const letter = conforms((await client.test.getTemplateById(t.letter.id)).data, "get_template_by_id_response");
  assert(letter.letter_contact_block.startsWith("Appointments team"), JSON.stringify(letter));
  // Made without a contact block (version 1), then given one (version 2).
  const v1 = conforms((await client.test.getTemplateByIdAndVersion(t.letter.id, 1)).data, "get_template_by_id_response");
  assert(v1.letter_contact_block === null, JSON.stringify(v1));
  const v2 = conforms((await client.test.getTemplateByIdAndVersion(t.letter.id, 2)).data, "get_template_by_id_response");
  assert(v2.letter_contact_block === letter.letter_contact_block && letter.version === 2, JSON.stringify(v2));
});

check("received text messages", async () => {
  const page = conforms((await client.test.getReceivedTexts()).data, "get_inbound_sms_response");
  const texts = page.received_text_messages;
  assert(texts.some((x) => x.content === process.env.RECEIVED_TEXT), JSON.stringify(texts));
  const last = texts[texts.length - 1].id;
  const after = conforms((await client.test.getReceivedTexts(last)).data, "get_inbound_sms_response");
  assert(after.received_text_messages.length === 0, JSON.stringify(after));
});

check("reply-to addresses, text message senders and sanitised content", async () => {
  const t = await templatesOf(client.test);
  const email = conforms((await client.test.sendEmail(t.email.id, "anyone@example.com", {
    personalisation: { name: "- Ada" }, emailReplyToId: process.env.REPLY_TO_ID, sanitiseContentFor: ["name"],
  })).data, "post_email_response");
  assert(email.sanitised_content.name.sanitised === "\\- Ada", JSON.stringify(email));
  const sms = conforms((await client.test.sendSms(t.sms.id, "07700900123", {
    personalisation: { name: "Ada" }, smsSenderId: process.env.SMS_SENDER_ID,
  })).data, "post_sms_response");
  assert(sms.content.from_number === process.env.SMS_SENDER, JSON.stringify(sms));
  const unknown = "5e6e0a4a-0000-4000-8000-000000000000";
  await expectError(
    client.test.sendSms(t.sms.id, "07700900123", { personalisation: { name: "x" }, smsSenderId: unknown }),
    400, `sms_sender_id ${unknown} does not exist in database for service id ${process.env.LIVE_SERVICE_ID}`,
  );
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
