import os

from notifications_python_client.notifications import NotificationsAPIClient

client = NotificationsAPIClient(os.environ["NOTIFY_API_KEY"], base_url=os.environ["NOTIFY_BASE_URL"])

response = client.send_sms_notification(
    phone_number="07700900123",
    template_id=os.environ["SMS_TEMPLATE_ID"],
    personalisation={"name": "Amala"},
)
print(response["content"]["body"])
