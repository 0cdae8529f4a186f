import os

from notifications_python_client.notifications import NotificationsAPIClient

client = NotificationsAPIClient(os.environ["NOTIFY_API_KEY"], base_url=os.environ["NOTIFY_BASE_URL"])

notification = client.get_notification_by_id(os.environ["NOTIFICATION_ID"])
print(notification["status"])

# Every message sent with this key's type, newest first (the client follows the pages).
for message in client.get_all_notifications_iterator(template_type="email"):
    print(message["id"], message["status"])
