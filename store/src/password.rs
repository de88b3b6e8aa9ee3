//! Password hashing with argon2id, kept off the async runtime.
//!
//! Each hash costs ~19 MiB and tens of milliseconds of CPU, so hashing runs
//! on the blocking pool behind a semaphore sized to the CPU count: a burst of
//! logins queues here instead of starving every other request.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::{StoreError, StoreResult};

/// argon2id cost parameters. The defaults are OWASP's recommendation:
/// m = 19 MiB, t = 2, p = 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords. Cheap to clone.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    params: HashParams,
    permits: Semaphore,
    /// A real hash of a random password, verified against when the user
    /// does not exist so both cases take the same time.
    dummy: OnceCell<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.inner.params)
            .finish_non_exhaustive()
    }
}

/// True when `stored` is an argon2id PHC string this store can verify
/// against (for importing accounts with their existing hashes).
pub fn is_argon2id_hash(stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        parsed.algorithm.as_str() == "argon2id"
            && parsed.hash.is_some()
            && Params::try_from(&parsed).is_ok()
    })
}

impl PasswordHasher {
    pub fn new(params: HashParams) -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            inner: Arc::new(Inner {
                params,
                permits: Semaphore::new(cpus),
                dummy: OnceCell::new(),
            }),
        }
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> StoreResult<String> {
        let password = password.to_owned();
        let params = self.inner.params;
        self.blocking(move || hash_blocking(&password, params))
            .await?
    }

    /// Checks a password against a stored PHC string. With `None` (no such
    /// user) it verifies against a dummy hash and returns false, taking the
    /// same time as a real check.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> StoreResult<bool> {
        let (phc, real) = match stored {
            Some(phc) => (phc.to_owned(), true),
            None => (self.dummy_hash().await?.to_owned(), false),
        };
        let password = password.to_owned();
        let ok = self
            .blocking(move || {
                PasswordHash::new(&phc)
                    .map(|parsed| {
                        Argon2::default()
                            .verify_password(password.as_bytes(), &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
            .await?;
        Ok(ok && real)
    }

    /// True when a stored hash was made with other parameters than the
    /// current ones, so it should be replaced after a successful login.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        let want = self.inner.params;
        parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() != want.memory_kib
            || params.t_cost() != want.iterations
            || params.p_cost() != want.parallelism
    }

    async fn dummy_hash(&self) -> StoreResult<&str> {
        self.inner
            .dummy
            .get_or_try_init(|| async {
                let mut random = [0u8; 24];
                getrandom::fill(&mut random)
                    .map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
                let throwaway: String = random.iter().map(|b| format!("{b:02x}")).collect();
                self.hash(&throwaway).await
            })
            .await
            .map(String::as_str)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> StoreResult<T> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Internal("password hasher closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| StoreError::Internal(format!("password task failed: {e}")))
    }
}

fn hash_blocking(password: &str, params: HashParams) -> StoreResult<String> {
    let params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        None,
    )
    .map_err(|e| StoreError::Internal(format!("bad argon2 parameters: {e}")))?;
    let mut salt_bytes = [0u8; 16];
    getrandom::fill(&mut salt_bytes)
        .map_err(|e| StoreError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| StoreError::Internal(format!("salt: {e}")))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(format!("hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        })
    }

    #[tokio::test]
    async fn hashes_verify_and_carry_their_parameters() {
        let hasher = cheap();
        let phc = hasher.hash("correct horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(hasher.verify("correct horse", Some(&phc)).await.unwrap());
        assert!(!hasher.verify("wrong horse", Some(&phc)).await.unwrap());
        assert!(!hasher.verify("correct horse", None).await.unwrap());
        assert!(!hasher.needs_rehash(&phc));
        assert!(PasswordHasher::new(HashParams::default()).needs_rehash(&phc));
    }

    #[tokio::test]
    async fn default_parameters_are_owasp() {
        let phc = PasswordHasher::new(HashParams::default())
            .hash("a long enough password")
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }
}
