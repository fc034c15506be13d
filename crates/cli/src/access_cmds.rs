//! `kwm tokens`, `kwm access`, `kwm audit`, and what `kwm ingest --restricted` adds: access
//! control on the command line. Whoever runs these can write the store, so they are the
//! administrators; each change is appended to the audit log with the operating-system user.

use std::io::Write as _;

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use kwm_store::{AuditEntry, LoadAccess, StoreLocation};

use crate::now_rfc3339;

/// Who runs the command, for the audit log: `cli:USER`, else (containers and CI jobs often set
/// no user name) `cli:uid:N` from the process's own owner, never a bare "unknown".
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(process_uid)
        .unwrap_or_else(|| "unknown".into());
    format!("cli:{user}")
}

#[cfg(unix)]
fn process_uid() -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the process's user (Linux); elsewhere there is no answer here.
    std::fs::metadata("/proc/self")
        .ok()
        .map(|m| format!("uid:{}", m.uid()))
}

#[cfg(not(unix))]
fn process_uid() -> Option<String> {
    None
}

fn open(db: &StoreLocation) -> anyhow::Result<Box<dyn kwm_store::Store + Send>> {
    db.open()
        .map_err(|e| anyhow!("cannot open store {db}: {e}"))
}

fn audit(store: &mut dyn kwm_store::Store, action: &str, subject: String) -> anyhow::Result<()> {
    store.append_audit(&AuditEntry {
        id: 0,
        at: now_rfc3339(),
        actor: cli_actor(),
        via: "cli".into(),
        action: action.into(),
        subject,
        origin: "cli".into(),
    })?;
    Ok(())
}

/// Checks a `--until` date: `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let month: u32 = if ok { s[5..7].parse().unwrap_or(0) } else { 0 };
    let day: u32 = if ok { s[8..10].parse().unwrap_or(0) } else { 0 };
    if ok && (1..=12).contains(&month) && (1..=31).contains(&day) {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a date as YYYY-MM-DD"))
    }
}

/// The access options of `kwm ingest`.
#[derive(Args, Debug, Clone, Default)]
pub struct IngestAccess {
    /// Store the files' figures as restricted: only analysts and admins see them (every read
    /// audited), never anonymous users — not in pages, API, downloads, ranks or risk runs.
    #[arg(long)]
    pub restricted: bool,
    /// With --restricted: an embargo; the figures become public on this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "restricted", value_parser = parse_date)]
    pub until: Option<String>,
    /// With --restricted: why (recorded with the access rule).
    #[arg(long, value_name = "TEXT", requires = "restricted")]
    pub reason: Option<String>,
}

impl IngestAccess {
    /// Who loads and the access of the new loads.
    pub fn load_as(&self) -> kwm_monitor::ingest::LoadAs {
        kwm_monitor::ingest::LoadAs {
            actor: cli_actor(),
            access: self.restricted.then(|| LoadAccess {
                restricted: true,
                until: self.until.clone(),
                reason: self
                    .reason
                    .clone()
                    .unwrap_or_else(|| "restricted when loaded".into()),
            }),
        }
    }
}

/// Arguments of `kwm tokens`.
#[derive(Args, Debug)]
pub struct TokensArgs {
    #[command(subcommand)]
    command: TokensCommand,
}

#[derive(Subcommand, Debug)]
enum TokensCommand {
    /// Make an API token and print it once (the store keeps only its SHA-256).
    Create {
        /// Store: a SQLite file or a postgres:// URL.
        #[arg(long, value_name = "FILE|URL")]
        db: StoreLocation,
        /// Role: analyst or admin.
        #[arg(long, value_parser = ["analyst", "admin"])]
        role: String,
        /// What the token is for (a script or service; not a person's name).
        #[arg(long)]
        name: String,
    },
    /// List tokens (never the tokens themselves).
    List {
        /// Store: a SQLite file or a postgres:// URL.
        #[arg(long, value_name = "FILE|URL")]
        db: StoreLocation,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it is refused (401) from the next request on.
    Revoke {
        /// Store: a SQLite file or a postgres:// URL.
        #[arg(long, value_name = "FILE|URL")]
        db: StoreLocation,
        /// The token's id (`kwm tokens list`).
        id: i64,
    },
}

/// `kwm tokens`
pub fn tokens(args: &TokensArgs) -> anyhow::Result<()> {
    match &args.command {
        TokensCommand::Create { db, role, name } => {
            if name.trim().is_empty() {
                bail!("--name must say what the token is for");
            }
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| anyhow!("no random numbers: {e}"))?;
            let token: String = std::iter::once("kwm_".to_string())
                .chain(bytes.iter().map(|b| format!("{b:02x}")))
                .collect();
            let mut store = open(db)?;
            let id = store.create_token(
                name,
                role,
                &kwm_server::auth::token_hash(&token),
                &now_rfc3339(),
            )?;
            audit(
                &mut *store,
                "token_create",
                format!("token {id} ({name}, {role})"),
            )?;
            eprintln!("token {id} ({role}, {name}); it is shown only now:");
            println!("{token}");
        }
        TokensCommand::List { db, json } => {
            let tokens = open(db)?.tokens()?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                let mut out = std::io::stdout().lock();
                writeln!(out, "id\trole\tname\tcreated\trevoked")?;
                for t in tokens {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        t.id,
                        t.role,
                        t.name,
                        t.created_at,
                        t.revoked_at.as_deref().unwrap_or("-")
                    )?;
                }
            }
        }
        TokensCommand::Revoke { db, id } => {
            let mut store = open(db)?;
            if !store.revoke_token(*id, &now_rfc3339())? {
                bail!("there is no unrevoked token {id}");
            }
            audit(&mut *store, "token_revoke", format!("token {id}"))?;
            println!("token {id} revoked");
        }
    }
    Ok(())
}

