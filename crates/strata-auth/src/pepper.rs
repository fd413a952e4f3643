//! The server secret ("pepper") under which token secrets are hashed. It lives outside the
//! catalog, so a stolen catalog alone cannot be used to test guesses of tokens.

use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use strata_types::{Error, Result};

/// HMAC-SHA-256 of a token secret: what the catalog stores (hex) and the index is keyed by.
pub type TokenHash = [u8; 32];

#[derive(Clone)]
pub struct Pepper {
    key: [u8; 32],
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pepper(***)")
    }
}

pub const PEPPER_FILE: &str = "token-pepper";

impl Pepper {
    /// A pepper given as 64 hex characters (from a flag or environment variable).
    pub fn from_hex(hex: &str) -> Result<Self> {
        let hex = hex.trim();
        let bytes = decode_hex(hex).filter(|b| b.len() == 32).ok_or_else(|| {
            Error::invalid("the token pepper must be 64 hexadecimal characters (32 bytes)")
        })?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self { key })
    }

    /// Reads `DIR/token-pepper`, creating it (mode 0600) with 32 random bytes when absent.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(PEPPER_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(&text)
                .map_err(|e| Error::invalid(format!("{}: {}", path.display(), e.message))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key)
                    .map_err(|e| Error::internal(format!("no random numbers: {e}")))?;
                write_private(&path, &encode_hex(&key))?;
                Ok(Self { key })
            }
            Err(e) => Err(Error::internal(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    pub fn hash(&self, secret: &str) -> TokenHash {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", path.display())))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::internal(format!("cannot write {}: {e}", path.display())))
}

pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pepper_file_is_created_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = Pepper::load_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(PEPPER_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let second = Pepper::load_or_create(dir.path()).unwrap();
        assert_eq!(first.hash("x"), second.hash("x"));
    }

    #[test]
    fn different_peppers_hash_differently() {
        let a = Pepper::from_hex(&"11".repeat(32)).unwrap();
        let b = Pepper::from_hex(&"22".repeat(32)).unwrap();
        assert_ne!(a.hash("token"), b.hash("token"));
        assert!(Pepper::from_hex("abc").is_err());
    }
}
