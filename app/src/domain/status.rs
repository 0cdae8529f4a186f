//! A notification's status: what is stored, how Notify shows it, and which
//! stored statuses a client's `status=` filter covers.

use super::permission::string_enum;
use super::TemplateType;

string_enum! {
    /// A stored status, as Notify stores them (in the order Notify lists
    /// them in its error messages).
    NotificationStatus {
        Cancelled => "cancelled",
        Created => "created",
        Sending => "sending",
        Sent => "sent",
        Delivered => "delivered",
        Pending => "pending",
        TechnicalFailure => "technical-failure",
        TemporaryFailure => "temporary-failure",
        PermanentFailure => "permanent-failure",
        PendingVirusCheck => "pending-virus-check",
        ValidationFailed => "validation-failed",
        VirusScanFailed => "virus-scan-failed",
        ReturnedLetter => "returned-letter",
    }
}

impl NotificationStatus {
    /// A final status: the notification will not change again (and a
    /// delivery receipt is due).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::TechnicalFailure | Self::TemporaryFailure | Self::PermanentFailure)
    }

    /// The status after a provider reports `reported` on a message in this
    /// status (a delivery receipt), as Notify's
    /// `update_notification_status_by_id` decides: `None` when the report
    /// changes nothing (the message has its final status already, was never
    /// with a provider, or the report says what it is). A permanent failure
    /// after `pending` (the network held it, then gave up) is a temporary
    /// failure.
    pub fn after_report(self, reported: Self) -> Option<Self> {
        if !matches!(self, Self::Created | Self::Sending | Self::Sent | Self::Pending) {
            return None;
        }
        if !(reported.is_final() || reported == Self::Pending) {
            return None;
        }
        let next = match (self, reported) {
            (Self::Pending, Self::PermanentFailure) => Self::TemporaryFailure,
            (_, r) => r,
        };
        (next != self).then_some(next)
    }

    /// How Notify shows it: letters read `accepted` while on their way and
    /// `received` once delivered (or returned); other types as stored.
    pub fn shown(self, notification_type: TemplateType) -> &'static str {
        match (notification_type, self) {
            (TemplateType::Letter, Self::Created | Self::Sending) => "accepted",
            (TemplateType::Letter, Self::Delivered | Self::ReturnedLetter) => "received",
            _ => self.as_str(),
        }
    }

    /// The stored statuses a `status=` filter of `GET /v2/notifications`
    /// covers: itself, or for Notify's aliases `failed` (every failure),
    /// `accepted` and `received` (letters' shown statuses). `None`: not a
    /// status a client may ask for.
    pub fn covered_by(filter: &str) -> Option<Vec<Self>> {
        Some(match filter {
            "failed" => vec![Self::TechnicalFailure, Self::TemporaryFailure, Self::PermanentFailure],
            "accepted" => vec![Self::Created, Self::Sending],
            "received" => vec![Self::Delivered],
            other => vec![Self::parse(other)?],
        })
    }

    /// Every value `status=` accepts, in Notify's order, for its error message.
    pub fn filter_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Self::ALL.iter().map(|s| s.as_str()).collect();
        // Notify lists `failed` among the stored ones, and its letter aliases last.
        let at = names.iter().position(|n| *n == "pending").map_or(names.len(), |i| i + 1);
        names.insert(at, "failed");
        names.extend(["accepted", "received"]);
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_failure_after_pending_is_temporary() {
        use NotificationStatus::*;
        assert_eq!(Sending.after_report(Delivered), Some(Delivered));
        assert_eq!(Sending.after_report(Pending), Some(Pending));
        assert_eq!(Sending.after_report(PermanentFailure), Some(PermanentFailure));
        assert_eq!(Pending.after_report(PermanentFailure), Some(TemporaryFailure));
        assert_eq!(Pending.after_report(Delivered), Some(Delivered));
        assert_eq!(Pending.after_report(Pending), None);
        // Late or repeated receipts change nothing.
        assert_eq!(Delivered.after_report(PermanentFailure), None);
        assert_eq!(PermanentFailure.after_report(Delivered), None);
    }

    proptest! {
        /// A report never moves a final status, never moves a message back
        /// to waiting for its provider, and always ends in what a receipt
        /// can say.
        #[test]
        fn reports_only_move_forward(i in 0..NotificationStatus::ALL.len(), j in 0..NotificationStatus::ALL.len()) {
            let (current, reported) = (NotificationStatus::ALL[i], NotificationStatus::ALL[j]);
            if let Some(next) = current.after_report(reported) {
                prop_assert!(!current.is_final());
                prop_assert!(next.is_final() || next == NotificationStatus::Pending);
                prop_assert_ne!(next, current);
                // Only the pending rule rewrites what was reported.
                prop_assert!(next == reported
                    || (current == NotificationStatus::Pending
                        && reported == NotificationStatus::PermanentFailure
                        && next == NotificationStatus::TemporaryFailure));
            } else {
                prop_assert!(current.is_final()
                    || reported == current
                    || !(reported.is_final() || reported == NotificationStatus::Pending)
                    || !matches!(current, NotificationStatus::Created | NotificationStatus::Sending
                        | NotificationStatus::Sent | NotificationStatus::Pending));
            }
        }
    }

    #[test]
    fn letters_read_as_accepted_then_received() {
        use NotificationStatus::*;
        assert_eq!(Created.shown(TemplateType::Letter), "accepted");
        assert_eq!(Sending.shown(TemplateType::Letter), "accepted");
        assert_eq!(Delivered.shown(TemplateType::Letter), "received");
        assert_eq!(PermanentFailure.shown(TemplateType::Letter), "permanent-failure");
        assert_eq!(Created.shown(TemplateType::Email), "created");
        assert_eq!(Delivered.shown(TemplateType::Sms), "delivered");
    }

    #[test]
    fn failed_covers_every_failure() {
        use NotificationStatus::*;
        assert_eq!(
            NotificationStatus::covered_by("failed"),
            Some(vec![TechnicalFailure, TemporaryFailure, PermanentFailure])
        );
        assert_eq!(NotificationStatus::covered_by("delivered"), Some(vec![Delivered]));
        assert_eq!(NotificationStatus::covered_by("accepted"), Some(vec![Created, Sending]));
        assert_eq!(NotificationStatus::covered_by("nonsense"), None);
    }

    #[test]
    fn the_filter_names_are_notifys() {
        assert_eq!(
            NotificationStatus::filter_names().join(", "),
            "cancelled, created, sending, sent, delivered, pending, failed, technical-failure, temporary-failure, \
             permanent-failure, pending-virus-check, validation-failed, virus-scan-failed, returned-letter, \
             accepted, received"
        );
    }

    proptest! {
        #[test]
        fn stored_names_round_trip(i in 0usize..13) {
            let s = NotificationStatus::ALL[i];
            prop_assert_eq!(NotificationStatus::parse(s.as_str()), Some(s));
            prop_assert_eq!(NotificationStatus::covered_by(s.as_str()), Some(vec![s]));
        }

        #[test]
        fn parse_never_panics(s in ".*") {
            let _ = NotificationStatus::parse(&s);
            let _ = NotificationStatus::covered_by(&s);
        }
    }
}
