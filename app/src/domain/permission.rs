//! What a user may do in a service, and what a service may send.

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum! {
    /// A user's permission on one service.
    Permission {
        ManageApiKeys => "manage_api_keys",
        ViewActivity => "view_activity",
        SendMessages => "send_messages",
        ManageService => "manage_service",
        ManageTemplates => "manage_templates",
    }
}

string_enum! {
    /// What a service is allowed to send or receive.
    ServicePermission {
        Email => "email",
        Sms => "sms",
        Letter => "letter",
        InboundSms => "inbound_sms",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_round_trips() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(*p));
        }
        for p in ServicePermission::ALL {
            assert_eq!(ServicePermission::parse(p.as_str()), Some(*p));
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        assert_eq!(Permission::parse("admin"), None);
        assert_eq!(ServicePermission::parse("EMAIL"), None);
    }
}
