//! The command line, as clap parses it. The help texts here are what
//! admins read, so they say what each command changes and what it prints.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod moderation;
pub use moderation::{AuditCommand, ReportCommand, ReportStatusArg};

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (database unreachable, backup corrupted, ...)
  2  usage error, or a refusal (a name that is taken, a destructive command
     without --yes, restore into a database that holds data)
  3  the named user, room or session does not exist
  4  `migrate status`: migrations are pending

Data goes to standard output (one JSON document with --json); messages go
to standard error.";

/// chat's admin tool: schema migrations, users, sessions, rooms, backups.
#[derive(Debug, Parser)]
#[command(name = "chatctl", version, after_long_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub db: DbArgs,
    /// Print data as one JSON document on standard output.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the database is: flag, then environment, then chatd's config file.
#[derive(Debug, Args)]
pub struct DbArgs {
    /// PostgreSQL URL [default: postgres://postgres@127.0.0.1:5432/chat].
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// chatd's TOML config file, read for its database_url.
    #[arg(
        long,
        env = "CHATD_CONFIG",
        global = true,
        value_name = "FILE",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the database schema up to date, or show its status.
    Migrate(MigrateCmd),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// List and revoke login sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Manage rooms and their members.
    #[command(subcommand)]
    Room(RoomCommand),
    /// Read and resolve the reports members file on messages.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Read the audit log of administrative and moderation actions.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent backup while chatd keeps serving, or verify one.
    Backup(BackupCmd),
    /// Uploaded files: statistics, and removing unused ones.
    #[command(subcommand)]
    Files(FilesCommand),
    /// Load a backup into a database that holds no data (--force replaces
    /// what is there); the tables belong to the database's owner.
    Restore(RestoreArgs),
    /// Counts of users, rooms, messages and events; database size;
    /// connections per chatd instance.
    Stats,
    /// Print a shell completion script (e.g. `chatctl completions bash >
    /// /etc/bash_completion.d/chatctl`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages: chatctl(1) to standard output, or one page per
    /// command into --dir.
    Man {
        /// Directory to write chatctl.1, chatctl-user.1, ... into.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MigrateCmd {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
    /// Create the database first if it does not exist.
    #[arg(long)]
    pub create_database: bool,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (the default; safe to run again, and from
    /// several hosts at once).
    Up {
        /// Create the database first if it does not exist.
        #[arg(long)]
        create_database: bool,
    },
    /// Show applied and pending migrations; exit 4 when some are pending.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from a prompt, or from the
    /// first line of standard input with --password-stdin.
    Add {
        username: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Make the account a server administrator.
        #[arg(long)]
        admin: bool,
        /// Display name (defaults to the username).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List accounts (deleted ones only with --state deleted).
    List {
        /// Only accounts with this role.
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Only accounts in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// Only usernames or display names containing this text.
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
    },
    /// Show one account with its sessions, rooms and message count.
    Show { username: String },
    /// Disable an account: it cannot log in, its sessions end and its open
    /// WebSockets close at once.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Set a new password; every session of the account ends.
    Passwd {
        username: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make an account a server administrator or a plain user.
    Role {
        username: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Exempt an account (a bot, say) from the per-user rate limits on
    /// sending and on opening WebSockets, or end the exemption.
    RatelimitExempt {
        username: String,
        #[arg(value_enum)]
        exempt: OnOff,
    },
    /// Delete an account: it leaves every room and can never log in again;
    /// its name becomes free. Its messages stay under "Deleted user" or are
    /// erased, as --messages says.
    Delete {
        username: String,
        /// What happens to the account's messages.
        #[arg(long, value_enum)]
        messages: MessagesArg,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(short, long)]
        yes: bool,
    },
    /// Create many accounts from CSV (header: username,password or
    /// password_hash[,display_name][,role]) or JSON lines with the same
    /// fields. All rows are checked first; by default nothing is imported
    /// unless every row is valid, and never half of a file.
    Import {
        /// The file, or - for standard input.
        file: PathBuf,
        /// The file's format [default: from the extension, .csv or .jsonl].
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
        /// Import the valid rows even if some are rejected.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    User,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StateArg {
    Active,
    Disabled,
    Deleted,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MessagesArg {
    /// Keep the messages, credited to "Deleted user".
    Keep,
    /// Erase their text; they remain as deleted-message tombstones.
    Erase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// List a user's sessions (live ones; all with --all).
    List {
        username: String,
        /// Include revoked and expired sessions.
        #[arg(long)]
        all: bool,
    },
    /// End one session (--id) or all of a user's sessions (--all); open
    /// WebSockets of ended sessions close at once.
    Revoke {
        username: String,
        /// The session to end (see `session list`).
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// End every session of the user.
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoomCommand {
    /// List rooms with their member and message counts.
    List {
        /// Include direct conversations.
        #[arg(long)]
        direct: bool,
        /// Include archived rooms.
        #[arg(long)]
        archived: bool,
    },
    /// Show a room and its members.
    Show {
        /// The room's id, or the name of a named room.
        room: String,
    },
    /// Create a room owned by a user.
    Create {
        name: String,
        /// The user who owns the room.
        #[arg(long, value_name = "USERNAME")]
        owner: String,
        /// Only members can see it (default: public, anyone may join).
        #[arg(long)]
        private: bool,
        #[arg(long, default_value = "")]
        topic: String,
    },
    /// Archive a room: its history stays readable, but it takes no new
    /// messages or members and leaves the public list.
    Archive {
        /// The room's id, or the name of a named room.
        room: String,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(short, long)]
        yes: bool,
    },
    /// Add a user to a room.
    AddMember {
        /// The room's id, or the name of a named room.
        room: String,
        username: String,
        #[arg(long, value_enum, default_value = "member")]
        role: MemberRoleArg,
    },
    /// Remove a user from a room (ownership passes on if they owned it).
    RemoveMember {
        /// The room's id, or the name of a named room.
        room: String,
        username: String,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(short, long)]
        yes: bool,
    },
    /// Change a member's role in a room (the room's rules apply: making
    /// someone owner makes the other owners admins; the only owner is not
    /// demoted).
    SetRole {
        /// The room's id, or the name of a named room.
        room: String,
        username: String,
        #[arg(value_enum)]
        role: MemberRoleArg,
    },
    /// Ban a user from a room: removed if present, and kept out (joining
    /// and being added are refused) until unbanned.
    Ban {
        /// The room's id, or the name of a named room.
        room: String,
        username: String,
        /// Why, for the room's owner and admins.
        #[arg(long, default_value = "")]
        reason: String,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(short, long)]
        yes: bool,
    },
    /// Lift a user's ban from a room.
    Unban {
        /// The room's id, or the name of a named room.
        room: String,
        username: String,
    },
    /// List a room's bans, newest first.
    Bans {
        /// The room's id, or the name of a named room.
        room: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MemberRoleArg {
    Owner,
    Admin,
    Member,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackupCmd {
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// A new backup file (FILE.chatbak), or an existing directory to write
    /// a timestamped chat-YYYYMMDDTHHMMSSZ.chatbak into.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub target: Option<PathBuf>,
    /// With a directory target: keep only the newest N backups there.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,
    /// Verify the new backup (as `backup verify` does) before rotating.
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub tools: PgToolArgs,
    #[command(flatten)]
    pub data: DataDirArgs,
}

/// Where chatd keeps uploaded files.
#[derive(Debug, Args)]
pub struct DataDirArgs {
    /// chatd's data directory (its --data-dir).
    #[arg(
        long,
        env = "CHATD_DATA_DIR",
        hide_env_values = true,
        value_name = "DIR",
        default_value = "/var/lib/chat"
    )]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum FilesCommand {
    /// Count files, their bytes and what uses them; compare with the disk.
    Stats {
        #[command(flatten)]
        data: DataDirArgs,
    },
    /// Remove uploads nothing has used for --grace seconds, and blobs on
    /// disk that no file names (as chatd's own sweep does).
    Gc {
        #[command(flatten)]
        data: DataDirArgs,
        /// Seconds an unused upload is kept.
        #[arg(long, value_name = "SECS", default_value_t = 86_400)]
        grace: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Restore a backup into a scratch database, check its row counts,
    /// foreign keys and event log against the manifest, then drop it.
    Verify {
        file: PathBuf,
        #[command(flatten)]
        tools: PgToolArgs,
    },
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file written by `chatctl backup`.
    pub file: PathBuf,
    /// Restore even into a database that has data, replacing ALL of it.
    /// Asks for confirmation unless --yes.
    #[arg(long)]
    pub force: bool,
    /// Do not ask for confirmation (required with --force when not on a
    /// terminal).
    #[arg(short, long)]
    pub yes: bool,
    /// The role that will own the restored tables: the one chatd connects
    /// as [default: the database's owner; when restore creates the
    /// database, the role chatctl connects as].
    #[arg(long, value_name = "ROLE")]
    pub owner: Option<String>,
    #[command(flatten)]
    pub tools: PgToolArgs,
    #[command(flatten)]
    pub data: DataDirArgs,
}

/// Where PostgreSQL's pg_dump and pg_restore are.
#[derive(Debug, Args)]
pub struct PgToolArgs {
    /// Directory with pg_dump and pg_restore [default: PATH, then
    /// /usr/lib/postgresql/*/bin].
    #[arg(
        long,
        env = "CHATCTL_PG_BINDIR",
        value_name = "DIR",
        hide_env_values = true
    )]
    pub pg_bindir: Option<PathBuf>,
}
