//! `/report-a-leaked-key`: anyone who finds one of our API keys where it
//! should not be can report it; a real key is revoked at once. The answer is
//! the same whether or not anything was found in the report.

use crate::components::{Button, ErrorSummary, TextInput, Textarea};
use crate::view_model::{FormErrors, Page, PageContent};
use leptos::prelude::*;

#[derive(Clone, Debug, Default)]
pub struct LeakReportForm {
    pub text: String,
    pub found_at: String,
    pub errors: FormErrors,
}

impl PageContent for LeakReportForm {
    fn title(&self) -> String {
        "Report a leaked API key".into()
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
                    <h1 class="govuk-heading-l">"Report a leaked API key"</h1>
                    <p class="govuk-body">"If you found one of our API keys somewhere public, such as in a code repository, paste what you found. Any key in it is revoked at once and its service is told."</p>
                    <p class="govuk-body">"Keys look like " <code>"name-{service id}-{36 letters and numbers}"</code> "."</p>
                    <form method="post" novalidate>
                        <Textarea
                            name="text"
                            label="What you found"
                            hint="The key, or the text around it"
                            value=form.text.clone()
                            error=form.errors.for_field("text")
                            rows=6
                            no_spellcheck=true
                        />
                        <TextInput
                            name="found_at"
                            label="Where you found it (optional)"
                            hint="For example, the web address of the page".to_string()
                            value=form.found_at.clone()
                            error=form.errors.for_field("found_at")
                        />
                        <Button text="Report"/>
                    </form>
                </div>
            </div>
        }
        .into_any()
    }
}

/// The same answer whatever the report held.
#[derive(Clone, Debug)]
pub struct LeakReportReceived;

impl PageContent for LeakReportReceived {
    fn title(&self) -> String {
        "Thank you for your report".into()
    }
    fn view(&self, _: &Page) -> AnyView {
        view! {
            <h1 class="govuk-heading-l">"Thank you for your report"</h1>
            <p class="govuk-body">"If it contains one of our API keys, that key has been revoked and its service told where it was found."</p>
        }
        .into_any()
    }
}
