use super::Invalid;

/// Trims a free-text name and checks its length and characters; shared by the name newtypes below.
fn parse_text(
    field: &'static str,
    input: &str,
    required: bool,
    max: usize,
) -> Result<String, Invalid> {
    let text = input.trim();
    if required && text.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if text.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("is too long ({max} characters at most)"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(text.to_owned())
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, required = $required:expr, max = $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn parse(field: &'static str, input: &str) -> Result<Self, Invalid> {
                parse_text(field, input, $required, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_newtype!(
    /// The display name of a client account (a client company).
    AccountName, required = true, max = 120
);
text_newtype!(
    /// The name of a project of an account.
    ProjectName, required = true, max = 120
);
text_newtype!(
    /// An optional note that tells API keys apart ("production", "staging").
    KeyLabel, required = false, max = 80
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_limits_names() {
        assert_eq!(
            AccountName::parse("name", "  Acme Ltd ").unwrap().as_str(),
            "Acme Ltd"
        );
        assert_eq!(
            AccountName::parse("name", "  ").unwrap_err().message,
            "is required"
        );
        assert!(AccountName::parse("name", &"x".repeat(121)).is_err());
        assert!(ProjectName::parse("name", "bad\u{7}name").is_err());
        assert_eq!(KeyLabel::parse("label", "").unwrap().as_str(), "");
    }
}
