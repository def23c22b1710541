//! `GET /metrics` in the Prometheus text format: HTTP requests by status class, the send queue's depth
//! and the delivery outcomes of this process.
use std::{
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
/// Counts every answer by its status class and logs it: at ERROR when it is a 5xx, at DEBUG (with its
/// time) when that level is on.
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
            let (method, uri, status) = (&*this.method, &*this.uri, status.as_u16());
            if status >= 500 {
                tracing::error!(%method, %uri, status, "request failed");
            } else if let Some(start) = this.start {
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                tracing::debug!(%method, %uri, status, ms, "request");
            }
        }
        Poll::Ready(result)
    }
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
        let text = metrics.render(0, 0);
        assert!(text.contains("mailroom_http_requests_total{class=\"2xx\"} 2\n"));
        assert!(text.contains("mailroom_http_requests_total{class=\"5xx\"} 1\n"));
    }
}
