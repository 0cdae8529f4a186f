import { NotifyClient } from "notifications-node-client";

const client = new NotifyClient(process.env.NOTIFY_BASE_URL, process.env.NOTIFY_API_KEY);

// The client has no method for this endpoint; its `apiClient.post` signs
// the request with the key as every other call does.
const response = await client.apiClient.post("/v2/notifications/bulk", {
  name: "December reminders",
  template_id: process.env.EMAIL_TEMPLATE_ID,
  csv: "email address,name\namala@example.com,Amala\nben@example.com,Ben\n",
});
const job = response.data.data;
console.log(job.id);

// How far it has got: its messages by status.
const progress = await client.apiClient.get(`/v2/notifications/bulk/${job.id}`);
console.log(progress.data.data.job_status, progress.data.data.statistics);
