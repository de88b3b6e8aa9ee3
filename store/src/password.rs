//! Password hashing with argon2id, kept off the async runtime.
//!
//! Each hash costs ~19 MiB and tens of milliseconds of CPU, so hashing runs
//! on the blocking pool behind a semaphore sized to the CPU count: a burst of
//! logins queues here instead of starving every other request.
//!
//! The 19 MiB of working memory is kept and reused (one buffer per permit,
//! so at most one per core) rather than allocated per hash: glibc keeps a
//! freed block of that size in whichever arena the blocking thread used,
//! and a login burst spread over many threads left hundreds of MiB held
//! (issue 20, finding 3).

use std::sync::Arc;

use argon2::password_hash::Output;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    /// argon2 working memory for reuse; never more buffers than permits.
    memory: std::sync::Mutex<Vec<Vec<Block>>>,
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
                memory: std::sync::Mutex::default(),
                dummy: OnceCell::new(),
            }),
        }
    }

    /// Hashes a password into a PHC string.
    pub async fn hash(&self, password: &str) -> StoreResult<String> {
        let password = password.to_owned();
        let params = self.inner.params;
        self.blocking(move |memory| hash_blocking(&password, params, memory))
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
            .blocking(move |memory| verify_blocking(password.as_bytes(), &phc, memory))
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

    /// Runs `work` on the blocking pool with a working-memory buffer that
    /// goes back to the pool afterwards.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> StoreResult<T> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Internal("password hasher closed".into()))?;
        let mut memory = self.take_memory();
        let (result, memory) = tokio::task::spawn_blocking(move || {
            let result = work(&mut memory);
            (result, memory)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("password task failed: {e}")))?;
        self.lock_memory().push(memory);
        Ok(result)
    }

    fn take_memory(&self) -> Vec<Block> {
        self.lock_memory().pop().unwrap_or_default()
    }

    fn lock_memory(&self) -> std::sync::MutexGuard<'_, Vec<Vec<Block>>> {
        // A panic while holding the lock leaves only buffers behind.
        self.inner
            .memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Working-memory buffers held for reuse (at most one per permit).
    #[cfg(test)]
    fn pooled(&self) -> usize {
        self.lock_memory().len()
    }
}

fn hash_blocking(
    password: &str,
    params: HashParams,
    memory: &mut Vec<Block>,
) -> StoreResult<String> {
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
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    memory.resize(params.block_count(), Block::default());
    argon2
        .hash_password_into_with_memory(password.as_bytes(), &salt_bytes, &mut out, &mut **memory)
        .map_err(|e| StoreError::Internal(format!("hashing failed: {e}")))?;
    let hash = Output::new(&out).map_err(|e| StoreError::Internal(format!("hash: {e}")))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${hash}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str()
    ))
}

/// Checks `password` against a PHC string in the given working memory
/// (what `verify_password` does, minus its allocation).
fn verify_blocking(password: &[u8], phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    memory.resize(params.block_count(), Block::default());
    let argon2 = Argon2::new(algorithm, version, params);
    argon2
        .hash_password_into_with_memory(password, salt, &mut out, &mut **memory)
        .is_ok()
        // Output's equality is constant-time.
        && Output::new(&out).is_ok_and(|out| out == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

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

    /// Hashes made with reused working memory verify with argon2's own
    /// verifier, and the pool never holds more buffers than there are
    /// permits, however many hashes run at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn working_memory_is_reused_and_bounded() {
        let hasher = cheap();
        let phc = hasher.hash("correct horse").await.unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        let checks = (0..32).map(|i| {
            let hasher = hasher.clone();
            let phc = phc.clone();
            tokio::spawn(async move {
                let password = if i % 2 == 0 { "correct horse" } else { "wrong" };
                hasher.verify(password, Some(&phc)).await.unwrap() == (i % 2 == 0)
            })
        });
        for check in checks {
            assert!(check.await.unwrap());
        }
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        assert!((1..=cpus).contains(&hasher.pooled()), "{}", hasher.pooled());
        // A hash made by argon2 itself (other parameters) verifies too.
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let foreign = Argon2::default()
            .hash_password(b"pw 12345", &salt)
            .unwrap()
            .to_string();
        assert!(hasher.verify("pw 12345", Some(&foreign)).await.unwrap());
        assert!(!hasher.verify("pw 12346", Some(&foreign)).await.unwrap());
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
