//! How a notification's status is shown, in the admin and by the v2 API.

/// Letters are shown as `accepted` while on their way and `received` once
/// delivered (or returned), as Notify shows them; other types as stored.
pub fn shown_status(notification_type: &str, status: &str) -> String {
    match (notification_type, status) {
        ("letter", "created" | "sending") => "accepted".into(),
        ("letter", "delivered" | "returned-letter") => "received".into(),
        _ => status.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_read_as_accepted_then_received() {
        assert_eq!(shown_status("letter", "created"), "accepted");
        assert_eq!(shown_status("letter", "sending"), "accepted");
        assert_eq!(shown_status("letter", "delivered"), "received");
        assert_eq!(shown_status("letter", "permanent-failure"), "permanent-failure");
        assert_eq!(shown_status("email", "created"), "created");
        assert_eq!(shown_status("sms", "delivered"), "delivered");
    }
}
