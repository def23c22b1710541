use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::model::SessionUser;

/// `/`: staff start at Accounts, clients at their Projects.
#[component]
pub fn HomeRedirect() -> impl IntoView {
    let user = expect_context::<SessionUser>();
    let path = if user.role.is_staff() {
        "/accounts"
    } else {
        "/projects"
    };
    view! { <Redirect path=path /> }
}
