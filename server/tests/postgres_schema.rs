//! The PostgreSQL store's schema (`app/migrations-postgres`) against the
//! SQLite store's (`app/migrations`), on a throwaway cluster: the migrations
//! run, and both end with the same tables, the same columns each with the
//! same nullability, and the same named indexes (but for the few columns
//! PostgreSQL alone needs, named here). A migration added to one store and
//! not the other fails here.

mod common;

use sqlx::Connection;
use std::collections::BTreeSet;

/// (table, column, nullable) and index names of a fresh SQLite store.
async fn sqlite_schema() -> (BTreeSet<(String, String, bool)>, BTreeSet<String>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("notify.db").display());
    let pool = app::ssr::store::connect(&url).await.unwrap();
    let db = pool.sqlite().unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut columns = BTreeSet::new();
    for (table,) in tables {
        let rows: Vec<(String, bool, i64)> = sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info(?)")
            .bind(&table)
            .fetch_all(db)
            .await
            .unwrap();
        for (column, not_null, pk) in rows {
            // A primary key column is never null (SQLite only enforces it
            // when declared, and every one here is).
            columns.insert((table.clone(), column, !(not_null || pk > 0)));
        }
    }
    let indexes: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .fetch_all(db)
            .await
            .unwrap();
    (columns, indexes.into_iter().map(|(n,)| n).collect())
}

#[tokio::test]
async fn the_postgres_schema_matches_the_sqlite_schema() {
    let pg = common::postgres::Postgres::start();
    let mut conn = sqlx::PgConnection::connect_with(&pg.options("postgres")).await.unwrap();
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app/migrations-postgres");
    let migrator = sqlx::migrate::Migrator::new(migrations).await.unwrap();
    migrator.run(&mut conn).await.unwrap();
    // Run again: nothing to do, nothing fails.
    migrator.run(&mut conn).await.unwrap();

    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let pg_columns: BTreeSet<(String, String, bool)> = rows.into_iter().map(|(t, c, n)| (t, c, n == "YES")).collect();
    // Named indexes: not those PostgreSQL names for primary keys and
    // UNIQUE constraints (SQLite's are unnamed, `sql IS NULL`).
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
         AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let pg_indexes: BTreeSet<String> = rows.into_iter().map(|(n,)| n).collect();

    let (sqlite_columns, sqlite_indexes) = sqlite_schema().await;
    // What PostgreSQL alone has, on purpose: several instances send one
    // database's callbacks and jobs, so an event has a place in the order
    // written (`seq`, SQLite's `rowid`), and an event or a job a lease on it
    // while an instance sends it (SQLite's one process holds its claims in
    // memory), and each instance says it is alive (its share of a rate limit
    // depends on how many are).
    let postgres_only_columns: BTreeSet<(String, String, bool)> = [
        ("callback_events", "seq", false),
        ("callback_events", "leased_by", true),
        ("callback_events", "lease_until", true),
        ("jobs", "leased_by", true),
        ("jobs", "lease_until", true),
        ("instances", "id", false),
        ("instances", "seen_at", false),
    ]
    .into_iter()
    .map(|(t, c, n)| (t.to_string(), c.to_string(), n))
    .collect();
    let postgres_only_indexes: BTreeSet<String> = ["callback_events_seq".to_string()].into();
    assert!(postgres_only_columns.is_subset(&pg_columns), "the columns PostgreSQL alone has are there");
    assert!(postgres_only_indexes.is_subset(&pg_indexes), "the indexes PostgreSQL alone has are there");
    let pg_columns: BTreeSet<_> = pg_columns.difference(&postgres_only_columns).cloned().collect();
    let pg_indexes: BTreeSet<_> = pg_indexes.difference(&postgres_only_indexes).cloned().collect();
    let only_sqlite: Vec<_> = sqlite_columns.difference(&pg_columns).collect();
    let only_pg: Vec<_> = pg_columns.difference(&sqlite_columns).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "columns (table, column, nullable) only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_pg:?}"
    );
    let only_sqlite: Vec<_> = sqlite_indexes.difference(&pg_indexes).collect();
    let only_pg: Vec<_> = pg_indexes.difference(&sqlite_indexes).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "indexes only in SQLite: {only_sqlite:?}; only in PostgreSQL: {only_pg:?}"
    );
    assert!(sqlite_columns.len() > 150, "{} columns: the comparison read the schemas", sqlite_columns.len());
}
