use crate::{domain::Role, error::AppError, model::SessionUser};

/// Who performs a use-case: a signed-in panel user, or the operator at the command line (full rights).
#[derive(Debug, Clone)]
pub enum Actor {
    Panel(SessionUser),
    Operator,
}

impl Actor {
    /// The name written to the audit trail.
    pub fn audit_name(&self) -> &str {
        match self {
            Actor::Panel(user) => &user.email,
            Actor::Operator => "operator (CLI)",
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::Panel(user) => Some(user.id),
            Actor::Operator => None,
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Actor::Panel(user) => user.role,
            Actor::Operator => Role::Csm,
        }
    }

    /// Changes to accounts, credentials and staff: CSMs only.
    pub fn require_csm(&self) -> Result<(), AppError> {
        if self.role() == Role::Csm {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Reading across accounts: CSM and support.
    pub fn require_staff(&self) -> Result<(), AppError> {
        if self.role().is_staff() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Reading one account's data: staff, or a client of that very account. Another account's data is
    /// "not found" to a client, so that its existence is not revealed.
    pub fn require_read_account(&self, account_id: i64) -> Result<(), AppError> {
        match self {
            Actor::Panel(SessionUser {
                role: Role::Client,
                account_id: own,
                ..
            }) => {
                if *own == Some(account_id) {
                    Ok(())
                } else {
                    Err(AppError::NotFound)
                }
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(role: Role, account_id: Option<i64>) -> Actor {
        Actor::Panel(SessionUser {
            id: 1,
            email: "a@example.com".into(),
            role,
            account_id,
        })
    }

    #[test]
    fn roles_grant_what_they_should() {
        assert!(panel(Role::Csm, None).require_csm().is_ok());
        assert_eq!(
            panel(Role::Support, None).require_csm(),
            Err(AppError::Forbidden)
        );
        assert!(panel(Role::Support, None).require_staff().is_ok());
        assert_eq!(
            panel(Role::Client, Some(1)).require_staff(),
            Err(AppError::Forbidden)
        );
        assert!(panel(Role::Client, Some(1)).require_read_account(1).is_ok());
        assert_eq!(
            panel(Role::Client, Some(1)).require_read_account(2),
            Err(AppError::NotFound)
        );
        assert!(Actor::Operator.require_csm().is_ok());
    }
}
