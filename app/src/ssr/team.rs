//! The team of a service: inviting people by email and their joining, with
//! Notify's rules. Every entry point (the pages) calls these.
//!
//! An invitation is an email from this server's own service carrying a
//! link with a single-use token (kept only as a digest), which works for
//! [`INVITATION_LIFETIME`], once, and only for the address it was sent to:
//! a person signed in as someone else cannot use it to join.

use crate::domain::{EmailAddress, Permission, Timestamp};
use crate::ssr::platform_emails::{self, INVITATION_TEMPLATE_ID};
use crate::ssr::{clock, store, tokens};
use anyhow::Context;

/// How long an invitation works (Notify deletes them after 2 days).
pub const INVITATION_LIFETIME: time::Duration = time::Duration::days(2);

/// Why someone cannot be invited (Notify's pages and messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InviteRefusal {
    /// "Enter an email address that is not your own".
    Yourself,
    /// A member already: their name.
    AlreadyMember(String),
    /// Invited already and not answered yet.
    AlreadyInvited,
}

/// The service's invitations still waiting.
pub async fn pending(pool: &store::Store, service_id: &str) -> anyhow::Result<Vec<store::Invitation>> {
    store::pending_invitations(pool, service_id, clock::ago(INVITATION_LIFETIME)).await
}

/// Invites `email` to the service with `permissions`, as `inviter`: the
/// invitation is stored and its email sent (the link made from
/// `base_url`), or why not.
pub async fn invite(
    pool: &store::Store,
    service_id: &str,
    inviter: &store::User,
    email: &EmailAddress,
    permissions: &[Permission],
    base_url: &str,
) -> anyhow::Result<Result<(), InviteRefusal>> {
    let address = email.as_str();
    if address.eq_ignore_ascii_case(&inviter.email_address) {
        return Ok(Err(InviteRefusal::Yourself));
    }
    if let Some(member) =
        store::members(pool, service_id).await?.into_iter().find(|m| m.email_address.eq_ignore_ascii_case(address))
    {
        return Ok(Err(InviteRefusal::AlreadyMember(member.name)));
    }
    if pending(pool, service_id).await?.iter().any(|i| i.email_address.eq_ignore_ascii_case(address)) {
        return Ok(Err(InviteRefusal::AlreadyInvited));
    }
    let service = store::get_service(pool, service_id).await?.context("no such service")?;
    let token = tokens::random_token();
    store::create_invitation(pool, service_id, address, permissions, &inviter.id, &tokens::digest(&token)).await?;
    let url = format!("{}/invitation/{token}", base_url.trim_end_matches('/'));
    let mut extra = serde_json::Map::new();
    extra.insert("service_id".into(), service_id.into());
    let values = [("user_name", inviter.name.clone()), ("service_name", service.name), ("url", url)];
    platform_emails::send(pool, INVITATION_TEMPLATE_ID, address, &values, extra).await?;
    Ok(Ok(()))
}

/// What an invitation link leads to.
#[derive(Clone, Debug)]
pub enum Opened {
    /// No invitation has this token.
    Unknown,
    /// Older than [`INVITATION_LIFETIME`].
    Expired(store::Invitation),
    Cancelled(store::Invitation),
    /// Used already.
    Accepted(store::Invitation),
    Waiting(store::Invitation),
}

/// The invitation behind a link's `token`.
pub async fn open(pool: &store::Store, token: &str) -> anyhow::Result<Opened> {
    // Tokens are 64 hex characters: anything else is not looked up.
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Opened::Unknown);
    }
    let Some(invitation) = store::invitation_by_token(pool, &tokens::digest(token)).await? else {
        return Ok(Opened::Unknown);
    };
    Ok(match invitation.status.as_str() {
        "accepted" => Opened::Accepted(invitation),
        "cancelled" => Opened::Cancelled(invitation),
        _ if expired(invitation.created_at, clock::now()) => Opened::Expired(invitation),
        _ => Opened::Waiting(invitation),
    })
}

/// Whether an invitation sent at `sent` no longer works at `now`.
pub fn expired(sent: Timestamp, now: Timestamp) -> bool {
    now - sent >= INVITATION_LIFETIME
}

/// Why a signed-in user cannot accept an invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AcceptRefusal {
    /// Signed in as someone other than the person invited.
    AnotherUser,
    /// Used or cancelled meanwhile.
    Gone,
}

/// `user` accepts the waiting invitation: they join the service with its
/// permissions. Only the person invited (by email address) may.
pub async fn accept(
    pool: &store::Store,
    invitation: &store::Invitation,
    user: &store::User,
) -> anyhow::Result<Result<(), AcceptRefusal>> {
    if !user.email_address.eq_ignore_ascii_case(&invitation.email_address) {
        return Ok(Err(AcceptRefusal::AnotherUser));
    }
    if store::accept_invitation(pool, invitation, &user.id).await? {
        Ok(Ok(()))
    } else {
        Ok(Err(AcceptRefusal::Gone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_works_for_two_days() {
        let sent = Timestamp::parse("2026-12-06T10:00:00.000000Z").unwrap();
        assert!(!expired(sent, sent));
        assert!(!expired(sent, sent + time::Duration::hours(47)));
        assert!(expired(sent, sent + time::Duration::days(2)));
    }
}
