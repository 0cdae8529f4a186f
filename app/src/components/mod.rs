//! GOV.UK Frontend components as Leptos components. They render on the
//! server; the markup and classes are GOV.UK Frontend's, so its stylesheet
//! applies and the accessibility work behind it carries over.

mod copy;
mod form;
mod layout;
mod relative_time;
mod table;
mod usage_chart;

pub use copy::CopyToClipboard;
pub use form::{
    escape_html, BackLink, Button, CsrfField, ErrorMessage, ErrorSummary, RadioItem, Radios, TextInput, Textarea,
};
pub use layout::{Layout, NotificationBanner};
pub use relative_time::RelativeTimes;
pub use table::{ButtonLink, Table};
pub use usage_chart::UsageChart;
