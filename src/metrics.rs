//! `GET /metrics` in the Prometheus text format: HTTP requests by status class, the send queue's depth
//! and the delivery outcomes of this process.
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::state::AppState;

/// Counters of this process (since it started).
#[derive(Default)]
pub struct Metrics {
    /// Answers by status class: 1xx … 5xx.
    requests: [AtomicU64; 5],
    sent: AtomicU64,
    deferred: AtomicU64,
    failed: AtomicU64,
    suppressed: AtomicU64,
}

impl Metrics {
    /// Counts one delivery outcome (`sent`, `deferred`, `failed` or `suppressed`).
    pub fn count_outcome(&self, status: &str, n: u64) {
        let counter = match status {
            "sent" => &self.sent,
            "deferred" => &self.deferred,
            "failed" => &self.failed,
            "suppressed" => &self.suppressed,
            _ => return,
        };
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn render(&self, queued: i64, deferred: i64) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP mailroom_http_requests_total HTTP requests answered, by status class.\n",
        );
        out.push_str("# TYPE mailroom_http_requests_total counter\n");
        for (i, counter) in self.requests.iter().enumerate() {
            out.push_str(&format!(
                "mailroom_http_requests_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                counter.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP mailroom_queue_depth Emails waiting to be sent, by status.\n");
        out.push_str("# TYPE mailroom_queue_depth gauge\n");
        out.push_str(&format!(
            "mailroom_queue_depth{{status=\"queued\"}} {queued}\n"
        ));
        out.push_str(&format!(
            "mailroom_queue_depth{{status=\"deferred\"}} {deferred}\n"
        ));
        out.push_str(
            "# HELP mailroom_deliveries_total Delivery attempts of this process, by outcome.\n",
        );
        out.push_str("# TYPE mailroom_deliveries_total counter\n");
        for (outcome, counter) in [
            ("sent", &self.sent),
            ("deferred", &self.deferred),
            ("failed", &self.failed),
            ("suppressed", &self.suppressed),
        ] {
            out.push_str(&format!(
                "mailroom_deliveries_total{{outcome=\"{outcome}\"}} {}\n",
                counter.load(Ordering::Relaxed)
            ));
        }
        out
    }
}

/// Counts every answer by its status class.
pub async fn count_requests(
    State(metrics): State<Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let response = next.run(req).await;
    let class = usize::from(response.status().as_u16() / 100).clamp(1, 5) - 1;
    metrics.requests[class].fetch_add(1, Ordering::Relaxed);
    response
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    // -1 says that the database did not answer.
    let (queued, deferred) = state.db.queue_depth().await.unwrap_or((-1, -1));
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(queued, deferred),
    )
        .into_response()
}
