//! The team pages: `/services/{id}/users` (every member), inviting
//! (`…/users/invite`, `manage_service`), cancelling an invitation, and
//! `/invitation/{token}`, where an invitation's link leads (joining as the
//! signed-in invitee, signing in first, or creating the account). The rules
//! are `app::ssr::team`'s.

use super::error::{found, show, show_with, PageError};
use super::extract::{CsrfForm, Form, ManageApiKeys, ManageTeam, ServicePage, TeamList};
use super::session;
use crate::AppState;
use app::domain::{EmailAddress, Permission, PhoneNumber};
use app::pages::team::{
    labels, permission_field, CannotInvite, CreateAccount, DepartureView, InvitationProblem, InvitationRow, InviteForm,
    MemberForm, MemberRow, TeamPage,
};
use app::ssr::store::TeamError;
use app::ssr::team::{self, AcceptRefusal, InviteRefusal, Opened};
use app::ssr::{passwords, store};
use app::view_model::{FormErrors, Page};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;

type Answer = Result<Response, PageError>;

/// `/services/{id}/users`: every member sees the team; those who manage the
/// service also the buttons.
pub async fn users(State(state): State<AppState>, ctx: ServicePage<TeamList>) -> Answer {
    let you = ctx.signed_in.user.id.clone();
    let members = store::members(&state.pool, ctx.id())
        .await?
        .into_iter()
        .map(|m| MemberRow {
            is_you: m.user_id == you,
            user_id: m.user_id,
            name: m.name,
            email_address: m.email_address,
            permissions: labels(&m.permissions),
        })
        .collect();
    let invitations = team::pending(&state.pool, ctx.id())
        .await?
        .into_iter()
        .map(|i| InvitationRow { id: i.id, email_address: i.email_address, permissions: labels(&i.permissions) })
        .collect();
    let can_manage = ctx.service.can(Permission::ManageService);
    ctx.show_with_flash(&state, TeamPage { members, invitations, can_manage }).await
}

pub async fn invite_form(ctx: ServicePage<ManageTeam>) -> Answer {
    Ok(ctx.show(InviteForm::default()))
}

