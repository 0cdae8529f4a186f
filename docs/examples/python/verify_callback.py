"""Checks that a callback came from this service: its bearer token, and its
Standard Webhooks signature (https://www.standardwebhooks.com)."""
import base64
import hashlib
import hmac
import time

# Refuse callbacks signed more than 5 minutes from now (replayed ones).
TOLERANCE_SECONDS = 5 * 60


def token_is_right(authorization, expected_token):
    """The `Authorization` header carries the token you saved with the callback."""
    return hmac.compare_digest(authorization.encode(), f"Bearer {expected_token}".encode())


def signature_is_right(secret, headers, body):
    """`secret` is the callback's signing secret (`whsec_...`); `body` the raw bytes received."""
    message_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # While a secret is being rotated, each signature is sent, space-separated.
    return any(hmac.compare_digest(expected.encode(), given.encode()) for given in headers["webhook-signature"].split(" "))


if __name__ == "__main__":
    # Used by this repository's tests: the request's parts from the environment and standard input.
    import os
    import sys

    headers = {name: os.environ[name.upper().replace("-", "_")] for name in ["webhook-id", "webhook-timestamp", "webhook-signature"]}
    ok = token_is_right(os.environ["AUTHORIZATION"], os.environ["CALLBACK_TOKEN"]) and signature_is_right(
        os.environ["SIGNING_SECRET"], headers, sys.stdin.buffer.read()
    )
    sys.exit(0 if ok else 1)
