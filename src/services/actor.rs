use crate::{domain::Role, error::AppError, model::SessionUser};

/// Who performs a use-case: a signed-in panel user, an API call with an account's key (a client of that
/// account), or the operator at the command line (full rights).
#[derive(Debug, Clone)]
pub enum Actor {
    Panel(SessionUser),
    ApiKey { account_id: i64, key_id: i64 },
    Operator,
}

impl Actor {
    /// The name written to the audit trail.
    pub fn audit_name(&self) -> &str {
        match self {
            Actor::Panel(user) => &user.email,
            Actor::ApiKey { .. } => "API key",
            Actor::Operator => "operator (CLI)",
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        match self {
            Actor::Panel(user) => Some(user.id),
            Actor::ApiKey { .. } | Actor::Operator => None,
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Actor::Panel(user) => user.role,
            Actor::ApiKey { .. } => Role::Client,
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
        match self.account_scope() {
            Ok(None) => Ok(()),
            Ok(Some(own)) if own == account_id => Ok(()),
            _ => Err(AppError::NotFound),
        }
    }

    /// Changing one account's data: CSMs, or a client of that very account (support only reads).
    pub fn require_change_account(&self, account_id: i64) -> Result<(), AppError> {
        self.require_read_account(account_id)?;
        if self.role() == Role::Support {
            return Err(AppError::Forbidden);
        }
        Ok(())
    }

    /// The one account whose data the actor may read: `Some` for a client (a panel login of the account or
    /// an API key), `None` for staff and the operator (every account). A client login without an account
    /// reads nothing.
    pub fn account_scope(&self) -> Result<Option<i64>, AppError> {
        match self {
            Actor::Panel(SessionUser {
                role: Role::Client,
                account_id,
                ..
            }) => account_id.map(Some).ok_or(AppError::Forbidden),
            Actor::ApiKey { account_id, .. } => Ok(Some(*account_id)),
            Actor::Panel(_) | Actor::Operator => Ok(None),
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
        assert_eq!(
            panel(Role::Support, None).require_change_account(1),
            Err(AppError::Forbidden)
        );
        assert!(
            panel(Role::Client, Some(1))
                .require_change_account(1)
                .is_ok()
        );
        assert_eq!(
            panel(Role::Client, None).require_read_account(1),
            Err(AppError::NotFound)
        );
    }

    /// An API key acts as a client of its account: that account only, no staff rights.
    #[test]
    fn an_api_key_reads_and_changes_its_own_account_only() {
        let key = Actor::ApiKey {
            account_id: 7,
            key_id: 3,
        };
        assert_eq!(key.account_scope(), Ok(Some(7)));
        assert!(key.require_read_account(7).is_ok());
        assert!(key.require_change_account(7).is_ok());
        assert_eq!(key.require_read_account(8), Err(AppError::NotFound));
        assert_eq!(key.require_change_account(8), Err(AppError::NotFound));
        assert_eq!(key.require_staff(), Err(AppError::Forbidden));
        assert_eq!(key.require_csm(), Err(AppError::Forbidden));
        assert_eq!(key.user_id(), None);
        assert_eq!(panel(Role::Support, None).account_scope(), Ok(None));
        assert_eq!(Actor::Operator.account_scope(), Ok(None));
    }
}
