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
