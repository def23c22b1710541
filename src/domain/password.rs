use super::Invalid;

/// A new password that meets the policy: 10 to 1024 characters. (Long passphrases beat composition rules.)
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(field: &'static str, input: &str) -> Result<Self, Invalid> {
        let count = input.chars().count();
        if count < Self::MIN_CHARS {
            return Err(Invalid::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if count > 1024 {
            return Err(Invalid::new(field, "is too long (1024 characters at most)"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_and_hides_itself_in_logs() {
        assert!(Password::parse("password", "short").is_err());
        let p = Password::parse("password", "correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }
}
