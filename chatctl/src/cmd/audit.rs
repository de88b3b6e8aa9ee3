//! `chatctl audit list`, and the records chatctl's own user and room
//! commands append to the audit log (as the shell, `chatctl`).

use chat_store::GenericClient;
use chat_store::audit::{self, AuditActor, Entry, Filter};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::cli::AuditCommand;
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};

pub async fn run(url: &str, cmd: AuditCommand, out: Output) -> CliResult {
    let client = db::connect_current(url).await?;
    let AuditCommand::List {
        since,
        actor,
        limit,
    } = cmd;
    let since = since
        .as_deref()
        .map(|s| parse_since(s, OffsetDateTime::now_utc()))
        .transpose()
        .map_err(CliError::Usage)?;
    let filter = Filter {
        since,
        actor: actor.as_deref(),
        limit: i64::from(limit),
    };
    let records = audit::list(&client, &filter).await?;
    out.data(&records, |records| {
        let mut table = Table::new(&["ID", "AT", "ACTOR", "ACTION", "TARGET", "DETAILS"]);
        for r in records {
            table.row(vec![
                r.id.to_string(),
                crate::output::time(r.at),
                r.actor_name.clone(),
                r.action.clone(),
                r.target.clone(),
                r.details.to_string(),
            ]);
        }
        table.print()
    })
}

/// Records an action of chatctl's in the audit log. Called inside the
/// change's transaction where the store allows; otherwise right after it,
/// and a failure then says the change was made but not recorded.
pub async fn record(
    db: &impl GenericClient,
    action: &str,
    target: String,
    details: Value,
) -> CliResult {
    let entry = Entry {
        actor: AuditActor::Shell,
        action,
        target,
        details,
    };
    audit::append(db, &entry).await.map_err(|e| {
        CliError::Failed(anyhow::anyhow!(
            "{action} on {}: recording it in the audit log failed: {e}",
            entry.target
        ))
    })?;
    Ok(())
}

/// `--since`: an RFC 3339 time (`2026-12-01T08:00:00Z`), a UTC date
/// (`2026-12-01`), or a span back from now (`90m`, `12h`, `7d`).
fn parse_since(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    if let Ok(d) = time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        return Ok(d.midnight().assume_utc());
    }
    let span = |n: i64, unit: char| match unit {
        's' => Some(Duration::seconds(n)),
        'm' => Some(Duration::minutes(n)),
        'h' => Some(Duration::hours(n)),
        'd' => Some(Duration::days(n)),
        _ => None,
    };
    let unit = text.chars().last().unwrap_or(' ');
    text[..text.len() - unit.len_utf8().min(text.len())]
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .and_then(|n| span(n, unit))
        .map(|d| now - d)
        .ok_or_else(|| {
            format!(
                "--since {text:?}: expected an RFC 3339 time, a date (YYYY-MM-DD) \
                 or a span such as 90m, 12h or 7d"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn since_takes_times_dates_and_spans() {
        let now = datetime!(2026-12-02 10:00 UTC);
        assert_eq!(
            parse_since("2026-12-01T08:30:00Z", now),
            Ok(datetime!(2026-12-01 08:30 UTC))
        );
        assert_eq!(
            parse_since("2026-11-30", now),
            Ok(datetime!(2026-11-30 00:00 UTC))
        );
        assert_eq!(parse_since("90m", now), Ok(datetime!(2026-12-02 08:30 UTC)));
        assert_eq!(parse_since("2d", now), Ok(datetime!(2026-11-30 10:00 UTC)));
        for bad in ["", "yesterday", "5w", "-3h", "h"] {
            assert!(parse_since(bad, now).is_err(), "{bad:?} was accepted");
        }
    }
}
