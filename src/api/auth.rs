//! `Authorization: Basic base64(client_id:api_key)` for every API call.
use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use base64::{Engine, engine::general_purpose::STANDARD};

use super::Problem;
use crate::{services::Actor, state::AppState};

/// The account an API call acts for, after its credentials were checked.
#[derive(Debug, Clone, Copy)]
pub struct ApiClient {
    pub account_id: i64,
    pub key_id: i64,
}

impl ApiClient {
    /// The actor of the services: a client of the key's account.
    pub fn actor(self) -> Actor {
        Actor::ApiKey {
            account_id: self.account_id,
            key_id: self.key_id,
        }
    }
}

/// Longest decoded `client_id:api_key` read (a client_id and a key are a few dozen characters each).
const MAX_CREDENTIALS: usize = 512;

/// The client_id and key of a Basic authorization header, if it is well-formed: decoded into `buf` and
/// borrowed from it (no allocation per request).
fn credentials<'b>(header: &str, buf: &'b mut [u8; MAX_CREDENTIALS]) -> Option<(&'b str, &'b str)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let len = STANDARD.decode_slice(encoded.trim(), buf).ok()?;
    let decoded = std::str::from_utf8(&buf[..len]).ok()?;
    let (client_id, key) = decoded.split_once(':')?;
    (!client_id.is_empty() && !key.is_empty()).then_some((client_id, key))
}

impl FromRequestParts<AppState> for ApiClient {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let mut buf = [0; MAX_CREDENTIALS];
        let (client_id, key) = header
            .and_then(|h| credentials(h, &mut buf))
            .ok_or_else(Problem::unauthorized)?;
        let owner = state
            .key_cache
            .authenticate(&state.db, client_id, key)
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

    fn parsed(header: &str) -> Option<(String, String)> {
        let mut buf = [0; MAX_CREDENTIALS];
        credentials(header, &mut buf).map(|(c, k)| (c.to_owned(), k.to_owned()))
    }

    #[test]
    fn parses_basic_credentials() {
        let header = format!("Basic {}", STANDARD.encode("cl_abc:mr_key:with:colons"));
        assert_eq!(
            parsed(&header),
            Some(("cl_abc".into(), "mr_key:with:colons".into()))
        );
        assert_eq!(
            parsed(&format!("basic {}", STANDARD.encode("a:b"))),
            Some(("a".into(), "b".into()))
        );
        let longest = format!("c:{}", "k".repeat(MAX_CREDENTIALS - 2));
        assert_eq!(
            parsed(&format!("Basic {}", STANDARD.encode(&longest))),
            Some(("c".into(), "k".repeat(MAX_CREDENTIALS - 2)))
        );
        for bad in [
            "",
            "Basic",
            "Bearer abc",
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("nocolon")),
            &format!("Basic {}", STANDARD.encode(":key")),
            &format!("Basic {}", STANDARD.encode([b'a', b':', 0xff])),
            &format!("Basic {}", STANDARD.encode(format!("{longest}k"))),
        ] {
            assert_eq!(parsed(bad), None, "{bad:?}");
        }
    }
}
