// Security keys (WebAuthn): the "Register a key" button on Your account and
// the "Check security key" button at sign-in. The server makes the options
// and checks the answers (webauthn-rs); this only carries them between the
// server and the browser's navigator.credentials. Buttons are found by
// delegation, so pages swapped in by enhance.js work too. Without
// JavaScript the pages say that security keys need it.

// The pages show what needs this script once it runs (style/main.css).
document.documentElement.classList.add("notify-js");

function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function post(url, fields) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

function showProblem(message) {
  const summary = document.querySelector("[data-notify-webauthn-error]");
  if (!summary) return;
  const text = summary.querySelector("[data-notify-webauthn-message]");
  if (text && message) text.textContent = message;
  summary.hidden = false;
  summary.focus();
}

async function register(button) {
  const csrf = button.dataset.csrfToken;
  const started = await post("/user-profile/security-keys/options", { csrf_token: csrf });
  if (started.error) return showProblem(started.error);
  const publicKey = started.options.publicKey;
  publicKey.challenge = fromBase64url(publicKey.challenge);
  publicKey.user.id = fromBase64url(publicKey.user.id);
  for (const c of publicKey.excludeCredentials || []) c.id = fromBase64url(c.id);
  // Chromium refuses (NotSupportedError) a credProtect policy that asks for
  // user verification on a key that is not discoverable, which is what
  // webauthn-rs asks of security keys; the key is still asked to verify its
  // user ("preferred"), and the server checks the answer as before.
  const selection = publicKey.authenticatorSelection || {};
  if (publicKey.extensions && selection.residentKey !== "required") {
    delete publicKey.extensions.credentialProtectionPolicy;
    delete publicKey.extensions.enforceCredentialProtectionPolicy;
  }
  const credential = await navigator.credentials.create({ publicKey });
  const answer = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    extensions: credential.getClientExtensionResults(),
    response: {
      attestationObject: toBase64url(credential.response.attestationObject),
      clientDataJSON: toBase64url(credential.response.clientDataJSON),
      transports: credential.response.getTransports ? credential.response.getTransports() : undefined,
    },
  };
  const done = await post("/user-profile/security-keys/register", { csrf_token: csrf, credential: JSON.stringify(answer) });
  if (done.error) return showProblem(done.error);
  window.location.assign(done.redirect);
}

async function signIn() {
  const started = await post("/two-factor-webauthn/options", {});
  if (started.error) return showProblem(started.error);
  const publicKey = started.options.publicKey;
  publicKey.challenge = fromBase64url(publicKey.challenge);
  for (const c of publicKey.allowCredentials || []) c.id = fromBase64url(c.id);
  const credential = await navigator.credentials.get({ publicKey });
  const answer = {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    extensions: credential.getClientExtensionResults(),
    response: {
      authenticatorData: toBase64url(credential.response.authenticatorData),
      clientDataJSON: toBase64url(credential.response.clientDataJSON),
      signature: toBase64url(credential.response.signature),
      userHandle: credential.response.userHandle ? toBase64url(credential.response.userHandle) : null,
    },
  };
  const done = await post("/two-factor-webauthn", { credential: JSON.stringify(answer) });
  if (done.error) return showProblem(done.error);
  window.location.assign(done.redirect);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-notify-webauthn]");
  if (!button) return;
  event.preventDefault();
  if (!window.PublicKeyCredential) {
    showProblem("Your browser does not support security keys. Try signing in using a different browser.");
    return;
  }
  const run = button.dataset.notifyWebauthn === "register" ? register(button) : signIn();
  button.disabled = true;
  run
    .catch((error) => {
      console.error(error);
      showProblem("Check you have the right key and try again.");
    })
    .finally(() => {
      button.disabled = false;
    });
});
