//! Email types (templates) of a project.
use crate::{
    db::{Db, NewEmailType},
    error::AppError,
    mail::EmailTemplate,
    model::EmailTypeInfo,
    services::Actor,
};

/// The email types of a project the actor may read.
pub async fn list(db: &Db, actor: &Actor, project_id: i64) -> Result<Vec<EmailTypeInfo>, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_read_account(project.account_id)?;
    Ok(db.email_types_of_project(project_id).await?)
}

/// What an email type is made of, as entered.
pub struct EmailTypeInput<'a> {
    pub name: &'a str,
    pub category: &'a str,
    pub subject: &'a str,
    pub html_body: &'a str,
    pub text_body: &'a str,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Creates an email type: CSMs for any project, clients for their own account's.
pub async fn create(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    input: EmailTypeInput<'_>,
) -> Result<i64, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_read_account(project.account_id)?;
    if let Actor::Panel(user) = actor
        && user.role == crate::domain::Role::Support
    {
        return Err(AppError::Forbidden);
    }
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(invalid("name", "is required (120 characters at most)"));
    }
    if !matches!(input.category, "system" | "trigger") {
        return Err(invalid("category", "must be system or trigger"));
    }
    if input.subject.trim().is_empty() {
        return Err(invalid("subject", "is required"));
    }
    if input.text_body.trim().is_empty() {
        return Err(invalid(
            "text_body",
            "is required (every email has a text part)",
        ));
    }
    // A template that does not compile is refused here, with the part and line, rather than at sending.
    if let Err(e) = EmailTemplate::compile(input.subject, input.html_body, input.text_body) {
        return Err(invalid(e.part, &format!("does not compile: {}", e.message)));
    }
    let id = db
        .insert_email_type(NewEmailType {
            project_id,
            name,
            category: input.category,
            subject: input.subject,
            html_body: input.html_body,
            text_body: input.text_body,
        })
        .await?;
    let detail = format!("Created email type \"{name}\" (type_id {id}) in project {project_id}");
    db.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "email_type.created",
        &detail,
    )
    .await?;
    Ok(id)
}
