"""GOV.UK Notify's official Python client (notifications-python-client 13)
against this server. Prints one line per check and a closing
'N passed, N failed' line; exits non-zero on any failure."""

import io
import json
import os
import sys
import time
import traceback

from jsonschema import Draft4Validator
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

with open(os.path.join(os.path.dirname(__file__), "notify-response-schemas.json")) as f:
    SCHEMAS = json.load(f)


def conforms(answer, schema_name):
    """Checks an answer against Notify's published response schema."""
    Draft4Validator({**SCHEMAS, "$ref": f"#/schemas/{schema_name}"}).validate(answer)
    return answer


BASE = os.environ["NOTIFY_BASE_URL"]
KEYS = {name: os.environ[f"KEY_{name.upper()}"] for name in ("test", "team", "trial_live", "revoked", "limited")}
client = {name: NotificationsAPIClient(key, base_url=BASE) for name, key in KEYS.items()}
checks = []


def check(fn):
    checks.append(fn)
    return fn


def templates_of(c):
    return {t["type"]: t for t in c.get_all_templates()["templates"]}


def expect_error(call, status, message):
    try:
        call()
    except HTTPError as e:
        assert e.status_code == status, f"status {e.status_code}, wanted {status}: {e.message}"
        messages = [m["message"] for m in e.message] if isinstance(e.message, list) else [e.message]
        assert message in messages, f"{messages!r} does not include {message!r}"
        return
    raise AssertionError(f"no error; wanted {status} {message!r}")


def wait_for_status(c, notification_id, wanted):
    for _ in range(50):
        n = c.get_notification_by_id(notification_id)
        if n["status"] == wanted:
            return n
        time.sleep(0.1)
    raise AssertionError(f"{notification_id} never became {wanted}; last {n['status']}")


@check
def send_each_channel_and_read_it_back():
    t = templates_of(client["test"])
    email = conforms(client["test"].send_email_notification(
        email_address="anyone@example.com", template_id=t["email"]["id"], personalisation={"name": "Ada"}, reference="py-email"
    ), "post_email_response")
    assert email["content"]["subject"] == "Your appointment, Ada", email
    assert email["sanitised_content"] == {}, email
    sms = conforms(client["test"].send_sms_notification(
        phone_number="07700 900123", template_id=t["sms"]["id"], personalisation={"name": "Ada"}
    ), "post_sms_response")
    # The template was saved with `\r\n`: a text message's body has `\n`.
    assert sms["content"]["body"] == "Hello Ada,\nthis is a reminder of your appointment.", sms
    letter = conforms(client["test"].send_letter_notification(
        template_id=t["letter"]["id"],
        personalisation={"name": "Ada", "address_line_1": "Ada Lovelace", "address_line_2": "1 Street", "address_line_3": "SW1A 1AA"},
    ), "post_letter_response")
    n = conforms(wait_for_status(client["test"], email["id"], "delivered"), "get_notification_response")
    assert n["email_address"] == "anyone@example.com" and n["reference"] == "py-email"
    read_sms = conforms(wait_for_status(client["test"], sms["id"], "delivered"), "get_notification_response")
    assert read_sms["phone_number"] == "+447700900123"
    assert read_sms["body"] == "Hello Ada,\nthis is a reminder of your appointment.", read_sms
    assert conforms(client["test"].get_notification_by_id(letter["id"]), "get_notification_response")["type"] == "letter"


@check
def a_letter_with_a_postcode_counts_it_as_a_line():
    t = templates_of(client["test"])
    letter = conforms(client["test"].send_letter_notification(
        template_id=t["letter"]["id"],
        personalisation={"name": "Ada", "address_line_1": "Ada Lovelace", "address_line_2": "1 Street", "postcode": "SW1A 1AA"},
    ), "post_letter_response")
    n = conforms(client["test"].get_notification_by_id(letter["id"]), "get_notification_response")
    assert n["line_1"] == "Ada Lovelace" and n["postcode"] == "SW1A 1AA", n


def pdf_when_ready(c, notification_id):
    for _ in range(100):
        try:
            return c.get_pdf_for_letter(notification_id).read()
        except HTTPError as e:
            messages = [m["message"] for m in e.message] if isinstance(e.message, list) else [e.message]
            assert e.status_code == 400 and "PDF not available yet, try again later" in messages, messages
            time.sleep(0.1)
    raise AssertionError(f"the PDF of {notification_id} was never ready")


