import { NotifyClient } from "notifications-node-client";

const client = new NotifyClient(process.env.NOTIFY_BASE_URL, process.env.NOTIFY_API_KEY);

const notification = await client.getNotificationById(process.env.NOTIFICATION_ID);
console.log(notification.data.status);

// The newest page of emails sent with this key's type; `links.next` leads to the next.
const page = await client.getNotifications("email");
for (const message of page.data.notifications) {
  console.log(message.id, message.status);
}
