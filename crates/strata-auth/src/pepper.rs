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
    /// Two processes creating it at once agree on one pepper: each writes a private temporary
    /// file and links it into place; whoever loses the race reads the winner's.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(PEPPER_FILE);
        if let Some(pepper) = Self::read(&path)? {
            return Ok(pepper);
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| Error::internal(format!("no random numbers: {e}")))?;
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce)
            .map_err(|e| Error::internal(format!("no random numbers: {e}")))?;
        let temp = data_dir.join(format!(".{PEPPER_FILE}.{}", encode_hex(&nonce)));
        write_private(&temp, &encode_hex(&key))?;
        let linked = std::fs::hard_link(&temp, &path);
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => Ok(Self { key }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::read(&path)?
                .ok_or_else(|| Error::internal(format!("{} vanished", path.display()))),
            Err(e) => Err(Error::internal(format!(
                "cannot create {}: {e}",
                path.display()
            ))),
        }
    }

    fn read(path: &Path) -> Result<Option<Self>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text)
                .map(Some)
                .map_err(|e| Error::invalid(format!("{}: {}", path.display(), e.message))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
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
    fn concurrent_creators_agree_on_one_pepper() {
        let dir = tempfile::tempdir().unwrap();
        let peppers: Vec<Pepper> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| Pepper::load_or_create(dir.path()).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for pepper in &peppers {
            assert_eq!(pepper.hash("x"), peppers[0].hash("x"));
        }
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "only the pepper file remains");
    }

    #[test]
    fn different_peppers_hash_differently() {
        let a = Pepper::from_hex(&"11".repeat(32)).unwrap();
        let b = Pepper::from_hex(&"22".repeat(32)).unwrap();
        assert_ne!(a.hash("token"), b.hash("token"));
        assert!(Pepper::from_hex("abc").is_err());
    }
}
