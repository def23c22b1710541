//! Email types (templates) of a project.
use crate::{
    db::{Db, NewEmailType},
    error::AppError,
    mail::{EmailTemplate, template_context},
    model::{EmailPreview, EmailTypeDetail, EmailTypeInfo},
    services::{Actor, projects::Readable},
};

/// The email types of a project the actor may read.
pub async fn list(db: &Db, project: &Readable) -> Result<Vec<EmailTypeInfo>, AppError> {
    Ok(db.email_types_of_project(project.id()).await?)
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

/// The actor may change the email types of the project's account: CSMs, and the account's clients.
fn require_edit(actor: &Actor, account_id: i64) -> Result<(), AppError> {
    actor.require_read_account(account_id)?;
    if actor.role() == crate::domain::Role::Support {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Checks an email type as entered; returns the trimmed name.
fn validate<'a>(input: &EmailTypeInput<'a>) -> Result<&'a str, AppError> {
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
    Ok(name)
}

/// Creates an email type: CSMs for any project, clients for their own account's.
pub async fn create(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    input: EmailTypeInput<'_>,
) -> Result<i64, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    require_edit(actor, project.account_id)?;
    let name = validate(&input)?;
    let mut tx = db.begin().await?;
    let id = tx
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
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "email_type.created",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// An email type with its templates, for whoever may read its project.
pub async fn get(db: &Db, actor: &Actor, type_id: i64) -> Result<EmailTypeDetail, AppError> {
    let detail = db.email_type(type_id).await?.ok_or(AppError::NotFound)?;
    let project = db
        .project(detail.project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    actor.require_read_account(project.account_id)?;
    Ok(detail)
}

/// Changes an email type; emails queued from now on are rendered with the new templates.
pub async fn update(
    db: &Db,
    actor: &Actor,
    type_id: i64,
    input: EmailTypeInput<'_>,
) -> Result<EmailTypeDetail, AppError> {
    let current = get(db, actor, type_id).await?;
    let project = db
        .project(current.project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    require_edit(actor, project.account_id)?;
    let name = validate(&input)?;
    let mut tx = db.begin().await?;
    tx.update_email_type(
        type_id,
        NewEmailType {
            project_id: current.project_id,
            name,
            category: input.category,
            subject: input.subject,
            html_body: input.html_body,
            text_body: input.text_body,
        },
    )
    .await?;
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "email_type.updated",
        &format!("Updated email type \"{name}\" (type_id {type_id})"),
    )
    .await?;
    tx.commit().await?;
    db.email_type(type_id).await?.ok_or(AppError::Internal)
}

/// Renders an email type over sample data: `{"user": {...parameters}, "data": {...}}`.
pub async fn preview(
    db: &Db,
    actor: &Actor,
    type_id: i64,
    sample: &str,
) -> Result<EmailPreview, AppError> {
    let detail = get(db, actor, type_id).await?;
    let sample: serde_json::Value = serde_json::from_str(sample)
        .map_err(|e| invalid("sample", &format!("is not valid JSON: {e}")))?;
    let object = |key: &str| match sample.get(key) {
        Some(serde_json::Value::Object(map)) => Ok(map.clone()),
        None | Some(serde_json::Value::Null) => Ok(serde_json::Map::new()),
        Some(_) => Err(invalid(
            "sample",
            &format!("\"{key}\" must be a JSON object"),
        )),
    };
    let (user, data) = (object("user")?, object("data")?);
    let mut context = template_context(&user, &data);
    if let serde_json::Value::Object(top) = &mut context {
        top.entry("unsubscribe_url")
            .or_insert_with(|| "https://example.com/u/sample".into());
    }
    let template = EmailTemplate::compile(&detail.subject, &detail.html_body, &detail.text_body)
        .map_err(|e| invalid(e.part, &format!("does not compile: {}", e.message)))?;
    let rendered = template.render(&context).map_err(|e| {
        invalid(
            e.part,
            &format!("does not render with this sample: {}", e.message),
        )
    })?;
    Ok(EmailPreview {
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
    })
}
