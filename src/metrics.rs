//! `GET /metrics` in the Prometheus text format: HTTP requests by status class, the send queue's depth
//! and the delivery outcomes of this process.
use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll, ready},
    time::Instant,
};

use axum::{
    extract::{Request, State},
    http::{Method, Uri, header},
    response::{IntoResponse, Response},
};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

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
    webhooks_delivered: AtomicU64,
    webhooks_retried: AtomicU64,
    webhooks_failed: AtomicU64,
    /// Microseconds spent storing webhook attempts.
    webhook_record_us: AtomicU64,
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

    /// Counts one webhook attempt by what followed it.
    pub fn count_webhook(&self, next: crate::db::WebhookNext) {
        let counter = match next {
            crate::db::WebhookNext::Delivered => &self.webhooks_delivered,
            crate::db::WebhookNext::Retry(_) => &self.webhooks_retried,
            crate::db::WebhookNext::Failed => &self.webhooks_failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts time spent storing webhook attempts.
    pub fn count_webhook_recording(&self, took: std::time::Duration) {
        self.webhook_record_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Webhooks delivered (answered 2xx) since the process started.
    pub fn webhooks_delivered(&self) -> u64 {
        self.webhooks_delivered.load(Ordering::Relaxed)
    }

    /// Seconds spent storing webhook attempts.
    pub fn webhook_record_secs(&self) -> f64 {
        self.webhook_record_us.load(Ordering::Relaxed) as f64 / 1e6
    }

    fn render(&self, queued: i64, deferred: i64, webhooks_pending: i64) -> String {
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
        out.push_str(
            "# HELP mailroom_webhook_queue_depth Webhooks waiting for a delivery attempt.\n",
        );
        out.push_str("# TYPE mailroom_webhook_queue_depth gauge\n");
        out.push_str(&format!(
            "mailroom_webhook_queue_depth {webhooks_pending}\n"
        ));
        out.push_str(
            "# HELP mailroom_webhook_deliveries_total Webhook attempts of this process, by outcome.\n",
        );
        out.push_str("# TYPE mailroom_webhook_deliveries_total counter\n");
        for (outcome, counter) in [
            ("delivered", &self.webhooks_delivered),
            ("retried", &self.webhooks_retried),
            ("failed", &self.webhooks_failed),
        ] {
            out.push_str(&format!(
                "mailroom_webhook_deliveries_total{{outcome=\"{outcome}\"}} {}\n",
                counter.load(Ordering::Relaxed)
            ));
        }
        out
    }
}

/// Counts every answer by its status class and logs it: at ERROR when it is a 5xx, at DEBUG (with its
/// time) when that level is on. The log names the request by its `LoggedPath`, not its raw URI.
///
/// It wraps every request, every API call included, so it is a plain service: its future is the inner
/// one with a few fields beside it, rather than `TraceLayer` and a `from_fn` middleware, which cost a
/// boxed future and service, a wrapped response body and two clock readings per request.
#[derive(Clone)]
pub struct ObserveLayer(Arc<Metrics>);

impl ObserveLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self(metrics)
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            metrics: self.0.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Observed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        Observed {
            method: req.method().clone(),
            uri: req.uri().clone(),
            start: tracing::enabled!(tracing::Level::DEBUG).then(Instant::now),
            metrics: self.metrics.clone(),
            inner: self.inner.call(req),
        }
    }
}

pin_project! {
    /// The future of an observed request.
    pub struct Observed<F> {
        #[pin]
        inner: F,
        metrics: Arc<Metrics>,
        method: Method,
        uri: Uri,
        start: Option<Instant>,
    }
}

impl<F, E> Future for Observed<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            let status = response.status();
            let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
            this.metrics.requests[class].fetch_add(1, Ordering::Relaxed);
            let (method, status) = (&*this.method, status.as_u16());
            let path = LoggedPath(this.uri.path());
            if status >= 500 {
                tracing::error!(%method, %path, status, "request failed");
            } else if let Some(start) = this.start {
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                tracing::debug!(%method, %path, status, ms, "request");
            }
        }
        Poll::Ready(result)
    }
}

/// A request's path as the logs show it, close to its route: segments that may carry data (ids, email
/// addresses, signed tokens) are written `{}`, and the query is left out, so
/// `/v1/projects/7/users/anna%40example.com?x=1` is logged as `/v1/projects/{}/users/{}`. A segment is
/// kept only when it is lower-case letters, `-`, `_` and `.` (the fixed words of the routes), or the
/// API's version (`v1`).
/// (Axum's `MatchedPath` is known only inside the router, and a layer there would wrap every route.)
/// Written straight to the log line: nothing is allocated, and only when a line is logged.
struct LoggedPath<'a>(&'a str);

impl fmt::Display for LoggedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.split('/').enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            let word = segment
                .bytes()
                .all(|b| b.is_ascii_lowercase() || matches!(b, b'-' | b'_' | b'.'));
            let version = segment
                .strip_prefix('v')
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            let fixed = word || version;
            f.write_str(if fixed { segment } else { "{}" })?;
        }
        Ok(())
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    // -1 says that the database did not answer.
    let (queued, deferred) = state.db.queue_depth().await.unwrap_or((-1, -1));
    let webhooks_pending = state.db.webhook_queue_depth().await.unwrap_or(-1);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(queued, deferred, webhooks_pending),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, http::StatusCode, routing::get};
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn counts_every_answer_by_status_class() {
        let metrics = Arc::new(Metrics::default());
        // Around the whole router, as the server has it (unknown paths included).
        let app = ObserveLayer::new(metrics.clone()).layer(
            Router::new()
                .route("/ok", get(|| async { "ok" }))
                .route("/boom", get(|| async { StatusCode::INTERNAL_SERVER_ERROR })),
        );
        for path in ["/ok", "/ok", "/boom", "/missing"] {
            let request = Request::get(path).body(Body::empty()).unwrap();
            app.clone().oneshot(request).await.unwrap();
        }
        let counts: Vec<u64> = metrics
            .requests
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        assert_eq!(counts, [0, 2, 0, 1, 1], "1xx … 5xx");
        let text = metrics.render(0, 0, 0);
        assert!(text.contains("mailroom_http_requests_total{class=\"2xx\"} 2\n"));
        assert!(text.contains("mailroom_http_requests_total{class=\"5xx\"} 1\n"));
    }

    #[test]
    fn logged_paths_carry_no_data() {
        for (path, logged) in [
            (
                "/v1/projects/7/users/anna%40example.com",
                "/v1/projects/{}/users/{}",
            ),
            (
                "/v1/projects/7/users/anna@example.com",
                "/v1/projects/{}/users/{}",
            ),
            ("/v1/emails", "/v1/emails"),
            ("/v1/emails/msg_0mk2x7q1a9ZpQ", "/v1/emails/{}"),
            ("/u/msg_0mk2x7q1a9ZpQ/3f9a0c", "/u/{}/{}"),
            ("/t/o/msg_0mk2x7q1a9zpq/af9a0c.gif", "/t/o/{}/{}"),
            ("/t/c/msg_0mk2x7q1a9ZpQ/3f9a0c", "/t/c/{}/{}"),
            ("/accounts/12", "/accounts/{}"),
            ("/api/create_account", "/api/create_account"),
            ("/pkg/mailroom_bg.wasm", "/pkg/mailroom_bg.wasm"),
            ("/", "/"),
        ] {
            assert_eq!(LoggedPath(path).to_string(), logged);
        }
    }
}
