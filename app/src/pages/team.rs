//! `/services/{id}/users` (the team: members with their permissions in
//! Notify's words, pending invitations), `/services/{id}/users/invite`, and
//! the pages an invitation link leads to (`/invitation/{token}`).

use crate::components::{BackLink, Button, ButtonLink, CsrfField, ErrorSummary, TextInput};
use crate::domain::Permission;
use crate::view_model::{FormErrors, Page, PageContent, ServiceContext, ServicePageContent};
use leptos::prelude::*;

/// What every permission list says under it (Notify's hint).
pub const PERMISSIONS_HINT: &str = "All team members can see sent messages.";

#[derive(Clone, Debug)]
pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email_address: String,
    /// Its permissions' labels, in Notify's order.
    pub permissions: Vec<&'static str>,
    pub is_you: bool,
}

#[derive(Clone, Debug)]
pub struct InvitationRow {
    pub id: String,
    pub email_address: String,
    pub permissions: Vec<&'static str>,
}

/// Labels of `permissions`, in Notify's order.
pub fn labels(permissions: &[Permission]) -> Vec<&'static str> {
    Permission::NOTIFY_ORDER.iter().filter(|p| permissions.contains(p)).map(|p| p.label()).collect()
}

/// The team.
#[derive(Clone, Debug)]
pub struct TeamPage {
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
    /// `manage_service`: may invite and cancel (others see the list only).
    pub can_manage: bool,
}

impl ServicePageContent for TeamPage {
    fn title(&self) -> String {
        "Team members".into()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let (team, csrf_token) = (self.clone(), csrf_token.to_string());
        let permission_list = |labels: Vec<&'static str>| {
            if labels.is_empty() {
                view! { <p class="govuk-body notify-secondary-text">"No permissions"</p> }.into_any()
            } else {
                let items = labels.into_iter().map(|l| view! { <li>{l}</li> }).collect_view();
                view! { <ul class="govuk-list govuk-list--bullet">{items}</ul> }.into_any()
            }
        };
        let members = team
            .members
            .into_iter()
            .map(|m| {
                let name = if m.is_you { format!("{} (you)", m.name) } else { m.name.clone() };
                let change = team.can_manage.then(|| {
                    view! {
                        <p class="govuk-body">
                            <a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/users/{}", m.user_id))>
                                "Change details"<span class="govuk-visually-hidden">{format!(" for {}", m.name)}</span>
                            </a>
                        </p>
                    }
                });
                view! {
                    <li class="notify-team-member">
                        <h2 class="govuk-heading-s govuk-!-margin-bottom-1">{name}</h2>
                        <p class="govuk-body govuk-!-margin-bottom-1">{m.email_address.clone()}</p>
                        {permission_list(m.permissions.clone())}
                        {change}
                    </li>
                }
            })
            .collect_view();
        let base = service.path("");
        let invitations = team
            .invitations
            .into_iter()
            .map(|i| {
                let cancel = team.can_manage.then(|| {
                    let action = format!("{base}/cancel-invited-user/{}", i.id);
                    view! {
                        <form method="post" action=action novalidate>
                            <CsrfField token=csrf_token.clone()/>
                            <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">
                                "Cancel invitation"<span class="govuk-visually-hidden">{format!(" to {}", i.email_address)}</span>
                            </button>
                        </form>
                    }
                });
                view! {
                    <li class="notify-team-member">
                        <h2 class="govuk-heading-s govuk-!-margin-bottom-1">{i.email_address.clone()}</h2>
                        <p class="govuk-body govuk-!-margin-bottom-1 notify-secondary-text">"Invite pending"</p>
                        {permission_list(i.permissions.clone())}
                        {cancel}
                    </li>
                }
            })
            .collect_view();
        let invite = team
            .can_manage
            .then(|| view! { <ButtonLink href=service.path("/users/invite") text="Invite a team member"/> });
        view! {
            <h1 class="govuk-heading-l">"Team members"</h1>
            {invite}
            <ul class="govuk-list">{members}{invitations}</ul>
            <p class="govuk-hint">{PERMISSIONS_HINT}</p>
        }
        .into_any()
    }
}

/// `/services/{id}/users/invite`.
#[derive(Clone, Debug, Default)]
pub struct InviteForm {
    pub email_address: String,
    pub permissions: Vec<Permission>,
    pub errors: FormErrors,
}

/// The checkbox of `permission` on the invitation form.
pub fn permission_field(permission: Permission) -> String {
    format!("permission_{}", permission.as_str())
}

