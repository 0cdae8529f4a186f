import os

from notifications_python_client.notifications import NotificationsAPIClient

# The client talks to GOV.UK Notify unless it is given this service's address.
client = NotificationsAPIClient(os.environ["NOTIFY_API_KEY"], base_url=os.environ["NOTIFY_BASE_URL"])

response = client.send_email_notification(
    email_address="amala@example.com",
    template_id=os.environ["EMAIL_TEMPLATE_ID"],
    personalisation={"name": "Amala"},
    reference="appointment-1234",
)
print(response["id"])
