//! A launched campaign's live parts: the import's progress and counts, the emails by status, and the
//! notes about its rows (rejected, corrected, duplicates).
use leptos::prelude::*;
use leptos_router::location::Url;

use crate::{
    components::{EmailStatus, StatusBadge},
    error::AppError,
    model::{Campaign, CampaignRowNote, CampaignView, KeysetPage},
};

/// The statuses always listed, in the order an email goes through them.
const STATUSES: [&str; 9] = [
    "queued",
    "sent",
    "opened",
    "clicked",
    "bounced",
    "unsubscribed",
    "failed",
    "suppressed",
    "cancelled",
];

#[component]
pub fn ProgressSection(
    view: CampaignView,
    rows: Result<KeysetPage<CampaignRowNote>, AppError>,
    kind: &'static str,
    paged: bool,
) -> impl IntoView {
    let CampaignView {
        campaign, statuses, ..
    } = view;
    let mut by_status: Vec<(String, i64)> = STATUSES
        .iter()
        .map(|s| {
            let count = statuses
                .iter()
                .find(|(status, _)| status == s)
                .map_or(0, |(_, n)| *n);
            ((*s).to_owned(), count)
        })
        .collect();
    by_status.extend(
        statuses
            .into_iter()
            .filter(|(status, _)| !STATUSES.contains(&status.as_str())),
    );
    view! {
        <Progress campaign=campaign.clone() />
        <section class="card" aria-labelledby="statuses-heading">
            <h2 id="statuses-heading">"Emails by status"</h2>
            <div class="table-wrap">
                <table class="statuses">
                    <thead>
                        <tr><th scope="col">"Status"</th><th scope="col" class="num">"Emails"</th></tr>
                    </thead>
                    <tbody>
                        {by_status.into_iter().map(|(status, count)| view! {
                            <tr><td><EmailStatus status /></td><td class="num">{count}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <RowNotes campaign rows kind paged />
    }
}

/// The import's progress bar and counts; rate and time left as of the last progress update (the same
/// on the server and in the browser).
#[component]
fn Progress(campaign: Campaign) -> impl IntoView {
    let c = campaign;
    let percent = c.percent_read();
    let (rate, left) = match c.rate_and_time_left(c.updated_at) {
        Some((rate, left)) => (
            format!("{rate:.0} rows/s"),
            if c.import_finished_at.is_some() {
                "—".to_owned()
            } else {
                format_seconds(left)
            },
        ),
        None => ("—".to_owned(), "—".to_owned()),
    };
    let stats = [
        ("Rows read", c.rows_read.to_string()),
        ("Users created", c.users_created.to_string()),
        ("Users updated", c.users_updated.to_string()),
        ("Rejected", c.rows_rejected.to_string()),
        ("Corrected", c.rows_corrected.to_string()),
        ("Duplicates", c.rows_duplicate.to_string()),
        ("Emails queued", c.emails_queued.to_string()),
        ("Suppressed", c.emails_suppressed.to_string()),
        ("Rate", rate),
        ("Time left", left),
    ];
    let live = c.is_live();
    view! {
        <section class="card" aria-labelledby="progress-heading">
            <h2 id="progress-heading">"Import progress"</h2>
            <div class="progress-line">
                <progress max="100" value=percent aria-label="Import progress">{format!("{percent} %")}</progress>
                <span>{format!("{percent} % — {} of {} rows", c.rows_read, c.total_rows)}</span>
            </div>
            {(c.state == "scheduled").then(|| c.starts_at.map(|at| view! {
                <p class="muted small">{format!("Starts at {}.", crate::model::format_time(at))}</p>
            }))}
            <dl class="stat-grid">
                {stats.into_iter().map(|(label, value)| view! {
                    <div class="stat"><dt>{label}</dt><dd>{value}</dd></div>
                }).collect_view()}
            </dl>
            {live.then(|| view! {
                <p class="muted small">"While the campaign runs, this page updates every 2 seconds (without JavaScript, reload it to see the latest progress)."</p>
            })}
        </section>
    }
}

/// Seconds as "1 h 5 min", "3 min 20 s" or "12 s".
fn format_seconds(seconds: f64) -> String {
    let s = seconds.round().max(0.0) as i64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// The notes about the campaign's rows, by kind, in file order (keyset: `?after=`).
#[component]
fn RowNotes(
    campaign: Campaign,
    rows: Result<KeysetPage<CampaignRowNote>, AppError>,
    kind: &'static str,
    paged: bool,
) -> impl IntoView {
    let base = format!("/campaigns/{}", campaign.id);
    let tabs = [
        ("", "All".to_owned()),
        ("rejected", format!("Rejected ({})", campaign.rows_rejected)),
        (
            "corrected",
            format!("Corrected ({})", campaign.rows_corrected),
        ),
        (
            "duplicate",
            format!("Duplicates ({})", campaign.rows_duplicate),
        ),
    ];
    let tab_href = {
        let base = base.clone();
        move |k: &str| {
            if k.is_empty() {
                base.clone()
            } else {
                format!("{base}?kind={k}")
            }
        }
    };
    let first = tab_href(kind);
    let body = match rows {
        Err(e) => {
            view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any()
        }
        Ok(page) if page.items.is_empty() => view! {
            <p class="empty-state">{match (paged, kind) {
                (true, _) => "No more rows.",
                (false, "") => "No notes: every row read so far was imported as it was.",
                (false, "rejected") => "No rejected rows.",
                (false, "corrected") => "No corrected rows.",
                _ => "No duplicate rows.",
            }}</p>
        }
        .into_any(),
        Ok(page) => {
            let sep = if kind.is_empty() { '?' } else { '&' };
            let more = page
                .next
                .as_deref()
                .map(|c| format!("{first}{sep}after={}", Url::escape(c)));
            view! {
                <div class="table-wrap">
                    <table class="row-notes">
                        <thead>
                            <tr>
                                <th scope="col" class="num">"Line"</th>
                                <th scope="col">"Kind"</th>
                                <th scope="col">"Email"</th>
                                <th scope="col">"Detail"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page.items.into_iter().map(|n| {
                                let tone = match n.kind.as_str() {
                                    "rejected" => "danger",
                                    "corrected" => "warn",
                                    _ => "muted",
                                };
                                view! {
                                    <tr>
                                        <td class="num">{n.line}</td>
                                        <td><StatusBadge text=n.kind.clone() tone /></td>
                                        <td>{n.email.unwrap_or_else(|| "—".to_owned())}</td>
                                        <td>{n.detail}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <nav class="pagination" aria-label="Rows pages">
                    {if paged {
                        view! { <a href=first.clone()>"← First"</a> }.into_any()
                    } else {
                        view! { <span class="disabled" aria-disabled="true">"← First"</span> }.into_any()
                    }}
                    {match more {
                        Some(h) => view! { <a href=h rel="next">"More →"</a> }.into_any(),
                        None => view! { <span class="disabled" aria-disabled="true">"More →"</span> }.into_any(),
                    }}
                </nav>
            }
            .into_any()
        }
    };
    view! {
        <section class="card" aria-labelledby="rows-heading">
            <div class="card-header">
                <h2 id="rows-heading">"Rows"</h2>
                <nav class="tab-links" aria-label="Row notes">
                    {tabs.into_iter().map(|(k, label)| view! {
                        // Plain links: the router's `A` would mark them all as current (one path).
                        <a href=tab_href(k) aria-current=(k == kind).then_some("page")>{label}</a>
                    }).collect_view()}
                </nav>
            </div>
            {(campaign.rows_rejected > 0).then(|| view! {
                <p>
                    <a href=format!("/campaigns/{}/rejects.csv", campaign.id) rel="external" download>
                        "Download rejected rows (CSV)"
                    </a>
                </p>
            })}
            {body}
        </section>
    }
}
