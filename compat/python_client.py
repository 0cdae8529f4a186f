"""GOV.UK Notify's official Python client (notifications-python-client 13)
against this server. Prints one line per check and a closing
'N passed, N failed' line; exits non-zero on any failure."""

import os
import sys
import time
import traceback

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

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
    email = client["test"].send_email_notification(
        email_address="anyone@example.com", template_id=t["email"]["id"], personalisation={"name": "Ada"}, reference="py-email"
    )
    assert email["content"]["subject"] == "Your appointment, Ada", email
    sms = client["test"].send_sms_notification(
        phone_number="07700 900123", template_id=t["sms"]["id"], personalisation={"name": "Ada"}
    )
    assert sms["content"]["body"].startswith("Hello Ada"), sms
    letter = client["test"].send_letter_notification(
        template_id=t["letter"]["id"],
        personalisation={"name": "Ada", "address_line_1": "Ada Lovelace", "address_line_2": "1 Street", "address_line_3": "SW1A 1AA"},
    )
    n = wait_for_status(client["test"], email["id"], "delivered")
    assert n["email_address"] == "anyone@example.com" and n["reference"] == "py-email"
    assert wait_for_status(client["test"], sms["id"], "delivered")["phone_number"] == "+447700900123"
    assert client["test"].get_notification_by_id(letter["id"])["type"] == "letter"


@check
def iterate_every_notification_across_pages():
    t = templates_of(client["test"])
    for i in range(260):
        client["test"].send_sms_notification(
            phone_number="07700900123", template_id=t["sms"]["id"], personalisation={"name": f"n{i}"}, reference="paged"
        )
    first = client["test"].get_all_notifications(reference="paged")
    assert len(first["notifications"]) == 250, len(first["notifications"])
    assert "older_than=" in first["links"]["next"]
    seen = [n["id"] for n in client["test"].get_all_notifications_iterator(reference="paged")]
    assert len(seen) == 260 and len(set(seen)) == 260, len(seen)


@check
def templates_versions_and_preview():
    t = templates_of(client["test"])
    email = client["test"].get_template(t["email"]["id"])
    assert email["personalisation"] == {"name": {"required": True}}
    assert client["test"].get_template_version(t["email"]["id"], 1)["version"] == 1
    preview = client["test"].post_template_preview(t["email"]["id"], personalisation={"name": "Ada"})
    assert preview["subject"] == "Your appointment, Ada", preview
    assert len(client["test"].get_all_templates(template_type="sms")["templates"]) == 1


@check
def received_text_messages_is_an_empty_list():
    assert client["test"].get_received_texts()["received_text_messages"] == []
    assert list(client["test"].get_received_texts_iterator()) == []


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
