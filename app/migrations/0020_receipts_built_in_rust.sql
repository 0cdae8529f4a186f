-- Delivery receipts are built by the code that changes a status
-- (`store::queue_receipts_in`, in the same transaction), not by a trigger:
-- one implementation for every database backend (issue 20), the payload
-- built once, in Rust, with Notify's fields in Notify's order. The events are
-- the same: one per change to a final status, for a service with a
-- delivery-status callback, parked while the callback is paused.
DROP TRIGGER notifications_delivery_receipt;