impl ServicePageContent for InviteForm {
    fn title(&self) -> String {
        "Invite a team member".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let form = self.clone();
        let boxes = Permission::NOTIFY_ORDER
            .iter()
            .map(|p| {
                let field = permission_field(*p);
                let checked = form.permissions.contains(p);
                view! {
                    <div class="govuk-checkboxes__item">
                        <input class="govuk-checkboxes__input" id=field.clone() name=field.clone() type="checkbox" value="y" checked=checked/>
                        <label class="govuk-label govuk-checkboxes__label" for=field>{p.label()}</label>
                    </div>
                }
            })
            .collect_view();
        view! {
            <BackLink href=service.path("/users")/>
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="govuk-heading-l">"Invite a team member"</h1>
                    <form method="post" novalidate>
                        <CsrfField token=csrf_token.to_string()/>
                        <TextInput
                            name="email_address"
                            label="Email address"
                            value=form.email_address.clone()
                            error=form.errors.for_field("email_address")
                            input_type="email"
                            autocomplete="off"
                            spellcheck=false
                            classes="govuk-!-width-full"
                        />
                        <div class="govuk-form-group">
                            <fieldset class="govuk-fieldset" aria-describedby="permissions-hint">
                                <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Permissions"</legend>
                                <div id="permissions-hint" class="govuk-hint">{PERMISSIONS_HINT}</div>
                                <div class="govuk-checkboxes" data-module="govuk-checkboxes">{boxes}</div>
                            </fieldset>
                        </div>
                        <Button text="Send invitation email"/>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// Inviting someone who is a member already, or invited already (Notify's
/// pages).
#[derive(Clone, Debug)]
pub struct CannotInvite {
    pub heading: &'static str,
    pub text: String,
}

impl ServicePageContent for CannotInvite {
    fn title(&self) -> String {
        self.heading.into()
    }
    fn view(&self, service: &ServiceContext, _csrf_token: &str) -> AnyView {
        let page = self.clone();
        view! {
            <BackLink href=service.path("/users")/>
            <h1 class="govuk-heading-l">{page.heading}</h1>
            <p class="govuk-body">{page.text}</p>
        }
        .into_any()
    }
}

/// An invitation link that cannot be used (expired, cancelled, another
/// user signed in).
#[derive(Clone, Debug)]
pub struct InvitationProblem {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

impl PageContent for InvitationProblem {
    fn title(&self) -> String {
        self.heading.clone()
    }
    fn view(&self, _: &Page) -> AnyView {
        let page = self.clone();
        let paragraphs = page.paragraphs.into_iter().map(|p| view! { <p class="govuk-body">{p}</p> }).collect_view();
        view! {
            <h1 class="govuk-heading-l">{page.heading}</h1>
            {paragraphs}
        }
        .into_any()
    }
}

/// Creating an account from an invitation (the address is the invited one).
#[derive(Clone, Debug, Default)]
pub struct CreateAccount {
    pub service_name: String,
    pub email_address: String,
    pub name: String,
    pub mobile_number: String,
    pub errors: FormErrors,
}

impl PageContent for CreateAccount {
    fn title(&self) -> String {
        "Create an account".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, _: &Page) -> AnyView {
        let form = self.clone();
        view! {
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="govuk-heading-l">"Create an account"</h1>
                    <p class="govuk-body">{format!("You have been invited to join ‘{}’. Your account’s email address is {}.", form.service_name, form.email_address)}</p>
                    <form method="post" novalidate>
                        <TextInput
                            name="name"
                            label="Full name"
                            value=form.name.clone()
                            error=form.errors.for_field("name")
                            autocomplete="name"
                        />
                        <TextInput
                            name="mobile_number"
                            label="Mobile number (optional)"
                            value=form.mobile_number.clone()
                            error=form.errors.for_field("mobile_number")
                            input_type="tel"
                            autocomplete="tel"
                            classes="govuk-!-width-one-half"
                        />
                        <TextInput
                            name="password"
                            label="Password"
                            hint="At least 8 characters"
                            error=form.errors.for_field("password")
                            input_type="password"
                            autocomplete="new-password"
                        />
                        <Button text="Continue"/>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// Changing a member's permissions (`/services/{id}/users/{user_id}`), or
/// confirming their removal (`…/delete`).
#[derive(Clone, Debug)]
pub struct MemberForm {
    pub user_id: String,
    pub name: String,
    pub email_address: String,
    pub permissions: Vec<Permission>,
    /// Asking to confirm the removal.
    pub confirm_remove: bool,
    pub errors: FormErrors,
}

impl ServicePageContent for MemberForm {
    fn title(&self) -> String {
        "Change team member’s permissions".into()
    }
    fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    fn view(&self, service: &ServiceContext, csrf_token: &str) -> AnyView {
        let form = self.clone();
        let base = service.path(&format!("/users/{}", form.user_id));
        let banner = form.confirm_remove.then(|| {
            view! {
                <div class="notify-banner-dangerous banner-dangerous" role="alert">
                    <h2 class="govuk-heading-m">{format!("Are you sure you want to remove {}?", form.name)}</h2>
                    <form method="post" action=format!("{base}/delete") novalidate>
                        <CsrfField token=csrf_token.to_string()/>
                        <Button text="Yes, remove" classes="govuk-button--warning govuk-!-margin-bottom-0"/>
                    </form>
                </div>
            }
        });
        let error = form.errors.for_field("permissions");
        let group = if error.is_some() { "govuk-form-group govuk-form-group--error" } else { "govuk-form-group" };
        let boxes = Permission::NOTIFY_ORDER
            .iter()
            .map(|p| {
                let field = permission_field(*p);
                let checked = form.permissions.contains(p);
                // The first box is where the error summary's link lands.
                let id = if *p == Permission::NOTIFY_ORDER[0] { "permissions".to_string() } else { field.clone() };
                view! {
                    <div class="govuk-checkboxes__item">
                        <input class="govuk-checkboxes__input" id=id.clone() name=field type="checkbox" value="y" checked=checked/>
                        <label class="govuk-label govuk-checkboxes__label" for=id>{p.label()}</label>
                    </div>
                }
            })
            .collect_view();
        view! {
            <BackLink href=service.path("/users")/>
            {banner}
            <div class="govuk-grid-row">
                <div class="govuk-grid-column-two-thirds">
                    <ErrorSummary errors=form.errors.clone()/>
                    <h1 class="govuk-heading-l">"Change team member’s permissions"</h1>
                    <p class="govuk-body">{form.name.clone()}<br/>{form.email_address.clone()}</p>
                    <form method="post" action=base.clone() novalidate>
                        <CsrfField token=csrf_token.to_string()/>
                        <div class=group>
                            <fieldset class="govuk-fieldset" aria-describedby="permissions-hint">
                                <legend class="govuk-fieldset__legend govuk-fieldset__legend--s">"Permissions"</legend>
                                <div id="permissions-hint" class="govuk-hint">{PERMISSIONS_HINT}</div>
                                {error.map(|e| view! {
                                    <p id="permissions-error" class="govuk-error-message">
                                        <span class="govuk-visually-hidden">"Error: "</span>{e}
                                    </p>
                                })}
                                <div class="govuk-checkboxes" data-module="govuk-checkboxes">{boxes}</div>
                            </fieldset>
                        </div>
                        <div class="govuk-button-group">
                            <Button text="Save"/>
                            <a class="govuk-link govuk-link--no-visited-state notify-delete-link" href=format!("{base}/delete")>
                                "Remove this team member"
                            </a>
                        </div>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// A member who left while they could see the API keys: the warning on the
/// API integration pages.
#[derive(Clone, Debug)]
pub struct DepartureView {
    pub id: String,
    /// `{name} left the team on 6 December 2026.`
    pub sentence: String,
    /// (key id, key name)
    pub keys: Vec<(String, String)>,
}

/// The departure warnings, each with its keys' Rotate links and Dismiss.
#[component]
pub fn DepartureWarnings(service: ServiceContext, departures: Vec<DepartureView>, csrf_token: String) -> impl IntoView {
    departures
        .into_iter()
        .map(|d| {
            let keys = d
                .keys
                .iter()
                .map(|(id, name)| {
                    view! {
                        <li>
                            <a class="govuk-link govuk-link--no-visited-state" href=service.path(&format!("/api/keys/rotate/{id}"))>
                                {format!("Rotate ‘{name}’")}
                            </a>
                        </li>
                    }
                })
                .collect_view();
            let title_id = format!("departure-{}", d.id);
            let labelled_by = title_id.clone();
            view! {
                <div class="govuk-notification-banner" role="region" aria-labelledby=labelled_by data-module="govuk-notification-banner">
                    <div class="govuk-notification-banner__header">
                        <h2 class="govuk-notification-banner__title" id=title_id>"Important"</h2>
                    </div>
                    <div class="govuk-notification-banner__content">
                        <p class="govuk-notification-banner__heading">
                            {format!("{} These keys were created or could be seen by them: rotate them.", d.sentence)}
                        </p>
                        <ul class="govuk-list">{keys}</ul>
                        <form method="post" action=service.path(&format!("/api/departures/{}/dismiss", d.id)) novalidate>
                            <CsrfField token=csrf_token.clone()/>
                            <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button">
                                "Dismiss"<span class="govuk-visually-hidden">" this warning"</span>
                            </button>
                        </form>
                    </div>
                </div>
            }
        })
        .collect_view()
}
