use leptos::{Params, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params, params::Params};

use crate::{
    components::CopyButton,
    model::{ApiReference, EndpointDoc, FieldDoc, ResponseDoc},
};

/// The `:slug` of an endpoint's page.
#[derive(Params, PartialEq, Clone)]
struct SlugParams {
    slug: String,
}

/// One endpoint: description and fields on the left; the request example and the Response window with a
/// tab per status on the right.
#[component]
pub fn EndpointPage() -> impl IntoView {
    let reference = expect_context::<ApiReference>();
    let params = use_params::<SlugParams>();
    move || {
        let endpoint = params.with(|p| {
            let slug = p.as_ref().ok()?.slug.as_str();
            reference.endpoints.iter().find(|e| e.slug == slug).cloned()
        });
        match endpoint {
            Some(endpoint) => view! { <Endpoint endpoint /> }.into_any(),
            None => view! {
                <Title text="API docs" />
                <p class="alert alert-error" role="alert">"There is no such endpoint. "<A href="/docs">"See all endpoints"</A></p>
            }
            .into_any(),
        }
    }
}

#[component]
fn Endpoint(endpoint: EndpointDoc) -> impl IntoView {
    view! {
        <Title text=endpoint.summary.clone() />
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <A href="/docs">"API docs"</A>
            <span class="sep" aria-hidden="true">"›"</span>
            <span aria-current="page">{endpoint.summary.clone()}</span>
        </nav>
        <div class="endpoint">
            <div class="endpoint-text">
                <h1>{endpoint.summary.clone()}</h1>
                <p class="endpoint-line">
                    <span class=format!("method method-{}", endpoint.method.to_lowercase())>{endpoint.method.clone()}</span>
                    " " <code>{endpoint.path.clone()}</code>
                </p>
                <p>{endpoint.description.clone()}</p>
                {(!endpoint.params.is_empty()).then(|| view! { <Fields title="Parameters" fields=endpoint.params.clone() /> })}
                {(!endpoint.body_fields.is_empty()).then(|| view! { <Fields title="Body fields" fields=endpoint.body_fields.clone() /> })}
            </div>
            <div class="endpoint-examples">
                <div class="code-window">
                    <div class="code-window-bar"><span>"Request"</span><CopyButton text=endpoint.curl.clone() label="Copy" /></div>
                    <pre><code>{endpoint.curl.clone()}</code></pre>
                </div>
                <ResponseWindow responses=endpoint.responses />
            </div>
        </div>
    }
}

#[component]
fn Fields(title: &'static str, fields: Vec<FieldDoc>) -> impl IntoView {
    view! {
        <h2>{title}</h2>
        <div class="table-wrap">
            <table class="fields">
                <thead><tr><th scope="col">"Field"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
                <tbody>
                    {fields.into_iter().map(|f| view! {
                        <tr>
                            <td><code>{f.name}</code>{f.required.then(|| view! { " " <span class="badge badge-muted">"required"</span> })}</td>
                            <td>{f.kind}</td>
                            <td>{f.description}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The examples of the answers, one tab per status code.
#[component]
fn ResponseWindow(responses: Vec<ResponseDoc>) -> impl IntoView {
    let selected = RwSignal::new(0usize);
    let tabs = responses.clone();
    view! {
        <div class="code-window response-window">
            <div class="code-window-bar">
                <span id="response-label">"Response"</span>
                <div role="tablist" aria-labelledby="response-label" class="tabs">
                    {tabs.into_iter().enumerate().map(|(i, r)| view! {
                        <button type="button" role="tab" id=format!("response-tab-{}", r.status)
                            aria-controls=format!("response-panel-{}", r.status)
                            aria-selected=move || (selected.get() == i).to_string()
                            class=move || if selected.get() == i { "tab active" } else { "tab" }
                            on:click=move |_| selected.set(i)>
                            {r.status.clone()}
                        </button>
                    }).collect_view()}
                </div>
            </div>
            {responses.into_iter().enumerate().map(|(i, r)| {
                let example = r.example.clone().unwrap_or_else(|| "(no body example)".into());
                view! {
                    <div role="tabpanel" id=format!("response-panel-{}", r.status)
                        aria-labelledby=format!("response-tab-{}", r.status) hidden=move || selected.get() != i>
                        <p class="response-description">{r.description.clone()}</p>
                        <pre><code>{example.clone()}</code></pre>
                        <div class="code-window-actions"><CopyButton text=example label="Copy" /></div>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}
