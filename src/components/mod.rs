//! Building blocks of the panel's pages.

mod confirm;
mod copy;
mod form;
mod pagination;
mod status;

pub use confirm::ConfirmAction;
pub use copy::CopyButton;
pub use form::{Field, FormError, SaveNote, field_error, reset_on_success};
pub use pagination::Pagination;
pub use status::{EMAIL_STATUSES, EmailStatus, StatusBadge};
