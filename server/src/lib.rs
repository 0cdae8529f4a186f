//! The server: configuration, start-up, the router (pages, the public API,
//! static files), admin commands and background work.

pub mod api_v2;
pub mod backup;
pub mod bounded;
pub mod child;
pub mod cli;
pub mod config;
pub mod demo;
pub mod docs;
pub mod letters;
pub mod logging;
pub mod server_key;
pub mod spreadsheets;
pub mod state;
pub mod web;
pub mod workers;

pub use config::Config;
pub use state::AppState;

/// Opens the database, loads the server key, seeds the demo data when asked,
/// and builds the router. Used by `main` and by the tests alike.
pub async fn build(config: Config) -> anyhow::Result<(axum::Router, AppState)> {
    // One server per SQLite database: a second would send callbacks twice,
    // and a restore must not replace a database a server has open. (On
    // PostgreSQL several instances share one: they hear each other's
    // changes, and one leads the workers only one may run.)
    let lock = backup::ServerLock::for_database_url(&config.database_url)?;
    let pool = app::ssr::store::connect(&config.database_url).await?;
    let secret_key = server_key::load_or_create(&config)?;
    if config.demo {
        demo::seed(&pool).await?;
    }
    // Leptos renders with async tasks; they run on the tokio runtime.
    let _ = any_spawner::Executor::init_tokio();
    let state = AppState::new(config, pool, secret_key);
    let _ = state.server_lock.set(lock);
    // Secrets sealed before they were bound to their rows are re-sealed
    // bound, once; until then they would not open.
    let resealed = app::ssr::store::reseal_unbound_secrets(&state.pool, &state.secrets).await?;
    if resealed > 0 {
        tracing::info!(resealed, "sealed secrets bound to their rows");
    }
    state.pool.listen_for_changes();
    workers::start(&state, app::ssr::store::seek_leadership(&state.pool));
    Ok((web::router(state.clone()), state))
}
