import { NotifyClient } from "notifications-node-client";

const client = new NotifyClient(process.env.NOTIFY_BASE_URL, process.env.NOTIFY_API_KEY);

const response = await client.sendLetter(process.env.LETTER_TEMPLATE_ID, {
  personalisation: {
    address_line_1: "Amala Bird",
    address_line_2: "123 High Street",
    address_line_3: "SW14 6BH",
    name: "Amala",
  },
  reference: "letter-1234",
});
console.log(response.data.id);
