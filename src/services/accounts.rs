//! Client accounts: create, find, open, suspend.
use crate::{
    db::{Db, is_unique_violation},
    domain::{AccountName, ClientId},
    error::AppError,
    model::{Account, AccountDetails, AccountSummary, Page},
    services::Actor,
};

pub const PER_PAGE: u32 = 20;
const AUDIT_ENTRIES_SHOWN: i64 = 50;

pub async fn create(db: &Db, actor: &Actor, name: &str) -> Result<Account, AppError> {
    actor.require_csm()?;
    let name = AccountName::parse("name", name)?;
    // A clash of 103-bit random ids is practically impossible; retrying keeps it impossible.
    for _ in 0..3 {
        // A transaction per try: on PostgreSQL a failed statement ends its transaction.
        let mut tx = db.begin().await?;
        match tx
            .insert_account(name.as_str(), ClientId::generate().as_str())
            .await
        {
            Ok(account) => {
                let detail = format!(
                    "Created account \"{}\" with client_id {}",
                    account.name, account.client_id
                );
                tx.insert_audit(
                    Some(account.id),
                    actor.user_id(),
                    actor.audit_name(),
                    "account.created",
                    &detail,
                )
                .await?;
                tx.commit().await?;
                return Ok(account);
            }
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(anyhow::anyhow!("could not generate a unique client_id").into())
}

pub async fn search(
    db: &Db,
    actor: &Actor,
    search: &str,
    page: u32,
) -> Result<Page<AccountSummary>, AppError> {
    actor.require_staff()?;
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(PER_PAGE);
    let (items, total) = db
        .search_accounts(search.trim(), i64::from(PER_PAGE), offset)
        .await?;
    Ok(Page {
        items,
        page,
        per_page: PER_PAGE,
        total,
    })
}

/// An account with everything its page shows.
pub async fn page(db: &Db, actor: &Actor, account_id: i64) -> Result<AccountDetails, AppError> {
    actor.require_staff()?;
    let account = db.account(account_id).await?.ok_or(AppError::NotFound)?;
    Ok(AccountDetails {
        keys: db.api_keys_of_account(account_id).await?,
        logins: db.client_users_of_account(account_id).await?,
        projects: db.projects_of_account(account_id).await?,
        audit: db.audit_of_account(account_id, AUDIT_ENTRIES_SHOWN).await?,
        account,
    })
}

/// Suspends (API calls then get 403) or reactivates an account.
pub async fn set_suspended(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    suspended: bool,
) -> Result<(), AppError> {
    actor.require_csm()?;
    let mut tx = db.begin().await?;
    if !tx.set_account_suspended(account_id, suspended).await? {
        return Err(AppError::NotFound);
    }
    let (action, detail) = if suspended {
        ("account.suspended", "Suspended the account")
    } else {
        ("account.reactivated", "Reactivated the account")
    };
    tx.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        action,
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Finds an account by its public client_id (for the CLI).
pub async fn by_client_id(db: &Db, client_id: &str) -> Result<Account, AppError> {
    db.account_by_client_id(client_id.trim())
        .await?
        .ok_or(AppError::NotFound)
}
