//! The document shell, the router, and the signed-in layout.
use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

mod layout;

use crate::pages::{
    accounts::{AccountPage, AccountsPage},
    activity::ActivityPage,
    campaigns::{CampaignPage, CampaignsPage, ProjectCampaignsPage},
    docs::{DocsLayout, EndpointPage, GettingStartedPage},
    email_types::EmailTypePage,
    emails::EmailPage,
    home::HomeRedirect,
    login::LoginPage,
    not_found::NotFound,
    outbox::{OutboxMessagePage, OutboxPage},
    project_edit::ProjectEditPage,
    projects::{ProjectPage, ProjectsPage},
    staff::StaffPage,
    users::{UserProfilePage, UsersPage},
    webhooks::{DeliveriesPage, WebhookDeliveryPage},
};
use layout::PanelLayout;

/// The HTML document around the app (server side), with its Content-Security-Policy.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/mailroom.css" />
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg" />
        <Title formatter=|title: String| if title.is_empty() { "Mailroom".to_owned() } else { format!("{title} · Mailroom") } />
        // Pages wait for their data before the first byte is sent (SsrMode::Async), so that redirects and
        // statuses are real HTTP ones and every page is complete without JavaScript.
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <ParentRoute path=path!("/docs") view=DocsLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=GettingStartedPage ssr=SsrMode::Async />
                    <Route path=path!(":slug") view=EndpointPage ssr=SsrMode::Async />
                </ParentRoute>
                <ParentRoute path=path!("") view=PanelLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomeRedirect ssr=SsrMode::Async />
                    <Route path=path!("accounts") view=AccountsPage ssr=SsrMode::Async />
                    <Route path=path!("accounts/:id") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("staff") view=StaffPage ssr=SsrMode::Async />
                    <Route path=path!("projects") view=ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id") view=ProjectPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/edit") view=ProjectEditPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/webhooks") view=DeliveriesPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/activity") view=ActivityPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/campaigns") view=ProjectCampaignsPage ssr=SsrMode::Async />
                    <Route path=path!("projects/:id/types/:type_id") view=EmailTypePage ssr=SsrMode::Async />
                    <Route path=path!("webhooks/:id") view=WebhookDeliveryPage ssr=SsrMode::Async />
                    <Route path=path!("campaigns") view=CampaignsPage ssr=SsrMode::Async />
                    <Route path=path!("campaigns/:id") view=CampaignPage ssr=SsrMode::Async />
                    <Route path=path!("users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("users/:id") view=UserProfilePage ssr=SsrMode::Async />
                    <Route path=path!("emails/:message_id") view=EmailPage ssr=SsrMode::Async />
                    <Route path=path!("outbox") view=OutboxPage ssr=SsrMode::Async />
                    <Route path=path!("outbox/:id") view=OutboxMessagePage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
