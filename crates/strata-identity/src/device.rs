//! The OAuth2 device authorization grant's wire types and codes (RFC 8628).

use serde::Serialize;

/// The answer to `POST /oauth/device/code`.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceCodeResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// The answer to a successful `POST /oauth/token`.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
}

/// An OAuth2 error answer: `{"error": …, "error_description": …}` with status 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OAuthError {
    pub error: &'static str,
    pub error_description: String,
}

impl OAuthError {
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            error,
            error_description: description.into(),
        }
    }
}

/// Letters people do not confuse, and no vowels (so no words): RFC 8628 §6.1.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// A user code like `BCDF-GHJK` (20^8 ≈ 2.6e10 codes).
pub fn new_user_code() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    let chars: String = bytes
        .iter()
        .map(|b| USER_CODE_ALPHABET[usize::from(*b) % USER_CODE_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// A user code as typed (any case, with or without the dash or spaces) in canonical form, or
/// `None` when it cannot be one.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let chars: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (chars.len() == 8 && chars.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &chars[..4], &chars[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_round_trip_however_typed() {
        let code = new_user_code();
        assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        assert_eq!(
            normalize_user_code(" bcdf ghjk ").as_deref(),
            Some("BCDF-GHJK")
        );
        for bad in ["", "BCDF-GHJ", "ABCD-EFGH", "BCDF-GHJKL"] {
            assert_eq!(normalize_user_code(bad), None, "{bad:?}");
        }
    }
}
