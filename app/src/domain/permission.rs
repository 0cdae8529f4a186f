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

        $crate::domain::permission::stored_as_text!($name);
    };
}
pub(crate) use string_enum;

/// Stores a string enum as its text (on SQLite and PostgreSQL), so rows decode straight into
/// the domain type (a value the type does not know is a decoding error).
#[cfg(feature = "ssr")]
macro_rules! stored_as_text {
    ($name:ident) => {
        impl sqlx::Type<sqlx::Sqlite> for $name {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <str as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $name {
            fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Sqlite>>::decode(value)?;
                $name::parse(text).ok_or_else(|| format!("{} is not a {}", text, stringify!($name)).into())
            }
        }

        impl sqlx::Encode<'_, sqlx::Sqlite> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Sqlite as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Sqlite>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                $name::parse(text).ok_or_else(|| format!("{} is not a {}", text, stringify!($name)).into())
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Postgres as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }
    };
}
#[cfg(not(feature = "ssr"))]
macro_rules! stored_as_text {
    ($name:ident) => {};
}
pub(crate) use stored_as_text;

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

impl Permission {
    /// Notify's order on its team pages.
    pub const NOTIFY_ORDER: [Permission; 5] = [
        Permission::ManageService,
        Permission::ViewActivity,
        Permission::SendMessages,
        Permission::ManageTemplates,
        Permission::ManageApiKeys,
    ];

    /// How Notify's team pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Permission::ManageService => "Manage settings, team and usage",
            Permission::ViewActivity => "See dashboard",
            Permission::SendMessages => "Send messages",
            Permission::ManageTemplates => "Add and edit templates",
            Permission::ManageApiKeys => "Manage API integration",
        }
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
