//! chatctl's failures and the exit codes scripts see.

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The thing named on the command line does not exist (exit 3).
    #[error("{0}")]
    NotFound(String),
    /// The command line was understood but cannot be acted on (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Anything else (exit 1).
    #[error("{0:#}")]
    Failed(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Failed(_) => 1,
            Self::Usage(_) => 2,
            Self::NotFound(_) => 3,
        }
    }
}

impl From<chat_store::StoreError> for CliError {
    fn from(e: chat_store::StoreError) -> Self {
        Self::Failed(e.into())
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
