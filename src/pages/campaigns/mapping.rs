//! A draft's column mapping (what each column of the file is), its launch, and its discarding.
use leptos::prelude::*;

use crate::{
    components::{ConfirmAction, FormError, field_error},
    domain::UserParams,
    error::AppError,
    model::{Campaign, CampaignPreview},
    server_fns::campaigns::{DiscardCampaign, LaunchCampaign},
};

/// A column use code in words (`email`, a parameter's name, `data:<key>`, or empty).
pub fn use_label(code: &str) -> String {
    match code {
        "" => "Ignored".to_owned(),
        "email" => "Email address".to_owned(),
        code => match code.strip_prefix("data:") {
            Some(key) => format!("Template data: {key}"),
            None => format!("User parameter: {code}"),
        },
    }
}

/// "Discard draft", behind a confirmation; the page goes back to the project's campaigns after it.
#[component]
pub fn DiscardDraft(campaign_id: i64, discard: ServerAction<DiscardCampaign>) -> impl IntoView {
    view! {
        <div class="header-actions">
            <ConfirmAction label="Discard draft"
                question="Delete this draft and its uploaded file? Nothing of it was imported or sent yet.">
                <ActionForm action=discard>
                    <input type="hidden" name="id" value=campaign_id />
                    <button type="submit" class="button button-danger" disabled=move || discard.pending().get()>
                        "Discard draft"
                    </button>
                </ActionForm>
            </ConfirmAction>
        </div>
    }
}

/// The mapping of each column (preselected with the guess from the header), the first rows of the
/// file, and the launch (now, or at a UTC time). Read-only for support.
#[component]
pub fn MappingCard(
    campaign: Campaign,
    preview: Option<Result<CampaignPreview, AppError>>,
    can_edit: bool,
    launch: ServerAction<LaunchCampaign>,
) -> impl IntoView {
    let preview = match preview {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            return view! {
                <section class="card" aria-labelledby="mapping-heading">
                    <h2 id="mapping-heading">"Column mapping"</h2>
                    <p class="alert alert-error" role="alert">{e.to_string()}</p>
                </section>
            }
            .into_any();
        }
        None => CampaignPreview {
            columns: campaign.columns(),
            uses: campaign.column_uses(),
            rows: Vec::new(),
        },
    };
    let CampaignPreview {
        columns,
        uses,
        rows,
    } = preview;
    // A few values of each column, to tell what it holds.
    let samples: Vec<String> = (0..columns.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i).filter(|v| !v.trim().is_empty()))
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let entries: Vec<(usize, String, String, String)> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let column = if column.trim().is_empty() {
                format!("(column {})", i + 1)
            } else {
                column.clone()
            };
            let chosen = uses.get(i).cloned().unwrap_or_default();
            (i, column, chosen, samples[i].clone())
        })
        .collect();
    let table = if can_edit {
        view! { <MappingSelects entries /> }.into_any()
    } else {
        view! { <MappingText entries /> }.into_any()
    };
    let sample_rows = view! { <PreviewRows columns rows /> };
    if !can_edit {
        return view! {
            <section class="card" aria-labelledby="mapping-heading">
                <h2 id="mapping-heading">"Column mapping"</h2>
                {table}
                {sample_rows}
            </section>
        }
        .into_any();
    }
    let mapping_error = field_error(launch, "mapping");
    let starts_error = field_error(launch, "starts_at");
    view! {
        <section class="card" aria-labelledby="mapping-heading">
            <h2 id="mapping-heading">"Column mapping"</h2>
            <p class="muted small intro">
                "Each column is the email address, a user parameter, template data for the email (under the column's name), or ignored. The choices below are guessed from the header."
            </p>
            <ActionForm action=launch attr:class="stack">
                <FormError action=launch />
                {move || mapping_error.get().map(|m| view! {
                    <p class="alert alert-error" role="alert" id="mapping-error">{format!("Column mapping: {m}")}</p>
                })}
                <input type="hidden" name="id" value=campaign.id />
                {table}
                <div class="launch-row">
                    <button type="submit" class="button button-primary" disabled=move || launch.pending().get()>
                        "Launch now"
                    </button>
                    <div class="field" class:has-error=move || starts_error.get().is_some()>
                        <label for="launch-starts-at">"Or launch at (UTC)"</label>
                        <input id="launch-starts-at" name="starts_at" type="datetime-local"
                            aria-describedby="launch-starts-at-hint"
                            aria-invalid=move || starts_error.get().is_some().then_some("true") />
                        <p class="hint" id="launch-starts-at-hint">"Leave empty to start right away; with a time, the campaign waits until then."</p>
                        {move || starts_error.get().map(|m| view! {
                            <p class="field-error" role="alert">{format!("Launch time {m}")}</p>
                        })}
                    </div>
                </div>
            </ActionForm>
            {sample_rows}
        </section>
    }
    .into_any()
}

/// One select per column, named `uses[i]` (what `launch_campaign` reads).
#[component]
fn MappingSelects(entries: Vec<(usize, String, String, String)>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="mapping">
                <thead>
                    <tr>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Use"</th>
                        <th scope="col">"First values"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries.into_iter().map(|(i, column, chosen, sample)| {
                        let id = format!("use-{i}");
                        let data = format!("data:{column}");
                        // A guess of template data under another key than the column's name.
                        let other_data = (chosen.starts_with("data:") && chosen != data).then(|| chosen.clone());
                        view! {
                            <tr>
                                <th scope="row">
                                    <label for=id.clone()><span class="visually-hidden">"Use of column "</span>{column.clone()}</label>
                                </th>
                                <td>
                                    <select id=id name=format!("uses[{i}]")>
                                        <option value="email" selected=chosen == "email">"Email address"</option>
                                        <optgroup label="User parameters">
                                            {UserParams::NAMES.into_iter().map(|name| view! {
                                                <option value=name selected=chosen == name>{name}</option>
                                            }).collect_view()}
                                        </optgroup>
                                        <option value=data.clone() selected=chosen == data>{format!("Template data: {column}")}</option>
                                        {other_data.map(|code| view! {
                                            <option value=code.clone() selected=true>{use_label(&code)}</option>
                                        })}
                                        <option value="" selected=chosen.is_empty()>"Ignore"</option>
                                    </select>
                                </td>
                                <td class="muted small">{sample}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The mapping in words, for who may not change it.
#[component]
fn MappingText(entries: Vec<(usize, String, String, String)>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="mapping">
                <thead>
                    <tr>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Use"</th>
                        <th scope="col">"First values"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries.into_iter().map(|(_, column, chosen, sample)| view! {
                        <tr>
                            <th scope="row">{column}</th>
                            <td>{use_label(&chosen)}</td>
                            <td class="muted small">{sample}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The first rows of the file under its header.
#[component]
fn PreviewRows(columns: Vec<String>, rows: Vec<Vec<String>>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty-state">"The file has no rows after its header."</p> }
            .into_any();
    }
    let count = rows.len();
    view! {
        <h3 class="subheading" id="preview-heading">{format!("First {count} rows of the file")}</h3>
        <div class="table-wrap">
            <table class="preview" aria-labelledby="preview-heading">
                <thead>
                    <tr>{columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr>{row.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
