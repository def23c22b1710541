use serde::{Deserialize, Serialize};

/// The three kinds of panel users. CSM and support are platform staff; a client belongs to one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Csm,
    Support,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Csm => "csm",
            Role::Support => "support",
            Role::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "csm" => Some(Role::Csm),
            "support" => Some(Role::Support),
            "client" => Some(Role::Client),
            _ => None,
        }
    }

    /// Human label for the top bar and tables.
    pub fn label(self) -> &'static str {
        match self {
            Role::Csm => "CSM",
            Role::Support => "Support",
            Role::Client => "Client",
        }
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Role::Csm | Role::Support)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_text_form() {
        for role in [Role::Csm, Role::Support, Role::Client] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Role::Support.is_staff() && !Role::Client.is_staff());
    }
}
