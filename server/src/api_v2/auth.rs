//! Authentication of every /v2 request, in Notify's order and with
//! Notify's messages. `Authorization: Bearer <JWT>` (HS256, `iss` = service
//! id, `iat` within ±30 s) or `Authorization: ApiKey-v1 <key or secret>`.

use super::error::ApiError;
use crate::AppState;
use app::domain::api_key::{safe_name, KeyType, PresentedKey};
use app::domain::key_usage::Refusal;
use app::ssr::jwt::{self, Check};
use app::ssr::keys::{key_state, KeyState};
use app::ssr::{store, tokens};
use axum::http::{header, HeaderMap, StatusCode};

pub const GENERAL_TOKEN_ERROR: &str = "Invalid token: make sure your API token matches the example at https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header";

/// Who is calling: the service and the key.
#[derive(Clone)]
pub struct Caller {
    pub service: store::Service,
    pub snapshot: std::sync::Arc<super::runtime::ServiceSnapshot>,
    pub key_id: String,
    pub key_name: String,
    pub key_type: KeyType,
}

fn forbidden(message: &str) -> ApiError {
    ApiError::auth(StatusCode::FORBIDDEN, message)
}

async fn snapshot(
    state: &AppState,
    service_id: &str,
) -> Result<std::sync::Arc<super::runtime::ServiceSnapshot>, ApiError> {
    state
        .api
        .snapshot(&state.pool, &state.secrets, service_id)
        .await?
        .ok_or_else(|| forbidden("Invalid token: service not found"))
}

/// The caller a valid key makes, or the refusal of a key that no longer
/// works (counted against the key and its service).
fn caller(
    state: &AppState,
    snapshot: std::sync::Arc<super::runtime::ServiceSnapshot>,
    key: &store::AuthKey,
) -> Result<Caller, ApiError> {
    let ended = |message| {
        state.api.count_refusal(&key.service_id, Some((&key.id, Refusal::Ended)));
        Err(forbidden(message))
    };
    match key_state(key.expiry_date, key.expires_at) {
        KeyState::Active => {}
        KeyState::Expired => return ended("Invalid token: API key expired"),
        KeyState::RecentlyRevoked => return ended("Invalid token: API key revoked"),
        KeyState::Forgotten => {
            state.api.count_refusal(&key.service_id, None);
            return Err(forbidden("Invalid token: API key not found"));
        }
    }
    Ok(Caller {
        service: snapshot.service.clone(),
        snapshot: snapshot.clone(),
        key_id: key.id.clone(),
        key_name: key.name.clone(),
        key_type: key.key_type,
    })
}

pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::auth(StatusCode::UNAUTHORIZED, "Unauthorized: authentication token must be provided"));
    };
    let value = value.to_str().unwrap_or("");
    let scheme_error =
        || ApiError::auth(StatusCode::UNAUTHORIZED, "Unauthorized: authentication bearer scheme must be used");
    let (scheme, token) = value.split_at_checked(7).ok_or_else(scheme_error)?;
    if scheme.eq_ignore_ascii_case("Bearer ") {
        return bearer(state, token).await;
    }
    let (scheme, key) = value.split_at_checked(10).ok_or_else(scheme_error)?;
    if scheme.eq_ignore_ascii_case("ApiKey-v1 ") {
        return api_key_v1(state, key.trim()).await;
    }
    Err(scheme_error())
}

async fn bearer(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let parsed = jwt::parse(token).map_err(|_| forbidden(GENERAL_TOKEN_ERROR))?;
    let issuer = parsed.issuer().ok_or_else(|| forbidden("Invalid token: iss field not provided"))?;
    if uuid::Uuid::parse_str(issuer).is_err() {
        return Err(forbidden("Invalid token: service id is not the right data type"));
    }
    let snapshot = snapshot(state, issuer).await?;
    // From here on the request named an existing service: a refusal counts
    // towards its alert on refused requests.
    let refused = |message| {
        state.api.count_refusal(issuer, None);
        forbidden(message)
    };
    let mut snapshot = snapshot;
    if snapshot.keys.is_empty() {
        // Its first key may be a moment old, made on another instance.
        match state.api.newer_snapshot(&state.pool, &state.secrets, &snapshot).await? {
            Some(newer) if !newer.keys.is_empty() => snapshot = newer,
            _ => return Err(refused("Invalid token: service has no API keys")),
        }
    }
    if !snapshot.service.active {
        return Err(refused("Invalid token: service is archived"));
    }
    if !parsed.is_hs256() {
        return Err(refused("Invalid token: algorithm used is not HS256"));
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut looked_again = false;
    loop {
        for (key, secret) in &snapshot.keys {
            let Some(secret) = secret else { continue };
            match parsed.check(secret, now) {
                Check::WrongKey => continue,
                Check::ClockSkew => {
                    return Err(refused("Error: Your system clock must be accurate to within 30 seconds"))
                }
                Check::Invalid => return Err(refused(GENERAL_TOKEN_ERROR)),
                Check::Valid => return caller(state, snapshot.clone(), key),
            }
        }
        // No key of the service's signed it: unless it was made on another
        // instance a moment ago, it is not one.
        if looked_again {
            break;
        }
        looked_again = true;
        match state.api.newer_snapshot(&state.pool, &state.secrets, &snapshot).await? {
            Some(newer) => snapshot = newer,
            None => break,
        }
    }
    Err(refused("Invalid token: API key not found"))
}

async fn api_key_v1(state: &AppState, key: &str) -> Result<Caller, ApiError> {
    let not_found = || forbidden("Invalid token: API key not found");
    let presented = PresentedKey::parse(key).ok_or_else(not_found)?;
    let digest = state.secrets.digest(presented.secret());
    // A whole key names its service; a bare secret is looked up once.
    let service_id = match presented.service_id() {
        Some(id) => id.to_string(),
        None => state.api.service_of_key(&state.pool, &digest).await?.ok_or_else(not_found)?,
    };
    if uuid::Uuid::parse_str(&service_id).is_err() {
        return Err(not_found());
    }
    // The same snapshot as JWTs: no database read per request, and a key
    // revoked in the admin refused on the very next one.
    let mut snapshot = state.api.snapshot(&state.pool, &state.secrets, &service_id).await?.ok_or_else(not_found)?;
    let matching = |snapshot: &super::runtime::ServiceSnapshot| {
        snapshot.keys.iter().map(|(k, _)| k).find(|k| tokens::constant_time_eq(&k.secret_digest, &digest)).cloned()
    };
    let mut found = matching(&snapshot);
    if found.is_none() {
        // Made on another instance a moment ago, perhaps.
        if let Some(newer) = state.api.newer_snapshot(&state.pool, &state.secrets, &snapshot).await? {
            snapshot = newer;
            found = matching(&snapshot);
        }
    }
    let Some(key) = found else {
        // A whole key string with another secret: counted against the key
        // its name names (the working one, if a rotation left two).
        let named = presented.name().and_then(|name| {
            let mut same_name = snapshot.keys.iter().map(|(k, _)| k).filter(|k| safe_name(&k.name) == name);
            let all: Vec<_> = same_name.by_ref().collect();
            all.iter()
                .find(|k| key_state(k.expiry_date, k.expires_at) == KeyState::Active)
                .or(all.first())
                .map(|k| k.id.clone())
        });
        state.api.count_refusal(&service_id, named.as_deref().map(|id| (id, Refusal::WrongSecret)));
        return Err(not_found());
    };
    if !snapshot.service.active {
        state.api.count_refusal(&service_id, None);
        return Err(forbidden("Invalid token: service is archived"));
    }
    caller(state, snapshot, &key)
}
