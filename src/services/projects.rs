//! Projects of an account.
use crate::{
    db::Db,
    domain::{ProjectName, Role},
    error::AppError,
    model::{Page, ProjectInfo},
    services::Actor,
};

pub const PER_PAGE: u32 = 50;

pub async fn create(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    name: &str,
) -> Result<ProjectInfo, AppError> {
    actor.require_csm()?;
    let name = ProjectName::parse("name", name)?;
    db.account(account_id).await?.ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    let id = tx.insert_project(account_id, name.as_str()).await?;
    let detail = format!("Created project \"{}\" (id {id})", name.as_str());
    tx.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        "project.created",
        &detail,
    )
    .await?;
    tx.commit().await?;
    db.project(id).await?.ok_or(AppError::Internal)
}

/// The projects the actor may see: a client its own account's, staff all of them.
pub async fn visible(db: &Db, actor: &Actor, page: u32) -> Result<Page<ProjectInfo>, AppError> {
    let page = page.max(1);
    if let Actor::Panel(user) = actor
        && user.role == Role::Client
    {
        let account_id = user.account_id.ok_or(AppError::Forbidden)?;
        let items = db.projects_of_account(account_id).await?;
        let total = items.len() as i64;
        return Ok(Page {
            items,
            page: 1,
            per_page: total.max(1) as u32,
            total,
        });
    }
    actor.require_staff()?;
    let offset = i64::from(page - 1) * i64::from(PER_PAGE);
    let (items, total) = db.all_projects(i64::from(PER_PAGE), offset).await?;
    Ok(Page {
        items,
        page,
        per_page: PER_PAGE,
        total,
    })
}

pub async fn get(db: &Db, actor: &Actor, project_id: i64) -> Result<ProjectInfo, AppError> {
    Ok(readable(db, actor, project_id).await?.into_info())
}

/// The project `project_id` if the actor may read it (`NotFound` when there is none).
pub async fn readable(db: &Db, actor: &Actor, project_id: i64) -> Result<Readable, AppError> {
    Readable::check(actor, db.project(project_id).await?)
}

/// A project the actor may read. Only [`Readable::check`] makes one, so a service that takes it needs
/// no access check of its own (and a page's several reads of one project can share one lookup).
#[derive(Clone, Debug)]
pub struct Readable(ProjectInfo);

impl Readable {
    /// `project` as read from the database (`None`: there is none) if `actor` may read it.
    pub fn check(actor: &Actor, project: Option<ProjectInfo>) -> Result<Readable, AppError> {
        let project = project.ok_or(AppError::NotFound)?;
        actor.require_read_account(project.account_id)?;
        Ok(Readable(project))
    }

    pub fn id(&self) -> i64 {
        self.0.id
    }

    pub fn into_info(self) -> ProjectInfo {
        self.0
    }
}

/// Sets the sender (From) of a project's emails: CSMs and the account's clients. An empty address
/// returns to the installation's default sender.
pub async fn set_sender(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    email: &str,
    name: &str,
) -> Result<ProjectInfo, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_read_account(project.account_id)?;
    if actor.role() == Role::Support {
        return Err(AppError::Forbidden);
    }
    let (email, name) = parse_sender(email, name)?;
    let mut tx = db.begin().await?;
    tx.set_project_sender(project_id, email.as_ref().map(|e| e.as_str()), name)
        .await?;
    let detail = format!(
        "Set the sender of project {project_id} to {}",
        email.as_ref().map_or("the default", |e| e.as_str())
    );
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "project.sender_set",
        &detail,
    )
    .await?;
    tx.commit().await?;
    db.project(project_id).await?.ok_or(AppError::Internal)
}

/// Renames a project: CSMs and the account's clients.
pub async fn rename(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    name: &str,
) -> Result<ProjectInfo, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_change_account(project.account_id)?;
    let name = ProjectName::parse("name", name)?;
    if name.as_str() == project.name {
        return Ok(project);
    }
    let mut tx = db.begin().await?;
    tx.rename_project(project_id, name.as_str()).await?;
    let detail = format!(
        "Renamed project {project_id}: \"{}\" → \"{}\"",
        project.name,
        name.as_str()
    );
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "project.renamed",
        &detail,
    )
    .await?;
    tx.commit().await?;
    db.project(project_id).await?.ok_or(AppError::Internal)
}

/// A sender as typed: an empty address is the installation's default; the name is one short line.
fn parse_sender<'a>(
    email: &str,
    name: &'a str,
) -> Result<(Option<crate::domain::EmailAddress>, Option<&'a str>), AppError> {
    let email = match email.trim() {
        "" => None,
        given => Some(crate::domain::EmailAddress::parse("sender_email", given)?),
    };
    let name = name.trim();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::Invalid {
            field: "sender_name".into(),
            message: "must be one line of at most 100 characters".into(),
        });
    }
    Ok((email, (!name.is_empty()).then_some(name)))
}

/// The General tab's Save: the name and the sender, in one transaction, each change audited.
pub async fn update_general(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    name: &str,
    sender_email: &str,
    sender_name: &str,
) -> Result<ProjectInfo, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_change_account(project.account_id)?;
    let name = ProjectName::parse("name", name)?;
    let (email, sender) = parse_sender(sender_email, sender_name)?;
    let email = email.as_ref().map(|e| e.as_str());
    let renamed = name.as_str() != project.name;
    let sender_changed =
        email != project.sender_email.as_deref() || sender != project.sender_name.as_deref();
    if !renamed && !sender_changed {
        return Ok(project);
    }
    let mut tx = db.begin().await?;
    let mut entries = Vec::new();
    if renamed {
        tx.rename_project(project_id, name.as_str()).await?;
        entries.push((
            "project.renamed",
            format!(
                "Renamed project {project_id}: \"{}\" → \"{}\"",
                project.name,
                name.as_str()
            ),
        ));
    }
    if sender_changed {
        tx.set_project_sender(project_id, email, sender).await?;
        entries.push((
            "project.sender_set",
            format!(
                "Set the sender of project {project_id} to {}",
                email.unwrap_or("the default")
            ),
        ));
    }
    for (action, detail) in entries {
        tx.insert_audit(
            Some(project.account_id),
            actor.user_id(),
            actor.audit_name(),
            action,
            &detail,
        )
        .await?;
    }
    tx.commit().await?;
    db.project(project_id).await?.ok_or(AppError::Internal)
}
