//! The project page's chart of emails by status per day: an SVG drawn on the server (no chart
//! JavaScript), and the same numbers as a table for screen readers and for reading exact values.
use std::collections::HashMap;

use leptos::prelude::*;

use crate::{model::StatusChart, server_fns::projects::project_chart};

/// The statuses drawn, with their labels, in the legend's order.
const SERIES: [(&str, &str); 6] = [
    ("queued", "Accepted"),
    ("sent", "Sent"),
    ("opened", "Opened"),
    ("clicked", "Clicked"),
    ("bounced", "Bounced"),
    ("failed", "Failed"),
];
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// `YYYY-MM-DD` of a day since the epoch; `short`: `MM-DD`.
fn day_label(day: i64, short: bool) -> String {
    let date = chrono::DateTime::from_timestamp(day * 86_400, 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    if short {
        date.format("%m-%d").to_string()
    } else {
        date.format("%Y-%m-%d").to_string()
    }
}

/// The chart's resource, made by the project page outside its `Suspend`.
pub type ChartResource = Resource<Result<StatusChart, crate::error::AppError>>;

pub fn chart_resource(project_id: impl Fn() -> i64 + Send + Sync + 'static) -> ChartResource {
    Resource::new(project_id, project_chart)
}

#[component]
pub fn StatusChartSection(chart: ChartResource) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="chart-heading">
            <h2 id="chart-heading">"Emails by status, last 30 days"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading the chart…"</p> }>
                {move || Suspend::new(async move {
                    match chart.await {
                        Ok(chart) if chart.counts.is_empty() => view! {
                            <p class="empty-state">"No emails in the last 30 days. (The counts are brought up to date every 30 seconds.)"</p>
                        }.into_any(),
                        Ok(chart) => view! { <Chart chart /> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Chart(chart: StatusChart) -> impl IntoView {
    let days = chart.days.max(1);
    let mut counts: HashMap<(i64, &str), i64> = HashMap::new();
    let mut other_statuses: Vec<String> = Vec::new();
    for c in &chart.counts {
        match SERIES.iter().find(|(s, _)| *s == c.status) {
            Some((status, _)) => *counts.entry((c.day, status)).or_default() += c.count,
            None if !other_statuses.contains(&c.status) => other_statuses.push(c.status.clone()),
            None => {}
        }
    }
    let count = |day: i64, status: &str| counts.get(&(day, status)).copied().unwrap_or(0);
    let max = chart
        .counts
        .iter()
        .filter(|c| SERIES.iter().any(|(s, _)| *s == c.status))
        .map(|c| c.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |i: i64| LEFT + (WIDTH - LEFT - 8.0) * i as f64 / (days - 1).max(1) as f64;
    let y = |n: i64| TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - n as f64 / max as f64);
    let lines = SERIES
        .iter()
        .map(|(status, _)| {
            let points: Vec<String> = (0..days)
                .map(|i| format!("{:.1},{:.1}", x(i), y(count(chart.first_day + i, status))))
                .collect();
            view! { <polyline class=format!("series series-{status}") points=points.join(" ") /> }
        })
        .collect_view();
    let ticks = [0, max / 2, max]
        .into_iter()
        .map(|n| {
            view! {
                <line class="grid" x1=LEFT x2=WIDTH - 8.0 y1=y(n) y2=y(n) />
                <text class="tick" x=LEFT - 6.0 y=y(n) + 4.0 text-anchor="end">{n}</text>
            }
        })
        .collect_view();
    // A label a week, and the last day's (unless a weekly one is too close to it).
    let labels = (0..days)
        .step_by(7)
        .filter(|i| days - 1 - i >= 4)
        .chain(std::iter::once(days - 1))
        .map(|i| {
            view! {
                <text class="tick" x=x(i) y=HEIGHT - 6.0 text-anchor="middle">{day_label(chart.first_day + i, true)}</text>
            }
        })
        .collect_view();
    let totals: Vec<(&str, i64)> = SERIES
        .iter()
        .map(|(status, label)| {
            (
                *label,
                (0..days).map(|i| count(chart.first_day + i, status)).sum(),
            )
        })
        .collect();
    let summary = totals
        .iter()
        .map(|(label, n)| format!("{label} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = (0..days)
        .rev()
        .filter(|i| SERIES.iter().any(|(s, _)| count(chart.first_day + i, s) > 0))
        .map(|i| {
            let day = chart.first_day + i;
            view! {
                <tr>
                    <th scope="row" class="nowrap">{day_label(day, false)}</th>
                    {SERIES.iter().map(|(s, _)| view! { <td class="num">{count(day, s)}</td> }).collect_view()}
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-label=format!("Emails by status over the last {days} days: {summary}. The table below has each day's numbers.")>
                {ticks}
                {labels}
                {lines}
            </svg>
            <figcaption class="chart-legend">
                {SERIES.iter().zip(totals.clone()).map(|((status, label), (_, total))| view! {
                    <span class="legend-item"><span class=format!("swatch series-{status}") aria-hidden="true"></span>{format!("{label} ({total})")}</span>
                }).collect_view()}
            </figcaption>
        </figure>
        <details class="chart-numbers">
            <summary>"The numbers by day"</summary>
            <div class="table-wrap">
                <table>
                    <caption class="visually-hidden">"Emails by status per day"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Day (UTC)"</th>
                            {SERIES.iter().map(|(_, label)| view! { <th scope="col" class="num">{*label}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </details>
    }
}
