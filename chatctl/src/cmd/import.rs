//! `chatctl user import FILE`: many accounts at once from CSV or JSON lines.
//!
//! Every row is checked before anything is written (username rules and
//! duplicates, the password or the existing hash, the role), then the
//! accepted rows go in one transaction. Without `--skip-invalid` one bad row
//! means nothing is imported; either way the report lists each rejected row
//! with its line number and reason.

use std::collections::HashSet;
use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use chat_store::accounts;
use chat_store::password::{HashParams, PasswordHasher, is_argon2id_hash};
use chat_store::users::{AccountRole, NewUser};
use chat_wire::validate::{self, Username};
use serde::{Deserialize, Serialize};

use crate::cli::ImportFormat;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};

/// One row of the input file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    username: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    password_hash: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

/// A row that passed every check, password already hashed.
struct Accepted {
    username: String,
    display_name: String,
    password_hash: String,
    role: AccountRole,
}

#[derive(Debug, Serialize)]
struct Rejected {
    line: usize,
    username: Option<String>,
    reason: String,
}

#[derive(Debug, Serialize)]
struct Created {
    id: i64,
    username: String,
}

#[derive(Debug, Serialize)]
struct Report {
    /// False when rejected rows stopped the import.
    imported: bool,
    created: Vec<Created>,
    rejected: Vec<Rejected>,
}

pub async fn run(
    client: &mut chat_store::Client,
    file: &Path,
    format: Option<ImportFormat>,
    skip_invalid: bool,
    out: Output,
) -> CliResult {
    let format = match format {
        Some(f) => f,
        None => match file.extension().and_then(|e| e.to_str()) {
            Some("csv") => ImportFormat::Csv,
            Some("jsonl" | "ndjson") => ImportFormat::Jsonl,
            _ => {
                return Err(CliError::Usage(
                    "cannot tell the file's format from its name; pass --format csv|jsonl".into(),
                ));
            }
        },
    };
    let text = read_input(file)?;
    let records = match format {
        ImportFormat::Csv => parse_csv(&text)?,
        ImportFormat::Jsonl => parse_jsonl(&text),
    };
    let (accepted, mut rejected) = check(client, records).await?;
    let mut report = Report {
        imported: false,
        created: Vec::new(),
        rejected: Vec::new(),
    };
    if rejected.is_empty() || skip_invalid {
        let new: Vec<NewUser<'_>> = accepted
            .iter()
            .map(|a| NewUser {
                username: &a.username,
                password_hash: &a.password_hash,
                display_name: &a.display_name,
                role: a.role,
            })
            .collect();
        let users = accounts::import(client, &new)
            .await
            .context("the import was rolled back; nothing was created")?;
        report.imported = true;
        let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
        super::audit::record(
            &*client,
            "user.import",
            format!("users:{}", names.len()),
            serde_json::json!({ "usernames": names }),
        )
        .await?;
        report.created = users
            .into_iter()
            .map(|u| Created {
                id: u.id,
                username: u.username,
            })
            .collect();
    }
    rejected.sort_by_key(|r| r.line);
    report.rejected = rejected;
    out.data(&report, |r| {
        if r.rejected.is_empty() {
            return Ok(());
        }
        let mut table = Table::new(&["LINE", "USERNAME", "REJECTED BECAUSE"]);
        for rej in &r.rejected {
            table.row(vec![
                rej.line.to_string(),
                rej.username.clone().unwrap_or_default(),
                rej.reason.clone(),
            ]);
        }
        table.print()
    })?;
    if report.imported {
        out.note(format_args!(
            "created {} user(s), rejected {} row(s)",
            report.created.len(),
            report.rejected.len()
        ));
        Ok(())
    } else {
        Err(CliError::Failed(anyhow::anyhow!(
            "{} row(s) rejected; nothing was imported (fix them, or pass --skip-invalid)",
            report.rejected.len()
        )))
    }
}

fn read_input(file: &Path) -> CliResult<String> {
    let mut text = String::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    Ok(text)
}

type Parsed = Vec<(usize, Result<Record, String>)>;

/// CSV with a header row; a malformed header fails the whole command.
fn parse_csv(text: &str) -> CliResult<Parsed> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| CliError::Usage(format!("cannot read the CSV header: {e}")))?
        .clone();
    Ok(reader
        .records()
        .map(|row| {
            // The header is line 1; a record knows where it started.
            let line = row
                .as_ref()
                .ok()
                .and_then(|r| r.position())
                .map_or(0, |p| p.line() as usize);
            let record = row
                .map_err(|e| e.to_string())
                .and_then(|r| r.deserialize(Some(&headers)).map_err(|e| e.to_string()));
            (line, record)
        })
        .collect())
}

/// One JSON object per line; blank lines are skipped.
fn parse_jsonl(text: &str) -> Parsed {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, serde_json::from_str(l).map_err(|e| e.to_string())))
        .collect()
}

/// Splits rows into accepted (passwords hashed) and rejected.
async fn check(
    client: &chat_store::Client,
    records: Parsed,
) -> CliResult<(Vec<Accepted>, Vec<Rejected>)> {
    let hasher = PasswordHasher::new(HashParams::default());
    let mut rejected = Vec::new();
    let mut valid = Vec::new();
    let mut seen = HashSet::new();
    for (line, record) in records {
        let reject = |username: Option<String>, reason: String| Rejected {
            line,
            username,
            reason,
        };
        let record = match record {
            Ok(r) => r,
            Err(reason) => {
                rejected.push(reject(None, reason));
                continue;
            }
        };
        match validate_record(&record) {
            Ok((username, display_name, role)) => {
                if !seen.insert(username.clone()) {
                    rejected.push(reject(
                        Some(username),
                        "appears more than once in the file".into(),
                    ));
                    continue;
                }
                valid.push((line, username, display_name, role, record));
            }
            Err(reason) => rejected.push(reject(Some(record.username.clone()), reason)),
        }
    }
    let names: Vec<&str> = valid.iter().map(|v| v.1.as_str()).collect();
    let taken: HashSet<String> = accounts::taken(client, &names).await?.into_iter().collect();
    let mut accepted = Vec::new();
    for (line, username, display_name, role, record) in valid {
        if taken.contains(&username) {
            rejected.push(Rejected {
                line,
                username: Some(username),
                reason: "username is taken".into(),
            });
            continue;
        }
        let password_hash = match (record.password, record.password_hash) {
            (Some(password), None) => hasher.hash(&password).await?,
            (None, Some(hash)) => hash,
            _ => unreachable!("validate_record demands exactly one"),
        };
        accepted.push(Accepted {
            username,
            display_name,
            password_hash,
            role,
        });
    }
    Ok((accepted, rejected))
}

/// The row's normalised username, display name and role, or why not.
fn validate_record(record: &Record) -> Result<(String, String, AccountRole), String> {
    let username = Username::parse(&record.username)?;
    let display_name = match record.display_name.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => validate::name("display name", n)?,
        None => username.to_string(),
    };
    match (&record.password, &record.password_hash) {
        (Some(p), None) => validate::password(p)?,
        (None, Some(h)) if is_argon2id_hash(h) => {}
        (None, Some(_)) => return Err("password_hash is not an argon2id PHC string".into()),
        (Some(_), Some(_)) => return Err("give password or password_hash, not both".into()),
        (None, None) => return Err("no password or password_hash".into()),
    }
    let role = match record.role.as_deref().unwrap_or("user") {
        "user" | "" => AccountRole::User,
        "admin" => AccountRole::Admin,
        other => return Err(format!("unknown role {other:?} (user or admin)")),
    };
    Ok((username.to_string(), display_name, role))
}