@check
def letter_pdfs_and_precompiled_letters():
    t = templates_of(client["test"])
    letter = client["test"].send_letter_notification(
        template_id=t["letter"]["id"],
        personalisation={"name": "Ada", "address_line_1": "Ada Lovelace", "address_line_2": "1 Street", "postcode": "SW1A 1AA"},
    )
    drawn = pdf_when_ready(client["test"], letter["id"])
    assert drawn.startswith(b"%PDF-"), drawn[:20]
    # The templated letter's PDF is a valid one-page A4 letter: send it back
    # as a precompiled letter, then read it back again.
    sent = conforms(client["test"].send_precompiled_letter_notification(reference="py-pdf", pdf_file=io.BytesIO(drawn)),
                    "post_precompiled_letter_response")
    assert sent["reference"] == "py-pdf" and sent["postage"] == "second", sent
    first = conforms(client["test"].send_precompiled_letter_notification(
        reference="py-pdf-first", pdf_file=io.BytesIO(drawn), postage="first"), "post_precompiled_letter_response")
    assert first["postage"] == "first", first
    assert pdf_when_ready(client["test"], sent["id"]) == drawn
    n = conforms(client["test"].get_notification_by_id(sent["id"]), "get_notification_response")
    assert n["type"] == "letter" and n["status"] in ("accepted", "received"), n
    # A file that is not a PDF is taken, then fails validation.
    bad = client["test"].send_precompiled_letter_notification(reference="py-bad", pdf_file=io.BytesIO(b"not a pdf"))
    wait_for_status(client["test"], bad["id"], "validation-failed")


@check
def iterate_every_notification_across_pages():
    t = templates_of(client["test"])
    for i in range(260):
        client["test"].send_sms_notification(
            phone_number="07700900123", template_id=t["sms"]["id"], personalisation={"name": f"n{i}"}, reference="paged"
        )
    first = conforms(client["test"].get_all_notifications(reference="paged"), "get_notifications_response")
    assert len(first["notifications"]) == 250, len(first["notifications"])
    assert "older_than=" in first["links"]["next"]
    seen = [n["id"] for n in client["test"].get_all_notifications_iterator(reference="paged")]
    assert len(seen) == 260 and len(set(seen)) == 260, len(seen)


@check
def templates_versions_and_preview():
    t = templates_of(client["test"])
    email = conforms(client["test"].get_template(t["email"]["id"]), "get_template_by_id_response")
    assert email["personalisation"] == {"name": {"required": True}}
    assert email["created_by"] == "admin@example.gov.uk", email
    assert conforms(client["test"].get_template_version(t["email"]["id"], 1), "get_template_by_id_response")["version"] == 1
    preview = conforms(client["test"].post_template_preview(t["email"]["id"], personalisation={"name": "Ada"}),
                       "post_template_preview_response")
    assert preview["subject"] == "Your appointment, Ada", preview
    assert len(conforms(client["test"].get_all_templates(template_type="sms"), "get_all_template_response")["templates"]) == 1
    letter = conforms(client["test"].get_template(t["letter"]["id"]), "get_template_by_id_response")
    assert letter["letter_contact_block"].startswith("Appointments team"), letter
    # Made without a contact block (version 1), then given one (version 2):
    # each version has the one it chose.
    v1 = conforms(client["test"].get_template_version(t["letter"]["id"], 1), "get_template_by_id_response")
    assert v1["letter_contact_block"] is None, v1
    v2 = conforms(client["test"].get_template_version(t["letter"]["id"], 2), "get_template_by_id_response")
    assert v2["letter_contact_block"] == letter["letter_contact_block"], v2
    assert letter["version"] == 2, letter
    everything = conforms(client["test"].get_all_templates(), "get_all_template_response")
    assert "Pre-compiled PDF" not in [x["name"] for x in everything["templates"]]


@check
def received_text_messages_with_paging():
    page = conforms(client["test"].get_received_texts(), "get_inbound_sms_response")
    texts = page["received_text_messages"]
    assert any(x["content"] == os.environ["RECEIVED_TEXT"] for x in texts), texts
    assert texts[0]["notify_number"] == "07700900500", texts
    assert "older_than=" in page["links"]["next"]
    assert [x["id"] for x in client["test"].get_received_texts_iterator()] == [x["id"] for x in texts]
    last = conforms(client["test"].get_received_texts(older_than=texts[-1]["id"]), "get_inbound_sms_response")
    assert last["received_text_messages"] == [], last


