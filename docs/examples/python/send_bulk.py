import os

from notifications_python_client.notifications import NotificationsAPIClient

client = NotificationsAPIClient(os.environ["NOTIFY_API_KEY"], base_url=os.environ["NOTIFY_BASE_URL"])

# The client has no method for this endpoint; its `post` signs the request
# with the key as every other call does.
response = client.post(
    "/v2/notifications/bulk",
    {
        "name": "December reminders",
        "template_id": os.environ["EMAIL_TEMPLATE_ID"],
        "rows": [
            ["email address", "name"],
            ["amala@example.com", "Amala"],
            ["ben@example.com", "Ben"],
        ],
    },
)
job = response["data"]
print(job["id"])

# How far it has got: its messages by status.
progress = client.get(f"/v2/notifications/bulk/{job['id']}")
print(progress["data"]["job_status"], progress["data"]["statistics"])
