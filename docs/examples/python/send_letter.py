import os

from notifications_python_client.notifications import NotificationsAPIClient

client = NotificationsAPIClient(os.environ["NOTIFY_API_KEY"], base_url=os.environ["NOTIFY_BASE_URL"])

response = client.send_letter_notification(
    template_id=os.environ["LETTER_TEMPLATE_ID"],
    personalisation={
        "address_line_1": "Amala Bird",
        "address_line_2": "123 High Street",
        "address_line_3": "SW14 6BH",
        "name": "Amala",
    },
    reference="letter-1234",
)
print(response["id"])
