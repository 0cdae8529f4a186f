"""Schemathesis's test data for our API: what a valid request needs that a
schema cannot say (ids that exist in the service, a template's placeholders,
an address, a PDF). Applied to positive cases only, and to each part only
while schemathesis means that part to be valid, so that the invalid requests
it makes stay invalid. The ids come from the environment (openapi/run.sh).
"""

import base64
import os

import schemathesis
from schemathesis.core.parameters import ParameterLocation

ENV = os.environ
TEMPLATES = {"email": ENV["EMAIL_TEMPLATE_ID"], "sms": ENV["SMS_TEMPLATE_ID"], "letter": ENV["LETTER_TEMPLATE_ID"]}
# Every placeholder of the demo's templates, with a short value.
PLACEHOLDERS = {name: "x" for name in ENV["PLACEHOLDERS"].split(",") if name}
ADDRESS = {"address_line_1": "A Person", "address_line_2": "1 Street", "address_line_3": "SW1A 1AA"}


def tiny_pdf():
    """A one-page A4 PDF with nothing on it, written here."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return base64.b64encode(bytes(out)).decode()


PDF = tiny_pdf()


@schemathesis.deserializer("application/pdf")
def pdf(ctx, response):
    """A letter's PDF, for the description's `string` with `contentMediaType`:
    refused unless it is a PDF."""
    if not response.content.startswith(b"%PDF-"):
        raise ValueError("the answer is not a PDF")
    return response.content.decode("latin-1")


def positive(case, location):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return False
    component = meta.components.get(location)
    return component is None or component.mode.is_positive


def short(value):
    return value[:40] if isinstance(value, str) else value


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Just before a request is sent: schemathesis then judges the request
    by what is sent."""
    path = case.operation.path
    if case.path_parameters and positive(case, ParameterLocation.PATH):
        if path.startswith("/v2/template/"):
            case.path_parameters["id"] = TEMPLATES["email"]
        elif path == "/v2/notifications/{id}":
            case.path_parameters["id"] = ENV["NOTIFICATION_ID"]
        elif path == "/v2/notifications/{id}/pdf":
            case.path_parameters["id"] = ENV["LETTER_ID"]
    if path == "/notifications/sms/receive/firetext":
        # Its credentials are the provider's (schemathesis.toml).
        return None
    body = case.body
    if not isinstance(body, dict) or not positive(case, ParameterLocation.BODY):
        return None
    if path == "/v2/template/{id}/preview":
        body["personalisation"] = dict(body.get("personalisation") or {}, **PLACEHOLDERS)
        return None
    if not path.startswith("/v2/notifications/"):
        return None
    kind = path.rsplit("/", 1)[1]
    if kind == "bulk":
        # A list the email template can be sent to: one of `rows` or `csv`
        # (the schema cannot say "exactly one"), a name, and now.
        import csv, io
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["email address", *PLACEHOLDERS])
        writer.writerow(["schemathesis@example.com", *PLACEHOLDERS.values()])
        body.pop("rows", None)
        body["csv"] = out.getvalue()
        body["name"] = "schemathesis"
        body["template_id"] = TEMPLATES["email"]
        body["scheduled_for"] = None
        if body.get("reply_to_id") is not None:
            body["reply_to_id"] = ENV["REPLY_TO_ID"]
        return None
    if kind == "letter" and "content" in body:
        body["content"] = PDF
        return None
    body["template_id"] = TEMPLATES[kind]
    given = {k: short(v) for k, v in (body.get("personalisation") or {}).items()}
    body["personalisation"] = dict(given, **PLACEHOLDERS, **(ADDRESS if kind == "letter" else {}))
    if kind == "email":
        body["email_address"] = "schemathesis@example.com"
        if body.get("email_reply_to_id") is not None:
            body["email_reply_to_id"] = ENV["REPLY_TO_ID"]
    if kind == "sms":
        body["phone_number"] = "07700900123"
        if body.get("sms_sender_id") is not None:
            body["sms_sender_id"] = ENV["SMS_SENDER_ID"]
    return None