/// Arguments of `kwm access`.
#[derive(Args, Debug)]
pub struct AccessArgs {
    /// Store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// The load (`kwm ingest` reports it; `/api/loads` lists them). Without it: list the rules.
    #[arg(long, value_name = "ID", requires = "reason")]
    load: Option<i64>,
    /// Make the load's figures public.
    #[arg(long, conflicts_with = "restricted", requires = "load")]
    public: bool,
    /// Restrict the load's figures to analysts and admins.
    #[arg(long, requires = "load")]
    restricted: bool,
    /// With --restricted: public from this date on (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires = "restricted", value_parser = parse_date)]
    until: Option<String>,
    /// Why (recorded with the change and in the audit log).
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
}

/// `kwm access`
pub fn access(args: &AccessArgs) -> anyhow::Result<()> {
    let mut store = open(&args.db)?;
    let Some(load) = args.load else {
        let mut out = std::io::stdout().lock();
        writeln!(out, "load\taccess\tuntil\tchanged\tby\treason\tseries")?;
        for r in store.access_rules()? {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.load_id,
                if r.access.restricted {
                    "restricted"
                } else {
                    "public"
                },
                r.access.until.as_deref().unwrap_or("-"),
                r.changed_at,
                r.changed_by,
                r.access.reason,
                r.series.len()
            )?;
        }
        return Ok(());
    };
    if args.public == args.restricted {
        bail!("say --public or --restricted");
    }
    let reason = args.reason.clone().unwrap_or_default();
    if reason.trim().is_empty() {
        bail!("--reason must say why the access changes");
    }
    let access = LoadAccess {
        restricted: args.restricted,
        until: args.until.clone(),
        reason: reason.clone(),
    };
    let rule = store.set_load_access(load, &access, &now_rfc3339(), &cli_actor())?;
    let what = if args.restricted {
        format!(
            "restricted{}",
            args.until
                .as_ref()
                .map(|u| format!(" until {u}"))
                .unwrap_or_default()
        )
    } else {
        "public".to_string()
    };
    audit(
        &mut *store,
        "access_change",
        format!("load {load} {what}: {reason}"),
    )?;
    println!(
        "load {load}: {what} ({} indicator/level/period series)",
        rule.series.len()
    );
    Ok(())
}

/// Arguments of `kwm audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Store: a SQLite file or a postgres:// URL.
    #[arg(long, value_name = "FILE|URL")]
    db: StoreLocation,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "csv", "json"])]
    format: String,
}

/// `kwm audit`
pub fn audit_log(args: &AuditArgs) -> anyhow::Result<()> {
    let entries = open(&args.db)?.audit_log()?;
    match args.format.as_str() {
        "json" => println!("{}", serde_json::to_string_pretty(&entries)?),
        "csv" => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            w.write_record(["id", "at", "actor", "via", "action", "subject", "origin"])?;
            for e in &entries {
                w.write_record([
                    e.id.to_string().as_str(),
                    &e.at,
                    &csv_safe(&e.actor),
                    &e.via,
                    &e.action,
                    &csv_safe(&e.subject),
                    &csv_safe(&e.origin),
                ])?;
            }
            w.flush()?;
        }
        _ => {
            let mut out = std::io::stdout().lock();
            for e in &entries {
                writeln!(
                    out,
                    "{}\t{}\t{} ({})\t{}\t{}\t{}",
                    e.id, e.at, e.actor, e.via, e.action, e.subject, e.origin
                )?;
            }
        }
    }
    Ok(())
}

/// A cell a spreadsheet will not run as a formula (names come from proxies and tokens).
fn csv_safe(s: &str) -> String {
    kwm_server::hardening::csv_cell(s).into_owned()
}
