import { NotifyClient } from "notifications-node-client";

// The client talks to GOV.UK Notify unless it is given this service's address first.
const client = new NotifyClient(process.env.NOTIFY_BASE_URL, process.env.NOTIFY_API_KEY);

const response = await client.sendEmail(process.env.EMAIL_TEMPLATE_ID, "amala@example.com", {
  personalisation: { name: "Amala" },
  reference: "appointment-1234",
});
console.log(response.data.id);
