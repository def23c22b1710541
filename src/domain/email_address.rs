use super::Invalid;

/// A syntactically valid email address of a panel login, trimmed and lower-cased so that
/// `Anna@Example.com` and `anna@example.com` are one login (as every major mailbox provider treats them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &'static str, input: &str) -> Result<Self, Invalid> {
        let candidate = input.trim().to_lowercase();
        if candidate.is_empty() {
            return Err(Invalid::new(field, "is required"));
        }
        if candidate.len() > 254 {
            return Err(Invalid::new(field, "is too long (254 characters at most)"));
        }
        let has_dotted_domain = candidate
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
        if !email_address::EmailAddress::is_valid(&candidate) || !has_dotted_domain {
            return Err(Invalid::new(field, "is not a valid email address"));
        }
        Ok(Self(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases_valid_addresses() {
        let e = EmailAddress::parse("email", "  Anna.Smith+news@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "anna.smith+news@example.com");
    }

    #[test]
    fn rejects_invalid_addresses() {
        for bad in [
            "",
            "   ",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "a b@example.com",
            "anna@example.",
        ] {
            assert!(
                EmailAddress::parse("email", bad).is_err(),
                "{bad:?} must be refused"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            EmailAddress::parse("email", &long).unwrap_err().message,
            "is too long (254 characters at most)"
        );
    }
}
