//! The MIME message of an email (lettre's builder): Message-ID, Date, From of the project, a text part
//! always next to the HTML, encoded headers for non-ASCII names and subjects, and the one-click
//! unsubscribe headers of RFC 8058.
use lettre::message::{
    Mailbox, Message, MultiPart,
    header::{HeaderName, HeaderValue},
};

/// What a message is made of.
pub struct MessageParts<'a> {
    /// Mailroom's message id (`msg_…`), the local part of the Message-ID header.
    pub message_id: &'a str,
    /// The right-hand side of the Message-ID header (the sender's domain).
    pub domain: &'a str,
    pub from_email: &'a str,
    pub from_name: Option<&'a str>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// The one-click unsubscribe URL (`List-Unsubscribe` + `List-Unsubscribe-Post`).
    pub unsubscribe_url: Option<&'a str>,
}

/// The formatted message (CRLF line endings), or why it cannot be made.
pub fn build_message(parts: &MessageParts<'_>) -> Result<Vec<u8>, String> {
    let from_address = parts
        .from_email
        .parse()
        .map_err(|e| format!("invalid sender address {:?}: {e}", parts.from_email))?;
    let from = Mailbox::new(parts.from_name.map(str::to_owned), from_address);
    let to: Mailbox = parts
        .to
        .parse()
        .map_err(|e| format!("invalid recipient address {:?}: {e}", parts.to))?;
    let mut builder = Message::builder()
        .message_id(Some(format!("<{}@{}>", parts.message_id, parts.domain)))
        .from(from)
        .to(to)
        .subject(parts.subject);
    if let Some(url) = parts.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let message: Message = builder
        .multipart(MultiPart::alternative_plain_html(
            parts.text.to_owned(),
            parts.html.to_owned(),
        ))
        .map_err(|e| format!("cannot build the message: {e}"))?;
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'a>(subject: &'a str, name: Option<&'a str>) -> MessageParts<'a> {
        MessageParts {
            message_id: "msg_abc",
            domain: "shop.example",
            from_email: "news@shop.example",
            from_name: name,
            to: "anna@example.com",
            subject,
            text: "Hello Anna, your code is 123456.",
            html: "<p>Hello Anna, your code is <b>123456</b>.</p>",
            unsubscribe_url: Some("https://mail.example/u/tok"),
        }
    }

    #[test]
    fn has_the_headers_and_both_parts() {
        let raw =
            String::from_utf8(build_message(&parts("Your code", Some("Shop"))).unwrap()).unwrap();
        for expected in [
            "Message-ID: <msg_abc@shop.example>\r\n",
            "From: Shop <news@shop.example>\r\n",
            "To: anna@example.com\r\n",
            "Subject: Your code\r\n",
            "List-Unsubscribe: <https://mail.example/u/tok>\r\n",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
            "Content-Type: multipart/alternative",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: text/html; charset=utf-8",
            "Hello Anna, your code is 123456.",
        ] {
            assert!(raw.contains(expected), "{expected:?} missing in\n{raw}");
        }
        assert!(raw.contains("\r\nDate: "), "{raw}");
        assert!(
            !raw.replace("\r\n", "").contains('\n'),
            "CRLF line endings only"
        );
    }

    #[test]
    fn encodes_non_ascii_names_and_subjects() {
        let raw = build_message(&parts("Grüße — ваш код", Some("Müller & Söhne"))).unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            headers.is_ascii(),
            "headers are ASCII (RFC 2047):\n{headers}"
        );
        assert!(headers.contains("Subject: =?utf-8?"), "{headers}");
        assert!(headers.contains("From: =?utf-8?"), "{headers}");
    }

    #[test]
    fn refuses_bad_addresses() {
        let mut p = parts("x", None);
        p.to = "not an address";
        assert!(build_message(&p).unwrap_err().contains("recipient"));
    }
}
