//! The OpenAPI 3.1 description of the API: its frame (title, the two ways
//! to authenticate, the tags in the order the documentation shows them),
//! the endpoints other systems call (a provider's received text messages),
//! and the v2 routes, each from its handler's declaration
//! ([`super::description`]). Served at `/documentation/openapi.json`,
//! committed as `docs/openapi.json` (a test fails when they differ).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, Tag};
use utoipa::Modify;

/// The committed copy, for the drift test and for readers of the repository.
pub const COMMITTED_PATH: &str = "docs/openapi.json";

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        crate::web::inbound::receive_firetext,
        crate::web::receipts::firetext_receipt,
        crate::web::receipts::ses_receipt
    ),
    modifiers(&Frame),
    security(("jwt" = []), ("apiKeyV1" = [])),
)]
struct Others;

struct Frame;

impl Modify for Frame {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "jwt",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A JSON Web Token signed with HS256 by your API key's secret: `iss` is the service id, \
                         `iat` the time in seconds, within 30 seconds of the server's clock. Notify's clients \
                         make it from the key for every request.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "apiKeyV1",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`ApiKey-v1 {key}`: the whole API key (or its secret) in the header, for tools that cannot \
                 make a JWT. Only over TLS.",
            ))),
        );
        components.add_security_scheme(
            "inboundBasic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("`notify` and the password set by `NOTIFY_INBOUND_SMS_PASSWORD`."))
                    .build(),
            ),
        );
    }
}

/// The description's frame and the non-v2 endpoints; the v2 routes are
/// added to it as the router is built.
pub fn base() -> OpenApi {
    let mut api = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Notify API")
                .version("2")
                .description(Some(
                    "GOV.UK Notify's v2 API, as this service answers it: Notify's official clients work \
                     against it unchanged. Every refusal is Notify's error JSON: \
                     `{\"status_code\": 400, \"errors\": [{\"error\": \"BadRequestError\", \"message\": \"…\"}]}`.",
                ))
                .build(),
        )
        .tags(Some(
            [
                ("Send a message", "Emails, text messages and letters."),
                ("Read messages", "Messages and their statuses."),
                ("Templates", "The service's templates and their previews."),
                ("Received text messages", "Texts sent to the service's inbound number."),
                ("Providers", "Endpoints that text message and email providers call."),
            ]
            .into_iter()
            .map(|(name, description)| {
                let mut tag = Tag::new(name);
                tag.description = Some(description.to_string());
                tag
            }),
        ))
        .build();
    api.merge(<Others as utoipa::OpenApi>::openapi());
    api
}

/// The whole description as JSON, as served and committed.
pub fn json() -> String {
    super::description().to_pretty_json().unwrap_or_default() + "\n"
}
