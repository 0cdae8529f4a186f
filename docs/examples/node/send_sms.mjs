import { NotifyClient } from "notifications-node-client";

const client = new NotifyClient(process.env.NOTIFY_BASE_URL, process.env.NOTIFY_API_KEY);

const response = await client.sendSms(process.env.SMS_TEMPLATE_ID, "07700900123", {
  personalisation: { name: "Amala" },
});
console.log(response.data.content.body);
