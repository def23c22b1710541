//! API docs (public): Getting started and one page per endpoint, from the OpenAPI document.

mod endpoint;
mod getting_started;
mod layout;

pub use endpoint::EndpointPage;
pub use getting_started::{
    EXAMPLE_AUTHORIZATION, EXAMPLE_CLIENT_ID, EXAMPLE_KEY, GettingStartedPage,
};
pub use layout::DocsLayout;
