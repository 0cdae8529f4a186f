//! Everything the browser and the server share: domain types, the page
//! components (rendered on the server) and the islands (hydrated in the
//! browser). Server-only code lives in `ssr`.
#![recursion_limit = "512"]

pub mod activity;
pub mod components;
pub mod domain;
pub mod pages;
pub mod view_model;

#[cfg(feature = "ssr")]
pub mod ssr;

pub use pages::shell;
