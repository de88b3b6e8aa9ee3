//! chatctl's failures and the exit codes scripts see (documented in
//! `chatctl --help`).

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The thing named on the command line does not exist (exit 3).
    #[error("{0}")]
    NotFound(String),
    /// The command line cannot be acted on, or a destructive step was not
    /// confirmed (exit 2).
    #[error("{0}")]
    Usage(String),
    /// `migrate status` found pending migrations (exit 4).
    #[error("{0}")]
    Pending(String),
    /// Whoever reads our stdout went away (`chatctl user list | head`):
    /// not an error, stop quietly.
    #[error("broken pipe")]
    BrokenPipe,
    /// Anything else (exit 1).
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BrokenPipe => 0,
            Self::Failed(_) => 1,
            Self::Usage(_) => 2,
            Self::NotFound(_) => 3,
            Self::Pending(_) => 4,
        }
    }
}

impl From<chat_store::StoreError> for CliError {
    fn from(e: chat_store::StoreError) -> Self {
        Self::Failed(e.into())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Self::BrokenPipe
        } else {
            Self::Failed(e.into())
        }
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
