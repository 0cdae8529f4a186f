//! A `Timestamp` stored and read back on each backend: the same moment, in
//! the same order (SQLite keeps it as text that must sort as time does;
//! PostgreSQL as `timestamptz`, read in binary by prepared statements and
//! in text, with the session's offset, by simple queries).

mod common;

use app::domain::Timestamp;
use sqlx::{Connection, Row};
use time::Duration;

/// Moments that a wrong encoding would get wrong: microsecond and day
/// boundaries, a leap day, a clock change in London, the far past and
/// [`Timestamp::NEVER`].
fn moments() -> Vec<Timestamp> {
    let at = |s: &str| Timestamp::parse(s).unwrap();
    let now = Timestamp::now();
    vec![
        now,
        now + Duration::microseconds(1),
        now - Duration::microseconds(1),
        at("2026-12-06T23:59:59.999999Z"),
        at("2026-12-07T00:00:00.000000Z"),
        at("2024-02-29T12:00:00.000001Z"),
        at("2026-03-29T00:59:59.999999Z"),
        at("2026-03-29T01:00:00.000000Z"),
        at("1999-12-31T23:59:59.999999Z"),
        at("2000-01-01T00:00:00.000000Z"),
        at("1901-01-01T00:00:00.000000Z"),
        Timestamp::NEVER,
    ]
}

#[tokio::test]
async fn sqlite_keeps_each_moment_and_sorts_them_as_time() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = app::ssr::store::connect(&url).await.unwrap();
    let db = store.sqlite().unwrap();
    sqlx::query("CREATE TABLE moments (n INTEGER, t TEXT NOT NULL)").execute(db).await.unwrap();
    let moments = moments();
    for (n, t) in moments.iter().enumerate() {
        sqlx::query("INSERT INTO moments VALUES (?, ?)").bind(n as i64).bind(t).execute(db).await.unwrap();
    }
    let back: Vec<(i64, Timestamp)> =
        sqlx::query_as("SELECT n, t FROM moments ORDER BY t").fetch_all(db).await.unwrap();
    let mut expected: Vec<(i64, Timestamp)> = moments.iter().enumerate().map(|(n, t)| (n as i64, *t)).collect();
    expected.sort_by_key(|(_, t)| *t);
    assert_eq!(back, expected);
}

#[tokio::test]
async fn postgres_keeps_each_moment_and_sorts_them_as_time() {
    let pg = common::postgres::Postgres::start();
    let mut conn = sqlx::PgConnection::connect_with(&pg.options("postgres")).await.unwrap();
    sqlx::raw_sql("CREATE TABLE moments (n bigint, t timestamptz NOT NULL)").execute(&mut conn).await.unwrap();
    let moments = moments();
    for (n, t) in moments.iter().enumerate() {
        sqlx::query("INSERT INTO moments VALUES ($1, $2)").bind(n as i64).bind(t).execute(&mut conn).await.unwrap();
    }
    let mut expected: Vec<(i64, Timestamp)> = moments.iter().enumerate().map(|(n, t)| (n as i64, *t)).collect();
    expected.sort_by_key(|(_, t)| *t);

    // Prepared: binary.
    let back: Vec<(i64, Timestamp)> =
        sqlx::query_as("SELECT n, t FROM moments ORDER BY t").fetch_all(&mut conn).await.unwrap();
    assert_eq!(back, expected);
    // A comparison in SQL with a bound moment.
    let later: Vec<(i64,)> = sqlx::query_as("SELECT n FROM moments WHERE t > $1 ORDER BY t")
        .bind(Timestamp::parse("2026-12-07T00:00:00.000000Z").unwrap())
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let expected_later: Vec<(i64,)> = expected
        .iter()
        .filter(|(_, t)| t.text().as_str() > "2026-12-07T00:00:00.000000Z")
        .map(|(n, _)| (*n,))
        .collect();
    assert_eq!(later, expected_later);

    // Simple queries answer in text, in the session's time zone.
    for (zone, set) in [
        ("UTC", "SET TIME ZONE 'UTC'"),
        ("Europe/London", "SET TIME ZONE 'Europe/London'"),
        ("Asia/Kolkata", "SET TIME ZONE 'Asia/Kolkata'"),
        ("America/St_Johns", "SET TIME ZONE 'America/St_Johns'"),
    ] {
        sqlx::raw_sql(set).execute(&mut conn).await.unwrap();
        let rows = sqlx::raw_sql("SELECT n, t FROM moments ORDER BY t").fetch_all(&mut conn).await.unwrap();
        let back: Vec<(i64, Timestamp)> = rows
            .iter()
            .map(|r| {
                let n: String = r.try_get_unchecked::<String, _>(0).unwrap();
                (n.parse().unwrap(), r.try_get::<Timestamp, _>(1).unwrap_or_else(|e| panic!("{zone}: {e}")))
            })
            .collect();
        assert_eq!(back, expected, "{zone}");
    }
}
