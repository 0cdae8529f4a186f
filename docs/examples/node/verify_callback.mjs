// Checks that a callback came from this service: its bearer token, and its
// Standard Webhooks signature (https://www.standardwebhooks.com).
import { createHmac, timingSafeEqual } from "node:crypto";

// Refuse callbacks signed more than 5 minutes from now (replayed ones).
const TOLERANCE_SECONDS = 5 * 60;

const same = (a, b) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

// The `Authorization` header carries the token you saved with the callback.
export function tokenIsRight(authorization, expectedToken) {
  return same(authorization, `Bearer ${expectedToken}`);
}

// `secret` is the callback's signing secret (`whsec_...`); `body` the raw bytes received (a Buffer).
export function signatureIsRight(secret, headers, body) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]);
  const expected = "v1," + createHmac("sha256", key).update(signed).digest("base64");
  // While a secret is being rotated, each signature is sent, space-separated.
  return headers["webhook-signature"].split(" ").some((given) => same(given, expected));
}

// Used by this repository's tests: the request's parts from the environment and standard input.
if (import.meta.url === `file://${process.argv[1]}`) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const env = process.env;
  const headers = {
    "webhook-id": env.WEBHOOK_ID,
    "webhook-timestamp": env.WEBHOOK_TIMESTAMP,
    "webhook-signature": env.WEBHOOK_SIGNATURE,
  };
  const ok =
    tokenIsRight(env.AUTHORIZATION, env.CALLBACK_TOKEN) &&
    signatureIsRight(env.SIGNING_SECRET, headers, Buffer.concat(chunks));
  process.exit(ok ? 0 : 1);
}
