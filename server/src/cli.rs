//! The command line: `server` serves; the admin subcommands set up a real
//! deployment without demo data. Passwords are read from standard input,
//! never from an argument (arguments show in `ps` and shell history).

use crate::config::Config;
use app::domain::sign_in_method::SignInMethod;
use app::domain::{EmailAddress, Permission, ServicePermission};
use app::ssr::{passwords, store};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "server", about = "GOV.UK Notify-compatible API integration service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the admin pages and the API (the default).
    Serve,
    /// Check one precompiled letter's PDF read from standard input (what the
    /// server runs in a child process, under its limits, for each letter).
    #[command(hide = true)]
    CheckLetterPdf,
    /// Read one spreadsheet (`.xls`, `.ods`) from standard input as CSV text
    /// (what the server runs in a child process, under its limits, for each
    /// such upload).
    #[command(hide = true)]
    ReadSpreadsheet,
    /// Print the API's OpenAPI description (as served at
    /// /documentation/openapi.json and committed as docs/openapi.json).
    Openapi,
    /// Copy the database to a new file, while the server serves it. Keep
    /// the server key (NOTIFY_SECRET_KEY or secret.key) too, apart from it.
    Backup {
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a copy made by `backup` in place of the database. The server must
    /// be stopped; the database it replaces is kept beside it.
    Restore {
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Create a user. The password is read from standard input (first line).
    CreateUser {
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: String,
        /// A mobile number, for example 07700900123.
        #[arg(long)]
        mobile: Option<String>,
        #[arg(long)]
        platform_admin: bool,
        /// Sign in with a password alone, with no code after it: for demos
        /// and scripted set-ups only. Without it the user gets a link or
        /// code by email at every sign-in (or by text message, with
        /// --sms-auth).
        #[arg(long, conflicts_with = "sms_auth")]
        password_only: bool,
        /// Send the sign-in code by text message to --mobile.
        #[arg(long, requires = "mobile")]
        sms_auth: bool,
    },
    /// Create a service (in trial mode unless --live). Prints its id.
    CreateService {
        #[arg(long)]
        name: String,
        #[arg(long)]
        live: bool,
        /// Comma-separated: email, sms, letter, inbound_sms.
        #[arg(long, default_value = "email,sms")]
        permissions: String,
    },
    /// Create an API key and print it (the only time it is shown).
    CreateApiKey {
        #[arg(long)]
        service_id: String,
        #[arg(long)]
        name: String,
        /// normal (live), team or test.
        #[arg(long = "type")]
        key_type: String,
        /// 30, 90, 180, 365 (days) or never; the longest the service allows
        /// when not given.
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// The longest lifetime a service's new API keys may have, in days
    /// (or `none`).
    SetKeyLifetime {
        #[arg(long)]
        service_id: String,
        #[arg(long)]
        days: String,
    },
    /// Revoke the unrevoked API key of a service with this name.
    RevokeApiKey {
        #[arg(long)]
        service_id: String,
        #[arg(long)]
        name: String,
    },
    /// Set a service's daily limit for one channel (live and team keys).
    SetDailyLimit {
        #[arg(long)]
        service_id: String,
        /// email, sms or letter.
        #[arg(long = "type")]
        notification_type: String,
        #[arg(long)]
        limit: i64,
    },
    /// Give a service with `inbound_sms` its phone number for people to
    /// text (it also becomes its default text message sender).
    SetInboundNumber {
        #[arg(long)]
        service_id: String,
        #[arg(long)]
        number: String,
    },
    /// A text message arriving, as the provider's endpoint receives one
    /// (for the demo and tests): to a service's inbound number.
    ReceiveText {
        /// The service's inbound number.
        #[arg(long)]
        to: String,
        /// Who sent it.
        #[arg(long)]
        from: String,
        #[arg(long)]
        message: String,
    },
    /// A service's reply-to addresses, text message senders or letter
    /// contact blocks, one a line: id, `default` or not, the value.
    ListSenders {
        #[arg(long)]
        service_id: String,
        /// email_reply_to, sms_sender or letter_contact.
        #[arg(long)]
        kind: String,
    },
    /// Mark letters as returned to sender (by notification id or by the
    /// reference they were sent with): their status becomes
    /// `returned-letter` and the service's returned-letter callback is sent.
    ReturnLetters {
        #[arg(long)]
        service_id: String,
        /// A notification id or reference; repeat for more.
        #[arg(long = "letter", required = true)]
        letters: Vec<String>,
    },
    /// How many days a service keeps its messages of one channel (3 to 90;
    /// 7 unless set).
    SetRetention {
        #[arg(long)]
        service_id: String,
        /// email, sms or letter.
        #[arg(long = "type")]
        notification_type: String,
        #[arg(long)]
        days: String,
    },
    /// Put a service in trial mode (--trial true) or take it live (--trial false).
    SetTrialMode {
        #[arg(long)]
        service_id: String,
        #[arg(long, action = clap::ArgAction::Set)]
        trial: bool,
    },
    /// Set a service's API rate limit (requests per 60 seconds, per key type;
    /// 1 to 100,000,000).
    SetRateLimit {
        #[arg(long)]
        service_id: String,
        #[arg(long)]
        limit: i64,
    },
    /// List every service: id, trial or live, name.
    ListServices,
    /// Print the newest email the built-in outbox holds for an address
    /// (where no email provider is set up, as in the demo: invitation links,
    /// reply-to checks, alerts).
    Outbox {
        #[arg(long)]
        to: String,
    },
    /// Make a user a member of a service with the given permissions.
    Grant {
        #[arg(long)]
        email: String,
        #[arg(long)]
        service_id: String,
        /// Comma-separated: manage_api_keys, view_activity, send_messages,
        /// manage_service, manage_templates (or "all").
        #[arg(long)]
        permissions: String,
    },
}

fn parse_list<T>(raw: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<Vec<T>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).ok_or_else(|| format!("unknown {what}: {s:?}")))
        .collect()
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Before anything else: the child needs no configuration, no runtime
    // and no log, and runs under tight limits.
    if matches!(cli.command, Some(Command::CheckLetterPdf)) {
        return crate::letters::checker::child_main();
    }
    if matches!(cli.command, Some(Command::ReadSpreadsheet)) {
        return crate::spreadsheets::child_main();
    }
    if matches!(cli.command, Some(Command::Openapi)) {
        print!("{}", crate::api_v2::openapi::json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(&config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            // Not through `admin`: the database is not to be opened.
            Command::Restore { from } => restore(config, from).await,
            other => admin(config, other).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = config.listen_addr;
    let demo = config.demo;
    let base_url = config.base_url.clone();
    let config_product = config.brand.product_name().to_string();
    let (router, _state) = crate::build(config).await?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("could not listen on {addr}: {e}"))?;
    tracing::info!(%addr, "listening");
    println!("{} is running at {base_url}/", config_product);
    if demo {
        println!(
            "Sign in at {base_url}/sign-in as admin@example.gov.uk (or viewer@ / outsider@example.gov.uk) \
             with the password {}",
            crate::demo::DEMO_PASSWORD
        );
    }
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn restore(config: Config, from: std::path::PathBuf) -> anyhow::Result<()> {
    if app::ssr::store::is_postgres_url(&config.database_url) {
        anyhow::bail!(
            "server restore puts back a SQLite copy: restore PostgreSQL with pg_restore or its point-in-time recovery"
        );
    }
    let database = crate::backup::database_file(&config.database_url)?;
    let (copy, kept) = crate::backup::restore(&database, &from).await?;
    println!(
        "restored {} to {}: {} services, {} notifications",
        from.display(),
        database.display(),
        copy.services,
        copy.notifications
    );
    if let Some(kept) = kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    Ok(())
}

async fn admin(config: Config, command: Command) -> anyhow::Result<()> {
    let pool = store::connect(&config.database_url).await?;
    let done = admin_command(&pool, config, command).await;
    // The instances serving a shared database hear of the change (a revoked
    // key, say) before this process ends.
    pool.settle().await;
    done
}

async fn admin_command(pool: &store::Store, config: Config, command: Command) -> anyhow::Result<()> {
    let pool = pool.clone();
    match command {
        Command::Serve
        | Command::CheckLetterPdf
        | Command::ReadSpreadsheet
        | Command::Openapi
        | Command::Restore { .. } => {
            unreachable!("handled by main")
        }
        Command::Backup { to } => {
            let copy = crate::backup::backup(&pool, &to).await?;
            println!(
                "backed up to {}: {} bytes, {} services, {} notifications. Keep the server key with it, apart from it.",
                to.display(),
                copy.bytes,
                copy.services,
                copy.notifications
            );
        }
        Command::CreateUser { name, email, mobile, platform_admin, password_only, sms_auth } => {
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 8 {
                anyhow::bail!("the password (read from standard input) must be at least 8 characters");
            }
            if store::find_user_by_email(&pool, email.as_str()).await?.is_some() {
                anyhow::bail!("a user with that email address already exists");
            }
            let hash = passwords::hash(password)?;
            let id = store::create_user(
                &pool,
                store::NewUser {
                    name: &name,
                    email_address: email.as_str(),
                    mobile_number: mobile.as_deref(),
                    password_hash: &hash,
                    platform_admin,
                    sign_in_method: if password_only {
                        SignInMethod::PasswordOnly
                    } else if sms_auth {
                        SignInMethod::SmsAuth
                    } else {
                        SignInMethod::EmailAuth
                    },
                },
            )
            .await?;
            println!("{id}");
        }
        Command::CreateService { name, live, permissions } => {
            let perms =
                parse_list(&permissions, ServicePermission::parse, "service permission").map_err(anyhow::Error::msg)?;
            if store::find_service_by_name(&pool, &name).await?.is_some() {
                anyhow::bail!("a service with that name already exists");
            }
            let id = store::create_service(&pool, &name, !live, &perms).await?;
            println!("{id}");
        }
        Command::SetKeyLifetime { service_id, days } => {
            let days = match days.trim() {
                "none" => None,
                d => Some(
                    d.parse::<i64>()
                        .ok()
                        .filter(|d| *d > 0)
                        .ok_or_else(|| anyhow::anyhow!("--days: expected a number of days or none"))?,
                ),
            };
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            store::set_max_key_lifetime(&pool, &service_id, days).await?;
            println!("longest key lifetime: {}", days.map(|d| format!("{d} days")).unwrap_or_else(|| "none".into()));
        }
        Command::CreateApiKey { service_id, name, key_type, expires_in } => {
            let name = app::domain::KeyName::parse(&name)
                .map_err(|e| anyhow::anyhow!("--name: {}", app::domain::KeyName::message(e)))?;
            let key_type = app::domain::KeyType::parse(&key_type)
                .ok_or_else(|| anyhow::anyhow!("--type: expected normal, team or test"))?;
            let secrets = app::ssr::secrets::Secrets::new(crate::server_key::load_or_create(&config)?.bytes());
            use app::domain::api_key::KeyLifetime;
            use app::ssr::keys::NotCreated;
            let service = store::get_service(&pool, &service_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            let lifetime = match expires_in {
                Some(raw) => KeyLifetime::parse(&raw)
                    .ok_or_else(|| anyhow::anyhow!("--expires-in: expected 30, 90, 180, 365 or never"))?,
                None => KeyLifetime::default_for(service.max_key_lifetime_days),
            };
            match app::ssr::keys::create(&pool, &secrets, &service_id, &name, key_type, lifetime, None).await? {
                Ok(created) => println!("{}", created.key),
                Err(NotCreated::NoSuchService) => anyhow::bail!("no service has that id"),
                Err(NotCreated::LiveKeyInTrialMode) => anyhow::bail!("a service in trial mode cannot have a live key"),
                Err(NotCreated::DuplicateName) => anyhow::bail!("a key with this name already exists"),
                Err(NotCreated::LifetimeTooLong) => anyhow::bail!("the service does not allow keys to live that long"),
            }
        }
        Command::RevokeApiKey { service_id, name } => {
            let keys = store::list_api_keys(&pool, &service_id, app::domain::Timestamp::NEVER).await?;
            let key = keys
                .iter()
                .find(|k| k.expiry_date.is_none() && k.name == name)
                .ok_or_else(|| anyhow::anyhow!("no unrevoked key of that service has that name"))?;
            store::revoke_api_key(&pool, &service_id, &key.id, None).await?;
            println!("revoked");
        }
        Command::SetDailyLimit { service_id, notification_type, limit } => {
            let t = app::domain::TemplateType::parse(&notification_type)
                .ok_or_else(|| anyhow::anyhow!("--type: expected email, sms or letter"))?;
            if limit < 0 {
                anyhow::bail!("--limit: expected 0 or more");
            }
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            store::set_daily_limit(&pool, &service_id, t, limit).await?;
            println!("limit set");
        }
        Command::SetInboundNumber { service_id, number } => {
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            let number = app::domain::PhoneNumber::parse(&number)
                .map_err(|_| anyhow::anyhow!("--number: expected a UK mobile number"))?;
            let Some(rest) = number.as_str().strip_prefix("+44") else {
                anyhow::bail!("--number: expected a UK mobile number");
            };
            let national = format!("0{rest}");
            if !store::set_inbound_number(&pool, &service_id, &national).await? {
                anyhow::bail!("{national} is another service's inbound number");
            }
            println!("inbound number {national}");
        }
        Command::ReceiveText { to, from, message } => {
            match store::receive_text(&pool, to.trim(), from.trim(), &message, None, None).await? {
                Some(text) => println!("received {}", text.id),
                None => anyhow::bail!("no service with inbound_sms has the number {to}"),
            }
        }
        Command::ListSenders { service_id, kind } => {
            use app::domain::senders::SenderKind;
            let kind = [SenderKind::EmailReplyTo, SenderKind::SmsSender, SenderKind::LetterContact]
                .into_iter()
                .find(|k| k.as_str() == kind)
                .ok_or_else(|| anyhow::anyhow!("--kind: expected email_reply_to, sms_sender or letter_contact"))?;
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            for s in store::senders(&pool, &service_id, kind).await? {
                let value = s.value.replace('\n', ", ");
                println!("{}\t{}\t{value}", s.id, if s.is_default { "default" } else { "" });
            }
        }
        Command::ReturnLetters { service_id, letters } => {
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            let returned = store::return_letters(&pool, &service_id, &letters).await?;
            if returned.is_empty() {
                anyhow::bail!("no letter of that service that was sent has that id or reference");
            }
            for id in returned {
                println!("returned {id}");
            }
        }
        Command::SetRetention { service_id, notification_type, days } => {
            let t = app::domain::TemplateType::parse(&notification_type)
                .ok_or_else(|| anyhow::anyhow!("--type: expected email, sms or letter"))?;
            let days =
                app::domain::retention::RetentionDays::parse(&days).map_err(|e| anyhow::anyhow!("--days: {e}"))?;
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            store::set_retention(&pool, &service_id, t, days).await?;
            println!("{} kept {} days", t.as_str(), days.days());
        }
        Command::SetTrialMode { service_id, trial } => {
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            store::set_restricted(&pool, &service_id, trial).await?;
            println!("{}", if trial { "in trial mode" } else { "live" });
        }
        Command::SetRateLimit { service_id, limit } => {
            if !(1..=crate::api_v2::runtime::MAX_RATE_LIMIT).contains(&limit) {
                anyhow::bail!("--limit: expected 1 to 100000000 requests per 60 seconds");
            }
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            store::set_rate_limit(&pool, &service_id, limit).await?;
            println!("rate limit set");
        }
        Command::Outbox { to } => {
            // A phone number as the outbox keeps it (E.164); an email
            // address as typed.
            let to = match (to.contains('@'), app::domain::PhoneNumber::parse(&to)) {
                (false, Ok(number)) => number.as_str().to_string(),
                _ => to,
            };
            match store::newest_outbox_message(&pool, &to).await? {
                Some(m) => match m.subject {
                    Some(subject) => println!("To: {}\nSubject: {}\n\n{}", m.recipient, subject, m.body),
                    None => println!("To: {}\n\n{}", m.recipient, m.body),
                },
                None => anyhow::bail!("the outbox holds no message to that address or number"),
            }
        }
        Command::ListServices => {
            for s in store::all_services(&pool).await? {
                println!("{}\t{}\t{}", s.id, if s.restricted { "trial" } else { "live" }, s.name);
            }
        }
        Command::Grant { email, service_id, permissions } => {
            let perms = if permissions.trim() == "all" {
                Permission::ALL.to_vec()
            } else {
                parse_list(&permissions, Permission::parse, "permission").map_err(anyhow::Error::msg)?
            };
            let user = store::find_user_by_email(&pool, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user has that email address"))?;
            store::get_service(&pool, &service_id).await?.ok_or_else(|| anyhow::anyhow!("no service has that id"))?;
            store::grant(&pool, &user.id, &service_id, &perms).await?;
            println!("granted");
        }
    }
    Ok(())
}
