//! `/campaigns/{id}`: a draft's column mapping and launch, or a campaign's settings, controls and
//! (in `progress`) its live progress and rows.
use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_params},
};

use super::{
    CampaignState,
    mapping::{DiscardDraft, MappingCard},
    progress::ProgressSection,
};
use crate::{
    components::{ConfirmAction, FormError},
    error::AppError,
    model::{Campaign, CampaignPreview, CampaignView, format_time},
    pages::params::{CampaignRowsQuery, IdParams, use_list_query},
    server_fns::campaigns::{
        ControlCampaign, DiscardCampaign, LaunchCampaign, campaign_rows, get_campaign,
        get_campaign_preview,
    },
};

fn state_of(view: &Option<Result<CampaignView, AppError>>) -> Option<String> {
    view.as_ref()?
        .as_ref()
        .ok()
        .map(|v| v.campaign.state.clone())
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let query = use_list_query::<CampaignRowsQuery>();
    let launch = ServerAction::<LaunchCampaign>::new();
    let control = ServerAction::<ControlCampaign>::new();
    let discard = ServerAction::<DiscardCampaign>::new();
    // `refresh`: after an action or a change of state, everything; `tick`: the live parts, every 2 s
    // while the campaign runs (in the browser only).
    let refresh = RwSignal::new(0u32);
    let tick = RwSignal::new(0u32);
    // Every resource is made here, outside the `Suspend`s (resources made inside break hydration).
    // Two plain resources, each one server function (a resource awaiting two in a row hydrated
    // with a mismatch now and then): the campaign, and its preview (rows only for a draft).
    let head = Resource::new(move || (id(), refresh.get()), |(id, _)| get_campaign(id));
    let preview = Resource::new(
        move || (id(), refresh.get()),
        |(id, _)| get_campaign_preview(id),
    );
    let progress = Resource::new(
        move || (id(), refresh.get(), tick.get()),
        |(id, _, _)| get_campaign(id),
    );
    let rows = Resource::new(
        move || (id(), query.get(), refresh.get(), tick.get()),
        |(id, q, _, _)| campaign_rows(id, q.kind().to_owned(), q.after.clone().unwrap_or_default()),
    );

    // A successful launch or control changes the whole page.
    // (A failed launch does not refetch: the form keeps the columns as the user set them.)
    Effect::new(move |_| {
        if launch.value().with(|v| matches!(v, Some(Ok(_)))) {
            refresh.update(|n| *n = n.wrapping_add(1));
        }
    });
    Effect::new(move |_| {
        if control.value().with(|v| matches!(v, Some(Ok(_)))) {
            refresh.update(|n| *n = n.wrapping_add(1));
        }
    });
    // A discarded draft is gone: back to its project's campaigns.
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(project_id)) = discard.value().get() {
            navigate(
                &format!("/projects/{project_id}/campaigns"),
                NavigateOptions::default(),
            );
        }
    });
    // While it runs, the progress is fetched again every 2 seconds; the interval ends with the page.
    // (The interval reads a signal the effect keeps, not the resource: a resource is read in a
    // Suspense or an effect.)
    let live = RwSignal::new(false);
    Effect::new(move |_| {
        live.set(progress.with(|p| matches!(p, Some(Ok(v)) if v.campaign.is_live())));
    });
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if live.get_untracked() {
                    tick.update(|n| *n = n.wrapping_add(1));
                }
            },
            Duration::from_secs(2),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    // When the live view reaches another state (importing → sending → done), the head (controls,
    // settings) follows; once per state, so that a slow head never loops.
    let asked_for = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let Some(live) = progress.with(state_of) else {
            return;
        };
        let shown = head.with_untracked(|h| {
            h.as_ref()
                .and_then(|h| h.as_ref().ok())
                .map(|v| v.campaign.state.clone())
        });
        if shown.is_some_and(|s| s != live)
            && asked_for.with_value(|a| a.as_deref() != Some(live.as_str()))
        {
            asked_for.set_value(Some(live));
            refresh.update(|n| *n = n.wrapping_add(1));
        }
    });

    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the campaign…"</p> }>
            {move || Suspend::new(async move {
                let preview = preview.await;
                match head.await {
                    Ok(view) => {
                        let preview = (view.campaign.state == "draft").then_some(preview);
                        view! { <CampaignHead view preview launch control discard /> }.into_any()
                    }
                    Err(e) => view! {
                        <Title text="Campaign" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/campaigns">"Campaigns"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let view = progress.await;
                let rows = rows.await;
                let q = query.get_untracked();
                match view {
                    Ok(view) if view.campaign.state != "draft" => {
                        view! { <ProgressSection view rows kind=q.kind() paged=q.after.is_some_and(|a| !a.is_empty()) /> }.into_any()
                    }
                    // A draft has no progress; an error is shown by the head.
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// Breadcrumbs, title, and either the draft's mapping or the campaign's settings and controls.
#[component]
fn CampaignHead(
    view: CampaignView,
    preview: Option<Result<CampaignPreview, AppError>>,
    launch: ServerAction<LaunchCampaign>,
    control: ServerAction<ControlCampaign>,
    discard: ServerAction<DiscardCampaign>,
) -> impl IntoView {
    let CampaignView {
        campaign: c,
        can_edit,
        ..
    } = view;
    let draft = c.state == "draft";
    let lead = if draft {
        "Draft: check what each column of the file is, then launch it.".to_owned()
    } else {
        format!("{} · {} rows in the file", c.type_name, c.total_rows)
    };
    let actions = if draft {
        can_edit
            .then(|| view! { <DiscardDraft campaign_id=c.id discard /> })
            .into_any()
    } else {
        can_edit
            .then(|| view! { <Controls campaign_id=c.id state=c.state.clone() control /> })
            .into_any()
    };
    let (project_id, project_name, name) = (c.project_id, c.project_name.clone(), c.name.clone());
    let state = c.state.clone();
    let error = (c.state == "failed").then(|| {
        let reason = c.error.clone();
        format!(
            "The campaign failed: {}",
            reason.unwrap_or_else(|| "no reason was recorded.".to_owned())
        )
    });
    let body = if draft {
        view! { <MappingCard campaign=c preview can_edit launch /> }.into_any()
    } else {
        view! { <Settings campaign=c /> }.into_any()
    };
    view! {
        <Title text=format!("{name} · Campaigns") />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href="/projects">"Projects"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <A href=format!("/projects/{project_id}")>{project_name}</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <A href=format!("/projects/{project_id}/campaigns")>"Campaigns"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <span aria-current="page">{name.clone()}</span>
                </nav>
                <h1>{name.clone()} " " <CampaignState state /></h1>
                <p class="lead">{lead}</p>
            </div>
            {actions}
        </div>
        <FormError action=control />
        <FormError action=discard />
        {error.map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
        {body}
    }
}

/// Pause, Resume and Cancel, as the state allows (each a form that works without JavaScript).
#[component]
fn Controls(
    campaign_id: i64,
    state: String,
    control: ServerAction<ControlCampaign>,
) -> impl IntoView {
    let pausable = matches!(state.as_str(), "scheduled" | "importing" | "sending");
    let resumable = state == "paused";
    let cancellable = !matches!(state.as_str(), "draft" | "done" | "cancelled" | "failed");
    let button = move |action: &'static str, label: &'static str| {
        view! {
            <ActionForm action=control attr:class="inline-form">
                <input type="hidden" name="id" value=campaign_id />
                <input type="hidden" name="action" value=action />
                <button type="submit" class="button" disabled=move || control.pending().get()>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <div class="header-actions">
            {pausable.then(|| button("pause", "Pause"))}
            {resumable.then(|| button("resume", "Resume"))}
            {cancellable.then(|| view! {
                <ConfirmAction label="Cancel campaign"
                    question="Cancel this campaign? Emails already sent stay sent; the rest are marked cancelled.">
                    <ActionForm action=control>
                        <input type="hidden" name="id" value=campaign_id />
                        <input type="hidden" name="action" value="cancel" />
                        <button type="submit" class="button button-danger" disabled=move || control.pending().get()>
                            "Cancel campaign"
                        </button>
                    </ActionForm>
                </ConfirmAction>
            })}
        </div>
    }
}

/// What the campaign is: its project, type, file, mapping and times.
#[component]
fn Settings(campaign: Campaign) -> impl IntoView {
    let c = campaign;
    let mapping: Vec<(String, String)> = c.columns().into_iter().zip(c.column_uses()).collect();
    let state_text = match (c.state.as_str(), c.paused_from.as_deref()) {
        ("paused", Some(from)) => format!(" (paused while {from})"),
        _ => String::new(),
    };
    view! {
        <section class="card" aria-labelledby="campaign-heading">
            <h2 id="campaign-heading">"Campaign"</h2>
            <dl class="details">
                <dt>"State"</dt>
                <dd><CampaignState state=c.state.clone() />{state_text}</dd>
                {c.starts_at.map(|at| view! {
                    <dt>"Starts at"</dt>
                    <dd>{format_time(at)}</dd>
                })}
                <dt>"Project"</dt>
                <dd><A href=format!("/projects/{}", c.project_id)>{c.project_name.clone()}</A></dd>
                <dt>"Email type"</dt>
                <dd>{c.type_name.clone()}</dd>
                <dt>"File"</dt>
                <dd>{format!("{} · {} · {} rows", c.original_name, format_bytes(c.file_bytes), c.total_rows)}</dd>
                <dt>"Created"</dt>
                <dd>{format!("{} by {}", format_time(c.created_at), c.created_by)}</dd>
                {c.import_started_at.map(|at| view! { <dt>"Import started"</dt><dd>{format_time(at)}</dd> })}
                {c.import_finished_at.map(|at| view! { <dt>"Import finished"</dt><dd>{format_time(at)}</dd> })}
                {c.finished_at.map(|at| view! { <dt>"Finished"</dt><dd>{format_time(at)}</dd> })}
            </dl>
            {(!mapping.is_empty()).then(|| view! {
                <details class="subform">
                    <summary class="button button-small">"Column mapping"</summary>
                    <div class="table-wrap">
                        <table class="mapping">
                            <thead><tr><th scope="col">"Column"</th><th scope="col">"Used as"</th></tr></thead>
                            <tbody>
                                {mapping.into_iter().map(|(column, code)| view! {
                                    <tr><td>{column}</td><td>{super::mapping::use_label(&code)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                </details>
            })}
        </section>
    }
}

/// A size in bytes, in the largest unit that keeps it above 1.
fn format_bytes(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}
