//! Typed route and query parameters of the pages, parsed by `leptos_router`'s `Params`.
use leptos::{Params, prelude::*};
use leptos_router::{
    hooks::use_query,
    params::{IntoParam, Params, ParamsError},
};

/// The `:id` of a record's page. A malformed id fails to parse; the pages then ask for id 0, which no
/// record has, and show the not-found answer.
#[derive(Params, PartialEq, Clone)]
pub struct IdParams {
    pub id: i64,
}

/// `?q=…&page=…` of a searchable, paged list. Every field has a fallback, so it always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub page: PageNumber,
}

/// `?page=…` of a paged list; always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct PageQuery {
    pub page: PageNumber,
}

/// `?tab=…` of a page with tabs; a missing or unknown tab reads as the first.
#[derive(Params, PartialEq, Clone, Default)]
pub struct TabQuery {
    pub tab: Option<String>,
}

/// `?failed=1&page=…` of a project's webhook deliveries; always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct DeliveriesQuery {
    pub failed: Option<String>,
    /// A message id: the deliveries about that email only.
    pub email: Option<String>,
    pub page: PageNumber,
}

impl DeliveriesQuery {
    /// Whether only failed deliveries are asked for (`failed=1`, or `on` from a checkbox).
    pub fn failed_only(&self) -> bool {
        matches!(self.failed.as_deref(), Some("1" | "on" | "true"))
    }

    /// The message id asked for, when there is one.
    pub fn email(&self) -> String {
        self.email.as_deref().unwrap_or_default().trim().to_owned()
    }
}

/// `?q=…&project=…&state=…&after=…|before=…` of the Users list; always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct UsersQuery {
    pub q: Option<String>,
    /// A project id; missing, empty or malformed: every project.
    pub project: Option<String>,
    pub state: Option<String>,
    /// Staff: an account id; missing, empty or malformed: every account.
    pub account: Option<String>,
    /// The latest email's status.
    pub last_status: Option<String>,
    /// `activity`: by latest email.
    pub sort: Option<String>,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl UsersQuery {
    pub fn project_id(&self) -> i64 {
        self.project
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    pub fn account_id(&self) -> i64 {
        self.account
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// Whether any filter (not the search) narrows the list.
    pub fn filtered(&self) -> bool {
        [&self.project, &self.state, &self.account, &self.last_status]
            .into_iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()))
    }

    /// The URL of this list with a cursor (`after` or `before`) instead of the current one.
    pub fn href(&self, cursor: Option<(&str, &str)>) -> String {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (name, value) in [
            ("q", &self.q),
            ("account", &self.account),
            ("project", &self.project),
            ("state", &self.state),
            ("last_status", &self.last_status),
            ("sort", &self.sort),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                pairs.push((name, v));
            }
        }
        pairs.extend(cursor);
        let query: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", leptos_router::location::Url::escape(v)))
            .collect();
        if query.is_empty() {
            "/users".to_owned()
        } else {
            format!("/users?{}", query.join("&"))
        }
    }
}

/// `?status=…&before=…` of a user's timeline; always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct TimelineQuery {
    /// `changes`: the parameter changes instead of the emails; `webhooks`: the webhooks about them.
    pub kind: Option<String>,
    pub status: Option<String>,
    pub before: Option<String>,
}

/// `?q=…&status=…&email_type=…&from=…&until=…&before=…` of a project's email activity; always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct ActivityParams {
    pub q: Option<String>,
    pub status: Option<String>,
    /// An email type id; missing or malformed: every type.
    pub email_type: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub before: Option<String>,
}

impl ActivityParams {
    pub fn type_id(&self) -> i64 {
        self.email_type
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0)
    }

    /// This list's URL (of project `project_id`) without its cursor, ready for `before=`.
    pub fn href_base(&self, project_id: i64) -> String {
        let mut url = format!("/projects/{project_id}/activity?");
        for (name, value) in [
            ("q", &self.q),
            ("status", &self.status),
            ("email_type", &self.email_type),
            ("from", &self.from),
            ("until", &self.until),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                url.push_str(&format!(
                    "{name}={}&",
                    leptos_router::location::Url::escape(v)
                ));
            }
        }
        url
    }
}

