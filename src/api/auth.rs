//! `Authorization: Basic base64(client_id:api_key)` for every API call.
use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use base64::{Engine, engine::general_purpose::STANDARD};

use super::Problem;
use crate::state::AppState;

/// The account an API call acts for, after its credentials were checked.
#[derive(Debug, Clone, Copy)]
pub struct ApiClient {
    pub account_id: i64,
    pub key_id: i64,
}

/// The client_id and key of a Basic authorization header, if it is well-formed.
fn credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (client_id, key) = decoded.split_once(':')?;
    (!client_id.is_empty() && !key.is_empty()).then(|| (client_id.to_owned(), key.to_owned()))
}

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let (client_id, key) = header
            .and_then(credentials)
            .ok_or_else(Problem::unauthorized)?;
        let owner = state
            .key_cache
            .authenticate(&state.db, &client_id, &key)
            .await?
            .ok_or_else(Problem::unauthorized)?;
        if owner.suspended {
            return Err(Problem::suspended());
        }
        Ok(ApiClient {
            account_id: owner.account_id,
            key_id: owner.key_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic_credentials() {
        let header = format!("Basic {}", STANDARD.encode("cl_abc:mr_key:with:colons"));
        assert_eq!(
            credentials(&header),
            Some(("cl_abc".into(), "mr_key:with:colons".into()))
        );
        assert_eq!(
            credentials(&format!("basic {}", STANDARD.encode("a:b"))),
            Some(("a".into(), "b".into()))
        );
        for bad in [
            "",
            "Basic",
            "Bearer abc",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            assert_eq!(credentials(bad), None, "{bad:?}");
        }
        assert_eq!(
            credentials(&format!("Basic {}", STANDARD.encode(":key"))),
            None
        );
    }
}
