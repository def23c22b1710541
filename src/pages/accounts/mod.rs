//! Accounts (staff): the searchable list and one account's page.

mod detail;
mod list;

pub use detail::{AccountPage, LoginToggle};
pub use list::AccountsPage;
pub(crate) use list::encode;