/// `?before=…` of a campaigns list, and what the new-campaign upload sent back with an error (`error`,
/// the typed `name`, the chosen `type_id`); always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct CampaignListQuery {
    pub before: Option<String>,
    pub error: Option<String>,
    pub name: Option<String>,
    pub type_id: Option<String>,
}

impl CampaignListQuery {
    pub fn before(&self) -> String {
        self.before.clone().unwrap_or_default()
    }

    /// The email type chosen before an error; 0 when none (or malformed).
    pub fn type_id(&self) -> i64 {
        self.type_id
            .as_deref()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }
}

/// `?kind=…&after=…` of a campaign's row notes (kind: rejected, corrected, duplicate or empty for
/// all); always parses.
#[derive(Params, PartialEq, Clone, Default)]
pub struct CampaignRowsQuery {
    pub kind: Option<String>,
    pub after: Option<String>,
}

impl CampaignRowsQuery {
    /// The kind asked for: one of the three, or empty (all).
    pub fn kind(&self) -> &'static str {
        match self.kind.as_deref() {
            Some("rejected") => "rejected",
            Some("corrected") => "corrected",
            Some("duplicate") => "duplicate",
            _ => "",
        }
    }
}

/// The `:message_id` of an email's page.
#[derive(Params, PartialEq, Clone)]
pub struct MessageIdParams {
    pub message_id: String,
}

/// A page number of the URL: missing, malformed or 0 reads as page 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageNumber(pub u32);

impl Default for PageNumber {
    fn default() -> Self {
        PageNumber(1)
    }
}

impl IntoParam for PageNumber {
    fn into_param(value: Option<&str>, _name: &str) -> Result<Self, ParamsError> {
        let page = value
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|&p| p >= 1);
        Ok(page.map_or_else(PageNumber::default, PageNumber))
    }
}

/// The URL's query as a list's query type (`SearchQuery`, `PageQuery`). Their fields all fall back,
/// so parsing never fails and the error case reads as the default.
pub fn use_list_query<T>() -> Signal<T>
where
    T: Params + PartialEq + Default + Clone + Send + Sync + 'static,
{
    let query = use_query::<T>();
    Signal::derive(move || query.get().unwrap_or_default())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use leptos_router::params::ParamsMap;

    use super::*;

    fn query(pairs: &[(&'static str, &str)]) -> Result<SearchQuery, ParamsError> {
        let mut map = ParamsMap::new();
        for (k, v) in pairs {
            map.insert(*k, (*v).to_owned());
        }
        SearchQuery::from_map(&map)
    }

    #[test]
    fn search_query_falls_back_to_page_one() {
        let q = query(&[("q", "acme"), ("page", "3")]).unwrap();
        assert_eq!((q.q.as_deref(), q.page), (Some("acme"), PageNumber(3)));
        for bad in ["", "x", "0", "-1", "4294967296"] {
            let q = query(&[("q", "acme"), ("page", bad)]).unwrap();
            assert_eq!(
                (q.q.as_deref(), q.page),
                (Some("acme"), PageNumber(1)),
                "{bad}"
            );
        }
        let q = query(&[]).unwrap();
        assert_eq!((q.q, q.page), (None, PageNumber(1)));
    }

    #[test]
    fn id_params_reject_a_malformed_id() {
        let mut map = ParamsMap::new();
        map.insert("id", "42".to_owned());
        assert_eq!(IdParams::from_map(&map).unwrap().id, 42);
        map.replace("id", "42x".to_owned());
        assert!(IdParams::from_map(&map).is_err());
        assert!(IdParams::from_map(&ParamsMap::new()).is_err());
    }
}
