//! Making emails: the templates of email types, the MIME message, and the transports that carry it.
pub mod links;
pub mod message;
pub mod smtp;
pub mod template;

pub use template::{EmailTemplate, Rendered, TemplateError, template_context};
