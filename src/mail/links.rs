//! The signed links inside an email: the open pixel, click redirects and the unsubscribe page. Each
//! carries an HMAC of what it points at under the server's secret key, so a link cannot be forged or
//! pointed elsewhere (a tampered one is refused).
use hmac::{Hmac, Mac};
use lol_html::{RewriteStrSettings, element, html_content::ContentType, rewrite_str};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Sha256;

/// Bytes of the HMAC kept in a link (128 bits).
const SIGNATURE_BYTES: usize = 16;

/// What a link does; part of what is signed, so that one kind of link cannot stand in for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Open,
    Click,
    Unsubscribe,
}

impl LinkKind {
    fn label(self) -> &'static str {
        match self {
            LinkKind::Open => "open",
            LinkKind::Click => "click",
            LinkKind::Unsubscribe => "unsubscribe",
        }
    }
}

fn mac(secret: &[u8], kind: LinkKind, message_id: &str, target: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    for part in [kind.label(), message_id, target] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac
}

/// The signature of a link (hex).
pub fn sign(secret: &[u8], kind: LinkKind, message_id: &str, target: &str) -> String {
    let tag = mac(secret, kind, message_id, target)
        .finalize()
        .into_bytes();
    hex::encode(&tag[..SIGNATURE_BYTES])
}

/// True when `signature` is the link's own (compared in constant time).
pub fn verify(
    secret: &[u8],
    kind: LinkKind,
    message_id: &str,
    target: &str,
    signature: &str,
) -> bool {
    match hex::decode(signature) {
        Ok(bytes) if bytes.len() == SIGNATURE_BYTES => mac(secret, kind, message_id, target)
            .verify_truncated_left(&bytes)
            .is_ok(),
        _ => false,
    }
}

/// Builds the links of one email.
pub struct Links<'a> {
    /// The public URL of Mailroom, without a trailing slash.
    pub base_url: &'a str,
    pub secret: &'a [u8],
    pub message_id: &'a str,
}

impl Links<'_> {
    pub fn unsubscribe_url(&self) -> String {
        let sig = sign(self.secret, LinkKind::Unsubscribe, self.message_id, "");
        format!("{}/u/{}/{sig}", self.base_url, self.message_id)
    }

    pub fn open_pixel_url(&self) -> String {
        let sig = sign(self.secret, LinkKind::Open, self.message_id, "");
        format!("{}/t/o/{}/{sig}", self.base_url, self.message_id)
    }

    pub fn click_url(&self, target: &str) -> String {
        let sig = sign(self.secret, LinkKind::Click, self.message_id, target);
        let target = utf8_percent_encode(target, NON_ALPHANUMERIC);
        format!("{}/t/c/{}/{sig}?u={target}", self.base_url, self.message_id)
    }

    /// The HTML with every http(s) link sent through the click redirect and the open pixel at the end
    /// of the body. HTML that cannot be parsed is returned as it was (the email still goes out).
    pub fn track_html(&self, html: &str) -> String {
        let pixel = format!(
            r#"<img src="{}" width="1" height="1" alt="" style="display:none">"#,
            self.open_pixel_url()
        );
        let mut pixel_placed = false;
        let settings = RewriteStrSettings::new()
            .append_element_content_handler(element!("a[href]", |el| {
                if let Some(href) = el.get_attribute("href") {
                    // The attribute as written may hold entities (`&amp;`); the link is the decoded text.
                    let decoded = html_escape::decode_html_entities(&href);
                    let target = decoded.trim();
                    let lower = target.to_ascii_lowercase();
                    if lower.starts_with("http://") || lower.starts_with("https://") {
                        el.set_attribute("href", &self.click_url(target))?;
                    }
                }
                Ok(())
            }))
            .append_element_content_handler(element!("body", |el| {
                el.append(&pixel, ContentType::Html);
                pixel_placed = true;
                Ok(())
            }));
        let rewritten = rewrite_str(html, settings);
        match rewritten {
            Ok(mut out) => {
                if !pixel_placed {
                    out.push_str(&pixel);
                }
                out
            }
            Err(_) => html.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test secret";

    fn links() -> Links<'static> {
        Links {
            base_url: "https://mail.example",
            secret: SECRET,
            message_id: "msg_abc",
        }
    }

    #[test]
    fn signatures_bind_kind_message_and_target() {
        let sig = sign(SECRET, LinkKind::Click, "msg_abc", "https://shop.example/a");
        assert!(verify(
            SECRET,
            LinkKind::Click,
            "msg_abc",
            "https://shop.example/a",
            &sig
        ));
        assert!(!verify(
            SECRET,
            LinkKind::Click,
            "msg_abc",
            "https://evil.example/a",
            &sig
        ));
        assert!(!verify(
            SECRET,
            LinkKind::Click,
            "msg_abd",
            "https://shop.example/a",
            &sig
        ));
        assert!(!verify(
            SECRET,
            LinkKind::Open,
            "msg_abc",
            "https://shop.example/a",
            &sig
        ));
        assert!(!verify(
            b"other",
            LinkKind::Click,
            "msg_abc",
            "https://shop.example/a",
            &sig
        ));
        assert!(!verify(
            SECRET,
            LinkKind::Click,
            "msg_abc",
            "https://shop.example/a",
            "zz"
        ));
        assert!(!verify(
            SECRET,
            LinkKind::Click,
            "msg_abc",
            "https://shop.example/a",
            &sig[..30]
        ));
    }

    #[test]
    fn rewrites_web_links_and_adds_the_pixel() {
        let html = r##"<html><body><p><a href="https://shop.example/p?id=1&amp;x=2">Shop</a>
            <a href="mailto:help@shop.example">Mail</a> <a href="#top">Top</a></p></body></html>"##;
        let out = links().track_html(html);
        let expected_click = links().click_url("https://shop.example/p?id=1&x=2");
        assert!(out.contains(&expected_click), "{out}");
        assert!(out.contains(r#"href="mailto:help@shop.example""#));
        assert!(out.contains(r##"href="#top""##));
        assert!(out.contains(&format!(r#"<img src="{}""#, links().open_pixel_url())));
        assert!(out.find("<img").unwrap() < out.find("</body>").unwrap());
        let fragment = links().track_html("<p>No body element</p>");
        assert!(fragment.ends_with("style=\"display:none\">"));
    }
}