@check
def reply_to_addresses_senders_and_sanitised_content():
    t = templates_of(client["test"])
    email = conforms(client["test"].send_email_notification(
        email_address="anyone@example.com", template_id=t["email"]["id"], personalisation={"name": "[Ada](https://evil.example)"},
        email_reply_to_id=os.environ["REPLY_TO_ID"], sanitise_content_for=["name"],
    ), "post_email_response")
    changed = email["sanitised_content"]["name"]
    assert changed["unsanitised"] == "[Ada](https://evil.example)" and "evil.example" not in changed["sanitised"], changed
    sms = conforms(client["test"].send_sms_notification(
        phone_number="07700900123", template_id=t["sms"]["id"], personalisation={"name": "Ada"}, sms_sender_id=os.environ["SMS_SENDER_ID"]
    ), "post_sms_response")
    assert sms["content"]["from_number"] == os.environ["SMS_SENDER"], sms
    unknown = "5e6e0a4a-0000-4000-8000-000000000000"
    expect_error(
        lambda: client["test"].send_email_notification(
            email_address="anyone@example.com", template_id=t["email"]["id"], personalisation={"name": "x"}, email_reply_to_id=unknown),
        400, f"email_reply_to_id {unknown} does not exist in database for service id {os.environ['LIVE_SERVICE_ID']}",
    )
    expect_error(
        lambda: client["test"].send_sms_notification(
            phone_number="07700900123", template_id=t["sms"]["id"], personalisation={"name": "x"}, sms_sender_id=unknown),
        400, f"sms_sender_id {unknown} does not exist in database for service id {os.environ['LIVE_SERVICE_ID']}",
    )


@check
def refusals_surface_as_http_errors_with_notifys_message():
    t = templates_of(client["test"])
    wrong = NotificationsAPIClient(KEYS["test"][:-36] + "0" * 36, base_url=BASE)
    expect_error(lambda: wrong.get_all_templates(), 403, "Invalid token: API key not found")
    expect_error(lambda: client["revoked"].get_all_templates(), 403, "Invalid token: API key revoked")
    expect_error(
        lambda: client["team"].send_email_notification(email_address="stranger@example.com", template_id=t["email"]["id"], personalisation={"name": "x"}),
        400, "Can’t send to this recipient using a team-only API key",
    )
    expect_error(
        lambda: client["team"].send_letter_notification(template_id=t["letter"]["id"], personalisation={"name": "x", "address_line_1": "a", "address_line_2": "b", "address_line_3": "c"}),
        403, "Cannot send letters with a team api key",
    )
    trial_t = templates_of(client["trial_live"])
    expect_error(
        lambda: client["trial_live"].send_sms_notification(phone_number="07700900999", template_id=trial_t["sms"]["id"], personalisation={"name": "x"}),
        400, "Can’t send to this recipient when service is in trial mode – see https://www.notifications.service.gov.uk/trial-mode",
    )
    expect_error(
        lambda: client["trial_live"].send_letter_notification(template_id=trial_t["letter"]["id"], personalisation={"name": "x", "address_line_1": "a", "address_line_2": "b", "address_line_3": "c"}),
        403, "Cannot send letters when service is in trial mode",
    )
    limited_t = templates_of(client["limited"])
    expect_error(
        lambda: client["limited"].send_letter_notification(template_id=limited_t["sms"]["id"], personalisation={"name": "x", "address_line_1": "a", "address_line_2": "b", "address_line_3": "c"}),
        400, "Service is not allowed to send letters",
    )
    expect_error(
        lambda: client["test"].send_email_notification(email_address="a@example.com", template_id=t["email"]["id"]),
        400, "Missing personalisation: name",
    )
    expect_error(
        lambda: client["test"].send_email_notification(email_address="a@example.com", template_id=t["sms"]["id"], personalisation={"name": "x"}),
        400, "sms template is not suitable for email notification",
    )
    expect_error(lambda: client["test"].get_notification_by_id("not-a-uuid"), 400, "notification_id is not a valid UUID")
    expect_error(lambda: client["test"].get_notification_by_id("5e6e0a4a-0000-4000-8000-000000000000"), 404, "No result found")
    # The limited key's service allows one email a day.
    send = lambda: client["limited"].send_email_notification(email_address="admin@example.gov.uk", template_id=limited_t["email"]["id"], personalisation={"name": "x"})
    send()
    expect_error(send, 429, "Exceeded send limits (email: 1) for today")


passed = failed = 0
for fn in checks:
    try:
        fn()
        passed += 1
        print(f"ok     python: {fn.__name__}")
    except Exception:
        failed += 1
        print(f"FAILED python: {fn.__name__}")
        traceback.print_exc()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
