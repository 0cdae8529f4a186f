//! The two databases behind [`Store`](super::Store): SQLite (the embedded
//! default) and PostgreSQL (for several instances), and the means to write
//! a store function once for both.
//!
//! Most of the store's SQL is the same on both: `$1` placeholders (which
//! sqlx's SQLite driver takes as well as `?`), `ON CONFLICT`, `RETURNING`,
//! `TRUE`/`FALSE`, `lower(…)` for case, and numbers that are 64-bit on both
//! (PostgreSQL's `bigint`). Such a function is written once
//! with [`on_backend!`] (or [`on_tx!`] inside a transaction): its body is
//! compiled once per backend, each against its own sqlx driver, so no
//! generic bounds over `sqlx::Database` are needed and each backend's
//! types are checked. Where the dialects differ, the function matches on
//! the backend and says why.
//!
//! Ids are `uuid` on PostgreSQL and text on SQLite. Bound as [`Id`], an id
//! is sent to PostgreSQL as a `uuid`; read back, a shared statement casts it
//! to text (`CAST(id AS TEXT)`, the hyphenated form `Uuid::to_string` makes).
//!
//! A few functions differ between the dialects beyond the SQL (the
//! callbacks' outbox, read by `rowid` on SQLite and by `seq`, with leases,
//! on PostgreSQL): they answer PostgreSQL first ([`Store::postgres`](super::Store::postgres))
//! and go on in SQLite's own dialect ([`Store::sqlite_arm`](super::Store::sqlite_arm)).

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo};
use sqlx::{Encode, PgPool, Postgres, Sqlite, SqlitePool, Type};

/// The database a store runs on.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction on either backend ([`super::Store::begin_write`]).
pub(crate) enum WriteTx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl WriteTx {
    pub(crate) async fn commit(self) -> sqlx::Result<()> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await,
            WriteTx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Which backend a transaction type belongs to, for a [`tx_methods!`] body
/// whose SQL differs between the two (`<Self as Dialect>::POSTGRES`).
pub(crate) trait Dialect {
    const POSTGRES: bool;
}

impl Dialect for sqlx::Transaction<'static, Sqlite> {
    const POSTGRES: bool = false;
}

impl Dialect for sqlx::Transaction<'static, Postgres> {
    const POSTGRES: bool = true;
}

/// `$body` with `$db` bound to the store's pool, compiled for each backend.
/// Both arms must answer the same type: rows decoded into Rust types do; an
/// `execute` answers its rows affected (`.map(|done| done.rows_affected())`),
/// as each driver has its own result type.
macro_rules! on_backend {
    ($store:expr, |$db:ident| $body:expr) => {
        match &$store.backend {
            $crate::ssr::store::backend::Backend::Sqlite($db) => $body,
            $crate::ssr::store::backend::Backend::Postgres($db) => $body,
        }
    };
}
pub(crate) use on_backend;

/// `$body` with `$tx` bound to the write transaction of either backend
/// (`&mut sqlx::Transaction<'static, _>`), compiled for each backend.
macro_rules! on_tx {
    ($write:expr, |$tx:ident| $body:expr) => {
        match $write {
            $crate::ssr::store::backend::WriteTx::Sqlite($tx) => $body,
            $crate::ssr::store::backend::WriteTx::Postgres($tx) => $body,
        }
    };
}
pub(crate) use on_tx;

/// An id bound to a statement: text on SQLite, `uuid` on PostgreSQL.
///
/// A text that is not a UUID is sent to PostgreSQL as the nil UUID, which
/// no row has (ids are random, version 4 or 7): a look-up by a malformed id
/// finds nothing on both backends alike, rather than failing on one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Id<'a>(pub &'a str);

impl Type<Sqlite> for Id<'_> {
    fn type_info() -> SqliteTypeInfo {
        <str as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Id<'_> {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <&str as Encode<Sqlite>>::encode_by_ref(&self.0, buf)
    }
}

impl Type<Postgres> for Id<'_> {
    fn type_info() -> PgTypeInfo {
        // `uuid`'s type id (sqlx's `uuid` feature is off: ids stay text in Rust).
        PgTypeInfo::with_oid(sqlx::postgres::types::Oid(2950))
    }
}

impl Encode<'_, Postgres> for Id<'_> {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let id = uuid::Uuid::parse_str(self.0).unwrap_or(uuid::Uuid::nil());
        buf.extend_from_slice(id.as_bytes());
        Ok(IsNull::No)
    }

    fn size_hint(&self) -> usize {
        16
    }
}

/// Store helpers that run inside a write transaction, written once for both
/// backends: declares the trait `$Trait` with these methods and implements
/// it for each backend's transaction (each body compiled against its own
/// driver; inside it, `self` is the transaction, `&mut **self` its
/// connection). A function given either backend's transaction (an
/// [`on_tx!`] body) calls them as methods.
macro_rules! tx_methods {
    (
        $(#[$meta:meta])* $vis:vis trait $Trait:ident {
            $(
                $(#[$fmeta:meta])*
                async fn $name:ident(&mut $self:ident $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty $body:block
            )*
        }
    ) => {
        $(#[$meta])*
        $vis trait $Trait: Send {
            $(
                $(#[$fmeta])*
                fn $name(&mut $self $(, $arg: $ty)*) -> impl std::future::Future<Output = $ret> + Send;
            )*
        }
        $crate::ssr::store::backend::tx_methods!(@impl sqlx::Sqlite, $Trait {
            $( fn $name(&mut $self $(, $arg: $ty)*) -> $ret $body )*
        });
        $crate::ssr::store::backend::tx_methods!(@impl sqlx::Postgres, $Trait {
            $( fn $name(&mut $self $(, $arg: $ty)*) -> $ret $body )*
        });
    };
    (@impl $db:ty, $Trait:ident {
        $( fn $name:ident(&mut $self:ident $(, $arg:ident : $ty:ty)*) -> $ret:ty $body:block )*
    }) => {
        impl $Trait for sqlx::Transaction<'static, $db> {
            $(
                #[allow(clippy::manual_async_fn)]
                fn $name(&mut $self $(, $arg: $ty)*) -> impl std::future::Future<Output = $ret> + Send {
                    async move $body
                }
            )*
        }
    };
}
pub(crate) use tx_methods;
