//! Operator commands (see the operator contract). Each prints only its result on stdout;
//! logs and errors go to stderr, and a failure exits non-zero.
use std::{io::BufRead, process::ExitCode};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use std::sync::Arc;

use crate::{
    config::Config,
    db::Db,
    domain::Role,
    error::AppError,
    jobs::{Deliverer, DeliveryOptions, ImportOptions, Importer, WebhookOptions, WebhookSender},
    server,
    services::{Actor, accounts, api_keys, email_types, panel_users, projects},
    state,
};

#[derive(Parser)]
#[command(
    name = "mailroom",
    version,
    about = "Mailroom: admin panel and API of an email-sending platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the panel and the API (the default) until SIGTERM/SIGINT.
    Serve,
    /// Bring the database schema up to date.
    Migrate,
    /// Staff logins (CSM and support).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Client accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Client logins of an account.
    ClientUser {
        #[command(subcommand)]
        command: ClientUserCommand,
    },
    /// API keys of an account.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Projects of an account.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Email types (templates) of a project.
    EmailType {
        #[command(subcommand)]
        command: EmailTypeCommand,
    },
}

#[derive(Subcommand)]
enum EmailTypeCommand {
    /// Create an email type; prints its type_id.
    Create {
        #[arg(long)]
        project_id: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        subject: String,
        #[arg(long)]
        html: String,
        #[arg(long)]
        text: String,
        #[arg(long, value_parser = ["system", "trigger"], default_value = "trigger")]
        category: String,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Add a staff login; the password comes from MAILROOM_PASSWORD or the first line of stdin.
    Add {
        #[arg(long)]
        role: StaffRole,
        #[arg(long)]
        email: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StaffRole {
    Csm,
    Support,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account; prints its client_id.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum ClientUserCommand {
    /// Add a client login to an account; the password comes from MAILROOM_PASSWORD or stdin.
    Add {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Issue an API key; prints the key (shown only this once).
    Issue {
        #[arg(long)]
        client_id: String,
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// Create a project; prints its id.
    Create {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        name: String,
    },
}

/// Parses the command line, runs the command, and maps the outcome to an exit code.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match execute(cli.command.unwrap_or(Command::Serve)).await {
        Ok(Some(output)) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn execute(command: Command) -> anyhow::Result<Option<String>> {
    let config = Config::from_env()?;
    if let Command::Serve = command {
        let addr = config.site_addr;
        let state = server::prepare(config).await?;
        let db = state.db.clone();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        tracing::info!("Mailroom listening on http://{addr}");
        let deliverer = Arc::new(Deliverer::new(
            state.db.clone(),
            state.transport()?,
            DeliveryOptions::default(),
            &state.config.base_url,
            state.secret_key.clone(),
            state.metrics.clone(),
        ));
        let workers =
            deliverer.spawn_workers(state.config.delivery_workers, state.delivery_wake.clone());
        // An API-only process (no delivery workers) sends no webhooks either.
        let webhooks = (state.config.delivery_workers > 0).then(|| {
            WebhookSender::new(
                state.db.clone(),
                state.webhook_client.clone(),
                WebhookOptions::default(),
                state.metrics.clone(),
            )
            .spawn()
        });
        // Every process imports (an API-only one too: it receives uploads); the import's lease keeps
        // each campaign to one process at a time.
        let importer = Importer::new(
            state.db.clone(),
            state.upload_dir.clone(),
            ImportOptions::default(),
            state.delivery_wake.clone(),
        )
        .woken_by(state.import_wake.clone())
        .spawn();
        server::serve(state, listener, server::shutdown_signal()).await?;
        importer.stop().await;
        workers.stop().await;
        if let Some(webhooks) = webhooks {
            webhooks.stop().await;
        }
        db.close().await;
        return Ok(None);
    }
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let secret_key = state::secret_key(&db, &config).await?;
    let actor = Actor::Operator;
    let output = match command {
        Command::Serve => unreachable!("handled above"),
        Command::Migrate => None,
        Command::Staff {
            command: StaffCommand::Add { role, email },
        } => {
            let role = match role {
                StaffRole::Csm => Role::Csm,
                StaffRole::Support => Role::Support,
            };
            let user = panel_users::add_staff(&db, &actor, &email, role, &read_password()?)
                .await
                .map_err(explain)?;
            Some(user.id.to_string())
        }
        Command::Account {
            command: AccountCommand::Create { name },
        } => Some(
            accounts::create(&db, &actor, &name)
                .await
                .map_err(explain)?
                .client_id,
        ),
        Command::ClientUser {
            command: ClientUserCommand::Add { client_id, email },
        } => {
            let account = accounts::by_client_id(&db, &client_id)
                .await
                .map_err(explain)?;
            let password = read_password()?;
            let user = panel_users::add_client_user(&db, &actor, account.id, &email, &password)
                .await
                .map_err(explain)?;
            Some(user.id.to_string())
        }
        Command::Key {
            command: KeyCommand::Issue { client_id, label },
        } => {
            let account = accounts::by_client_id(&db, &client_id)
                .await
                .map_err(explain)?;
            let issued = api_keys::issue(&db, &secret_key, &actor, account.id, &label)
                .await
                .map_err(explain)?;
            Some(issued.key)
        }
        Command::Project {
            command: ProjectCommand::Create { client_id, name },
        } => {
            let account = accounts::by_client_id(&db, &client_id)
                .await
                .map_err(explain)?;
            Some(
                projects::create(&db, &actor, account.id, &name)
                    .await
                    .map_err(explain)?
                    .id
                    .to_string(),
            )
        }
        Command::EmailType {
            command:
                EmailTypeCommand::Create {
                    project_id,
                    name,
                    subject,
                    html,
                    text,
                    category,
                },
        } => {
            let input = email_types::EmailTypeInput {
                name: &name,
                category: &category,
                subject: &subject,
                html_body: &html,
                text_body: &text,
            };
            Some(
                email_types::create(&db, &actor, project_id, input)
                    .await
                    .map_err(explain)?
                    .to_string(),
            )
        }
    };
    db.close().await;
    Ok(output)
}

/// Turns a service error into a message for the operator.
fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::NotFound => anyhow::anyhow!("not found (check the client_id)"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("MAILROOM_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password given: set MAILROOM_PASSWORD or pipe it on stdin"
    );
    Ok(password)
}