pub async fn invite(
    State(state): State<AppState>,
    ctx: ServicePage<ManageTeam>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Answer {
    let typed = form.get("email_address").map(|e| e.trim().to_string()).unwrap_or_default();
    let permissions: Vec<Permission> =
        Permission::NOTIFY_ORDER.into_iter().filter(|p| form.contains_key(&permission_field(*p))).collect();
    let again = |errors| InviteForm { email_address: typed.clone(), permissions: permissions.clone(), errors };
    let mut errors = FormErrors::default();
    let email = match EmailAddress::parse(&typed) {
        Ok(e) => e,
        Err(e) => {
            errors.push("email_address", e.to_string());
            return Ok(ctx.show(again(errors)));
        }
    };
    let inviter = &ctx.signed_in.user;
    match team::invite(&state.pool, ctx.id(), inviter, &email, &permissions, &state.config.base_url).await? {
        Ok(()) => {
            ctx.flash(&state, &format!("Invite sent to {}", email.as_str())).await?;
            Ok(found(&ctx.path("/users")))
        }
        Err(InviteRefusal::Yourself) => {
            errors.push("email_address", "Enter an email address that is not your own");
            Ok(ctx.show(again(errors)))
        }
        Err(InviteRefusal::AlreadyMember(name)) => Ok(ctx.show(CannotInvite {
            heading: "This person is already a team member",
            text: format!("{name} is already a member of ‘{}’.", ctx.service.service.name),
        })),
        Err(InviteRefusal::AlreadyInvited) => Ok(ctx.show(CannotInvite {
            heading: "This person has already received an invite",
            text: format!(
                "{} has not accepted their invitation to ‘{}’ yet. You do not need to do anything.",
                email.as_str(),
                ctx.service.service.name
            ),
        })),
    }
}

/// A form with nothing but its CSRF token.
#[derive(serde::Deserialize)]
pub struct Confirm {}

pub async fn cancel_invitation(
    State(state): State<AppState>,
    ctx: ServicePage<ManageTeam>,
    Path((_, invitation_id)): Path<(String, String)>,
    CsrfForm(Confirm {}): CsrfForm<Confirm>,
) -> Answer {
    let user = ctx.signed_in.user.id.clone();
    let email =
        store::cancel_invitation(&state.pool, ctx.id(), &invitation_id, &user).await?.ok_or(PageError::NotFound)?;
    ctx.flash(&state, &format!("Invitation to {email} cancelled")).await?;
    Ok(found(&ctx.path("/users")))
}

fn problem(
    viewer: Option<&session::SignedIn>,
    status: StatusCode,
    heading: String,
    paragraphs: Vec<String>,
) -> Response {
    let page = Page { viewer: viewer.map(|s| s.viewer()), ..Page::new(InvitationProblem { heading, paragraphs }) };
    show_with(page, status)
}

/// `GET /invitation/{token}`: where an invitation's link leads.
pub async fn invitation(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Answer {
    let signed_in = session::load(&state, &headers).await?;
    let invitation = match team::open(&state.pool, &token).await? {
        Opened::Unknown => return Err(PageError::NotFound),
        Opened::Expired(i) => {
            return Ok(problem(
                signed_in.as_ref(),
                StatusCode::OK,
                "The invitation you were sent has expired".into(),
                vec![format!("Ask a team member of ‘{}’ to invite you again.", i.service_name)],
            ))
        }
        Opened::Cancelled(i) => {
            return Ok(problem(
                signed_in.as_ref(),
                StatusCode::OK,
                "The invitation you were sent has been cancelled".into(),
                vec![
                    format!("{} cancelled your invitation to ‘{}’.", i.invited_by_name, i.service_name),
                    "If you think this is a mistake, ask them to invite you again.".into(),
                ],
            ))
        }
        // Used already: the service, through sign-in if need be.
        Opened::Accepted(i) => {
            let service = format!("/services/{}", i.service_id);
            return Ok(match signed_in {
                Some(_) => found(&service),
                None => found(&format!("/sign-in?next={service}")),
            });
        }
        Opened::Waiting(i) => i,
    };
    match signed_in {
        Some(s) => join(&state, &s, &invitation).await,
        None if store::find_user_by_email(&state.pool, &invitation.email_address).await?.is_some() => {
            Ok(found(&format!("/sign-in?next=/invitation/{token}")))
        }
        None => Ok(show(Page::new(CreateAccount {
            service_name: invitation.service_name.clone(),
            email_address: invitation.email_address.clone(),
            ..Default::default()
        }))),
    }
}

/// The signed-in user joins the invitation's service (if it is theirs).
async fn join(state: &AppState, s: &session::SignedIn, invitation: &store::Invitation) -> Answer {
    match team::accept(&state.pool, invitation, &s.user).await? {
        Ok(()) => {
            tracing::info!(user_id = %s.user.id, service_id = %invitation.service_id, "joined a service by invitation");
            Ok(found(&format!("/services/{}", invitation.service_id)))
        }
        Err(AcceptRefusal::AnotherUser) => {
            tracing::warn!(target: "security", event = "invitation_refused", reason = "another_user");
            Ok(problem(
                Some(s),
                StatusCode::FORBIDDEN,
                format!("You’re signed in as {}", s.user.email_address),
                vec![
                    "This invitation is for another email address.".into(),
                    "Sign out and use the link again to accept it.".into(),
                ],
            ))
        }
        Err(AcceptRefusal::Gone) => Err(PageError::NotFound),
    }
}

/// `POST /invitation/{token}`: creates the invitee's account, joins them to
/// the service and signs them in.
pub async fn create_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Answer {
    let Opened::Waiting(invitation) = team::open(&state.pool, &token).await? else {
        // Used, cancelled or expired meanwhile: what the link says now.
        return Ok(found(&format!("/invitation/{token}")));
    };
    if session::load(&state, &headers).await?.is_some()
        || store::find_user_by_email(&state.pool, &invitation.email_address).await?.is_some()
    {
        return Ok(found(&format!("/invitation/{token}")));
    }
    let field = |name: &str| form.get(name).map(|v| v.trim().to_string()).unwrap_or_default();
    let (name, mobile) = (field("name"), field("mobile_number"));
    let password = form.get("password").cloned().unwrap_or_default();
    let mut errors = FormErrors::default();
    if let Err(e) = app::domain::name::PersonName::parse(&name) {
        errors.push("name", app::domain::name::PersonName::message(e));
    }
    let mobile_number = if mobile.is_empty() {
        None
    } else {
        match PhoneNumber::parse(&mobile) {
            Ok(p) => Some(p.as_str().to_string()),
            Err(e) => {
                errors.push("mobile_number", e.message("Mobile number"));
                None
            }
        }
    };
    if let Some(problem) = passwords::new_password_problem(&password) {
        errors.push("password", problem);
    }
    if !errors.is_empty() {
        return Ok(show(Page::new(CreateAccount {
            service_name: invitation.service_name.clone(),
            email_address: invitation.email_address.clone(),
            name,
            mobile_number: mobile,
            errors,
        })));
    }
    let hash = super::sign_in::hash_new_password(&state, password).await?;
    let user_id = store::create_user(
        &state.pool,
        store::NewUser {
            name: &name,
            email_address: &invitation.email_address,
            mobile_number: mobile_number.as_deref(),
            password_hash: &hash,
            platform_admin: false,
            // The invitation's link proved the email address: codes go there.
            sign_in_method: app::domain::sign_in_method::SignInMethod::EmailAuth,
        },
    )
    .await?;
    let user = store::get_user(&state.pool, &user_id).await?.ok_or(PageError::NotFound)?;
    if team::accept(&state.pool, &invitation, &user).await?.is_err() {
        return Err(PageError::NotFound);
    }
    tracing::info!(user_id = %user.id, service_id = %invitation.service_id, "account created from an invitation");
    let cookie = session::start(&state, &user.id).await?;
    let mut response = found(&format!("/services/{}", invitation.service_id));
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// What the service says when its last manager would stop managing it.
pub fn last_manager_message(name: &str) -> String {
    format!("{name} is the only team member who can manage settings, team and usage. Give this permission to someone else first.")
}

async fn member_of(state: &AppState, service_id: &str, user_id: &str) -> Result<store::Member, PageError> {
    store::members(&state.pool, service_id).await?.into_iter().find(|m| m.user_id == user_id).ok_or(PageError::NotFound)
}

fn member_form(member: store::Member, confirm_remove: bool, errors: FormErrors) -> MemberForm {
    MemberForm {
        user_id: member.user_id,
        name: member.name,
        email_address: member.email_address,
        permissions: member.permissions,
        confirm_remove,
        errors,
    }
}

/// `GET /services/{id}/users/{user_id}`.
pub async fn member_page(
    State(state): State<AppState>,
    ctx: ServicePage<ManageTeam>,
    Path((_, user_id)): Path<(String, String)>,
) -> Answer {
    let member = member_of(&state, ctx.id(), &user_id).await?;
    Ok(ctx.show(member_form(member, false, FormErrors::default())))
}

/// `POST /services/{id}/users/{user_id}`: the member's permissions become
/// those ticked (the service keeps a member who may manage it).
pub async fn set_permissions(
    State(state): State<AppState>,
    ctx: ServicePage<ManageTeam>,
    Path((_, user_id)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Answer {
    let member = member_of(&state, ctx.id(), &user_id).await?;
    let permissions: Vec<Permission> =
        Permission::NOTIFY_ORDER.into_iter().filter(|p| form.contains_key(&permission_field(*p))).collect();
    let by = ctx.signed_in.user.id.clone();
    match store::set_member_permissions(&state.pool, ctx.id(), &user_id, &permissions, &by).await? {
        Ok(()) => {
            ctx.flash(&state, &format!("{}’s permissions were changed", member.name)).await?;
            Ok(found(&ctx.path("/users")))
        }
        Err(TeamError::NotMember) => Err(PageError::NotFound),
        Err(TeamError::LastManager) => {
            let mut errors = FormErrors::default();
            errors.push("permissions", last_manager_message(&member.name));
            let member = store::Member { permissions, ..member };
            Ok(ctx.show(member_form(member, false, errors)))
        }
    }
}

/// `GET /services/{id}/users/{user_id}/delete`: the confirmation.
pub async fn confirm_remove(
    State(state): State<AppState>,
    ctx: ServicePage<ManageTeam>,
    Path((_, user_id)): Path<(String, String)>,
) -> Answer {
    let member = member_of(&state, ctx.id(), &user_id).await?;
    Ok(ctx.show(member_form(member, true, FormErrors::default())))
}

/// `POST /services/{id}/users/{user_id}/delete`: removes the member (not
/// the service's last manager); the API integration pages then warn about
/// the keys they could see.
pub async fn remove(
    State(state): State<AppState>,
    ctx: ServicePage<ManageTeam>,
    Path((_, user_id)): Path<(String, String)>,
    CsrfForm(Confirm {}): CsrfForm<Confirm>,
) -> Answer {
    let member = member_of(&state, ctx.id(), &user_id).await?;
    let by = ctx.signed_in.user.id.clone();
    match store::remove_member(&state.pool, ctx.id(), &user_id, &by).await? {
        Ok(name) if user_id == by => {
            tracing::info!(service_id = %ctx.id(), "left a service");
            ctx.flash(&state, &format!("You left ‘{}’", ctx.service.service.name)).await?;
            let _ = name;
            Ok(found("/your-services"))
        }
        Ok(name) => {
            ctx.flash(&state, &format!("{name} was removed from the team")).await?;
            Ok(found(&ctx.path("/users")))
        }
        Err(TeamError::NotMember) => Err(PageError::NotFound),
        Err(TeamError::LastManager) => {
            let mut errors = FormErrors::default();
            errors.push("permissions", last_manager_message(&member.name));
            Ok(ctx.show(member_form(member, false, errors)))
        }
    }
}

/// The departure warnings of the service's API integration pages.
pub async fn departure_views(state: &AppState, service_id: &str) -> Result<Vec<DepartureView>, PageError> {
    Ok(store::departure_warnings(&state.pool, service_id)
        .await?
        .into_iter()
        .map(|d| {
            let day = app::domain::london_time::to_london(d.left_at.time());
            DepartureView {
                id: d.id,
                sentence: format!("{} left the team on {} {} {}.", d.name, day.day(), day.month(), day.year()),
                keys: d.keys,
            }
        })
        .collect())
}

/// `POST /services/{id}/api/departures/{departure_id}/dismiss`.
pub async fn dismiss_departure(
    State(state): State<AppState>,
    ctx: ServicePage<ManageApiKeys>,
    Path((_, departure_id)): Path<(String, String)>,
    CsrfForm(Confirm {}): CsrfForm<Confirm>,
) -> Answer {
    let by = ctx.signed_in.user.id.clone();
    if !store::dismiss_departure(&state.pool, ctx.id(), &departure_id, &by).await? {
        return Err(PageError::NotFound);
    }
    ctx.flash(&state, "Warning dismissed").await?;
    Ok(found(&ctx.path("/api")))
}
