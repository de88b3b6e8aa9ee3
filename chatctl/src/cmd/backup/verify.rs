//! `chatctl backup verify` (and `backup --verify`): restores a backup into
//! a scratch database, checks it against its manifest and the event log's
//! invariants, and always drops the scratch database afterwards.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use chat_store::{database, stats};
use serde::Serialize;

use super::archive::{self, Manifest};
use super::restore::{extract, load};
use crate::cli::PgToolArgs;
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};

/// Table by table, the manifest's counts against the database's.
pub async fn compare_counts(
    client: &impl chat_store::GenericClient,
    manifest: &Manifest,
) -> CliResult<Vec<Check>> {
    let actual = stats::table_counts(client).await?;
    Ok(actual
        .into_iter()
        .map(|(table, n)| {
            let want = manifest.counts.get(&table).copied();
            Check {
                ok: want == Some(n),
                detail: match want {
                    Some(w) => format!("{n} rows (manifest: {w})"),
                    None => format!("{n} rows (not in the manifest)"),
                },
                name: format!("rows in {table}"),
            }
        })
        .collect())
}

/// One verification step's outcome.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// Everything `backup verify` found, as it prints it.
#[derive(Debug, Serialize)]
pub struct Verification {
    /// The file as the admin knows it (a new backup is verified under its
    /// temporary name).
    pub file: PathBuf,
    ok: bool,
    manifest: Option<Manifest>,
    checks: Vec<Check>,
}

/// Runs `chatctl backup verify`.
pub async fn run_verify(url: &str, file: &Path, tools: &PgToolArgs, out: Output) -> CliResult {
    let started = Instant::now();
    let report = verification(url, file, tools).await;
    out.data(&report, |r| {
        let mut table = Table::new(&["CHECK", "RESULT", "DETAIL"]);
        for c in &r.checks {
            let result = if c.ok { "ok" } else { "FAILED" };
            table.row(vec![c.name.clone(), result.into(), c.detail.clone()]);
        }
        table.print()
    })?;
    verdict(&report, started)
}

/// Runs every check; failures are in the report, never an early return.
pub async fn verification(url: &str, file: &Path, tools: &PgToolArgs) -> Verification {
    let mut report = Verification {
        file: file.to_owned(),
        ok: false,
        manifest: None,
        checks: Vec::new(),
    };
    let result = verify_into(url, file, tools, &mut report).await;
    if let Err(e) = &result {
        report.checks.push(Check {
            name: "restore".into(),
            ok: false,
            detail: e.to_string(),
        });
    }
    report.ok = result.is_ok() && report.checks.iter().all(|c| c.ok);
    report
}

/// Exit status and closing note of a verification.
pub fn verdict(report: &Verification, started: Instant) -> CliResult {
    if report.ok {
        eprintln!(
            "{} verified in {:.1} s",
            report.file.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let failed: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    Err(CliError::Failed(anyhow::anyhow!(
        "{} failed verification: {}",
        report.file.display(),
        failed.join("; ")
    )))
}

/// Restores into a scratch database, runs the checks, and drops it.
async fn verify_into(
    url: &str,
    file: &Path,
    tools: &PgToolArgs,
    report: &mut Verification,
) -> CliResult {
    let manifest = archive::read_manifest(file)?;
    report.manifest = Some(manifest.clone());
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    let scratch = format!("chatctl_verify_{}", archive::hex(&random));
    let scratch_url = db::with_database(url, &scratch)?;
    let maintenance = db::maintenance(url).await?;
    database::create(&maintenance, &scratch)
        .await
        .with_context(|| {
            format!(
                "cannot create the scratch database {scratch} (verifying restores into one: \
                 the role needs CREATEDB, see docs/deploy.md)"
            )
        })?;
    let result = check_restored(&scratch_url, file, &manifest, tools, report).await;
    let dropped = database::drop_if_exists(&maintenance, &scratch).await;
    if let Err(e) = dropped {
        eprintln!("chatctl: warning: cannot drop the scratch database {scratch}: {e}");
    }
    result
}

/// The checks on a database `pg_restore` just loaded.
async fn check_restored(
    scratch_url: &str,
    file: &Path,
    manifest: &Manifest,
    tools: &PgToolArgs,
    report: &mut Verification,
) -> CliResult {
    let extracted = extract(scratch_url, file, manifest, tools).await?;
    load(scratch_url, &extracted, None).await?;
    report.checks.push(Check {
        name: "checksum".into(),
        ok: true,
        detail: format!("sha256 {}", manifest.dump.sha256),
    });
    let (src, m) = (file.to_owned(), manifest.clone());
    let files = tokio::task::spawn_blocking(move || super::files::check(&src, &m))
        .await
        .map_err(anyhow::Error::from)??;
    report.checks.push(files);
    report.checks.push(Check {
        name: "restore".into(),
        ok: true,
        detail: "pg_restore loaded it with every constraint and foreign key validated".into(),
    });
    let client = db::connect(scratch_url).await?;
    // pg_restore leaves no planner statistics; without them the event-log
    // check below is planned as a quadratic join (hours at 1M messages).
    database::analyze(&**client)
        .await
        .context("cannot analyze the scratch database")?;
    report
        .checks
        .extend(compare_counts(&client, manifest).await?);
    let problems = stats::event_log_problems(&client).await?;
    report.checks.push(Check {
        name: "event log".into(),
        ok: problems.is_empty(),
        detail: if problems.is_empty() {
            "every message has its event; no event past its room's counter".into()
        } else {
            problems.join("; ")
        },
    });
    Ok(())
}
