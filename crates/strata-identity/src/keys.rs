//! Signing keys. Each node signs sessions with its own Ed25519 key, kept in its data directory
//! (mode 0600); the public halves live in the catalog, so every node can verify every node's
//! sessions and the JWKS lists them all. A key is replaced after the rotation interval and its
//! public half stays published until the last session it signed has expired.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use strata_auth::{decode_hex, encode_hex};
use strata_catalog::Catalog;
use strata_types::{Error, ErrorKind, Result, SigningKey};

pub const ALGORITHM: &str = "EdDSA";
const KEY_FILE: &str = "identity-signing-key.json";

/// This node's private signing key.
pub struct NodeKey {
    pub kid: String,
    pub created_at: DateTime<Utc>,
    pub encoding: EncodingKey,
    public_key: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyFile {
    kid: String,
    created_at: DateTime<Utc>,
    /// The 32-byte Ed25519 seed, hex.
    seed: String,
}

impl NodeKey {
    fn from_seed(kid: String, created_at: DateTime<Utc>, seed: [u8; 32]) -> Result<Self> {
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| Error::internal(format!("cannot encode a signing key: {e}")))?;
        Ok(Self {
            kid,
            created_at,
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            public_key: URL_SAFE_NO_PAD.encode(signing.verifying_key().as_bytes()),
        })
    }

    fn generate(now: DateTime<Utc>) -> Result<(Self, KeyFile)> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| Error::internal(format!("no random numbers: {e}")))?;
        let mut kid = [0u8; 8];
        getrandom::fill(&mut kid)
            .map_err(|e| Error::internal(format!("no random numbers: {e}")))?;
        let file = KeyFile {
            kid: encode_hex(&kid),
            created_at: now,
            seed: encode_hex(&seed),
        };
        Ok((Self::from_seed(file.kid.clone(), now, seed)?, file))
    }

    fn published(&self) -> SigningKey {
        SigningKey {
            kid: self.kid.clone(),
            algorithm: ALGORITHM.to_string(),
            public_key: self.public_key.clone(),
            created_at: self.created_at,
            retire_after: None,
        }
    }
}

/// This node's current key and every published key for verification.
pub struct KeyRing {
    catalog: Arc<dyn Catalog>,
    path: PathBuf,
    current: RwLock<Arc<NodeKey>>,
    published: RwLock<HashMap<String, DecodingKey>>,
}

impl KeyRing {
    /// Loads this node's key from `dir` (creating and publishing one when absent).
    pub async fn open(catalog: Arc<dyn Catalog>, dir: &Path) -> Result<Self> {
        let path = dir.join(KEY_FILE);
        let current = match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file: KeyFile = serde_json::from_str(&text)
                    .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
                let seed: [u8; 32] = decode_hex(&file.seed)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| {
                        Error::invalid(format!("{}: the seed is not 32 hex bytes", path.display()))
                    })?;
                NodeKey::from_seed(file.kid, file.created_at, seed)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (key, file) = NodeKey::generate(Utc::now())?;
                write_key_file(&path, &file)?;
                key
            }
            Err(e) => {
                return Err(Error::internal(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        publish(catalog.as_ref(), &current).await?;
        let ring = Self {
            catalog,
            path,
            current: RwLock::new(Arc::new(current)),
            published: RwLock::new(HashMap::new()),
        };
        ring.reload().await?;
        Ok(ring)
    }

    pub fn current(&self) -> Arc<NodeKey> {
        self.current.read().expect("key lock poisoned").clone()
    }

    /// Re-reads the published keys (new nodes' keys in, retired keys out).
    pub async fn reload(&self) -> Result<()> {
        let mut keys = HashMap::new();
        for key in self.catalog.list_signing_keys(Utc::now()).await? {
            if key.algorithm != ALGORITHM {
                continue;
            }
            match DecodingKey::from_ed_components(&key.public_key) {
                Ok(decoding) => {
                    keys.insert(key.kid, decoding);
                }
                Err(e) => {
                    tracing::warn!(kid = key.kid, error = %e, "ignoring a malformed signing key")
                }
            }
        }
        *self.published.write().expect("key lock poisoned") = keys;
        Ok(())
    }

    /// The verification key for `kid`, reloading once when it is not known yet.
    pub async fn decoding_key(&self, kid: &str) -> Option<DecodingKey> {
        if let Some(key) = self.published.read().expect("key lock poisoned").get(kid) {
            return Some(key.clone());
        }
        if let Err(e) = self.reload().await {
            tracing::warn!(error = %e, "could not reload signing keys");
        }
        self.published
            .read()
            .expect("key lock poisoned")
            .get(kid)
            .cloned()
    }

    /// Replaces this node's key when it is older than `rotate_after`. The old public key stays
    /// in the JWKS for `keep_old_for` (the longest session it can have signed, plus skew).
    pub async fn rotate_if_due(
        &self,
        rotate_after: TimeDelta,
        keep_old_for: TimeDelta,
    ) -> Result<bool> {
        let now = Utc::now();
        let old = self.current();
        if now - old.created_at < rotate_after {
            return Ok(false);
        }
        let (key, file) = NodeKey::generate(now)?;
        write_key_file(&self.path, &file)?;
        publish(self.catalog.as_ref(), &key).await?;
        self.catalog
            .retire_signing_key(&old.kid, now + keep_old_for)
            .await?;
        tracing::info!(
            old = old.kid,
            new = key.kid,
            "rotated the session signing key"
        );
        *self.current.write().expect("key lock poisoned") = Arc::new(key);
        self.reload().await?;
        Ok(true)
    }

    /// The JWKS document: every published key not yet retired.
    pub async fn jwks(&self) -> Result<serde_json::Value> {
        let keys: Vec<_> = self
            .catalog
            .list_signing_keys(Utc::now())
            .await?
            .into_iter()
            .filter(|k| k.algorithm == ALGORITHM)
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": ALGORITHM,
                    "kid": k.kid, "x": k.public_key,
                })
            })
            .collect();
        Ok(serde_json::json!({ "keys": keys }))
    }
}

async fn publish(catalog: &dyn Catalog, key: &NodeKey) -> Result<()> {
    match catalog.add_signing_key(&key.published()).await {
        Err(e) if e.kind == ErrorKind::Conflict => Ok(()), // published on an earlier start
        other => other,
    }
}

/// Writes the key file (mode 0600) through a temporary file, so a crash never leaves half a key.
fn write_key_file(path: &Path, file: &KeyFile) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let temp = path.with_extension("json.tmp");
    let text = serde_json::to_string(file).expect("key files serialize");
    let _ = std::fs::remove_file(&temp);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(|e| Error::internal(format!("cannot create {}: {e}", temp.display())))?;
    out.write_all(text.as_bytes())
        .and_then(|()| out.sync_all())
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| Error::internal(format!("cannot write {}: {e}", path.display())))
}
