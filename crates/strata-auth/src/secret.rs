//! The printable token format: `<class prefix><43 base62 chars of 256 random bits><6 base62
//! chars of a CRC-32 over everything before it>`. Secret scanners match the prefix and length
//! and can confirm the checksum offline, so random text is not mistaken for a token.

/// Which kind of token a secret is; each has its own prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenClass {
    Management,
    Database,
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BODY_LEN: usize = 43; // ceil(256 / log2(62))
const CHECKSUM_LEN: usize = 6; // ceil(32 / log2(62))
/// Characters of the random body shown in listings next to the class prefix.
const DISPLAY_BODY_CHARS: usize = 4;

impl TokenClass {
    pub const fn prefix(self) -> &'static str {
        match self {
            TokenClass::Management => "strata_mgmt_",
            TokenClass::Database => "strata_db_",
        }
    }

    /// The class of a well-formed secret: right prefix, length, alphabet and checksum.
    pub fn of(secret: &str) -> Option<TokenClass> {
        let class = [TokenClass::Management, TokenClass::Database]
            .into_iter()
            .find(|c| secret.starts_with(c.prefix()))?;
        let rest = &secret[class.prefix().len()..];
        if rest.len() != BODY_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return None;
        }
        let (signed, checksum) = secret.split_at(secret.len() - CHECKSUM_LEN);
        (encode_base62(
            &crc32fast::hash(signed.as_bytes()).to_be_bytes(),
            CHECKSUM_LEN,
        ) == checksum)
            .then_some(class)
    }
}

/// `text` with anything that starts like a token (a class prefix and what follows it)
/// replaced, so a secret pasted into a URL or a name never reaches the audit log.
pub fn redact_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    let prefixes = [
        TokenClass::Management.prefix(),
        TokenClass::Database.prefix(),
    ];
    if !prefixes.iter().any(|p| text.contains(p)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = prefixes
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, *p)))
        .min_by_key(|(i, _)| *i)
    {
        out.push_str(&rest[..at]);
        out.push_str(prefix);
        out.push_str("<redacted>");
        let after = &rest[at + prefix.len()..];
        let end = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A freshly minted secret. It is handed to the caller once and never stored.
pub struct MintedSecret {
    pub secret: String,
    pub class: TokenClass,
}

impl MintedSecret {
    /// 256 bits from the operating system's CSPRNG.
    pub fn mint(class: TokenClass) -> Self {
        let mut random = [0u8; 32];
        getrandom::fill(&mut random)
            .expect("the operating system's random number generator failed");
        let mut secret = String::with_capacity(class.prefix().len() + BODY_LEN + CHECKSUM_LEN);
        secret.push_str(class.prefix());
        secret.push_str(&encode_base62(&random, BODY_LEN));
        let checksum = encode_base62(
            &crc32fast::hash(secret.as_bytes()).to_be_bytes(),
            CHECKSUM_LEN,
        );
        secret.push_str(&checksum);
        Self { secret, class }
    }

    /// The non-secret beginning shown in listings, e.g. `strata_db_x7Qa`.
    pub fn display_prefix(&self) -> String {
        self.secret[..self.class.prefix().len() + DISPLAY_BODY_CHARS].to_string()
    }
}

impl std::fmt::Debug for MintedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MintedSecret({}…)", self.display_prefix())
    }
}

/// Big-endian base62 of `bytes`, left-padded with '0' to exactly `width` characters.
fn encode_base62(bytes: &[u8], width: usize) -> String {
    let mut digits = bytes.to_vec();
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        let mut remainder = 0u32;
        for d in digits.iter_mut() {
            let acc = (remainder << 8) | u32::from(*d);
            *d = (acc / 62) as u8;
            remainder = acc % 62;
        }
        *slot = BASE62[remainder as usize];
    }
    String::from_utf8(out).expect("base62 is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_secrets_are_well_formed_and_distinct() {
        for class in [TokenClass::Management, TokenClass::Database] {
            let a = MintedSecret::mint(class);
            let b = MintedSecret::mint(class);
            assert_ne!(a.secret, b.secret);
            assert_eq!(TokenClass::of(&a.secret), Some(class));
            assert!(a.secret.starts_with(class.prefix()));
            assert_eq!(
                a.secret.len(),
                class.prefix().len() + BODY_LEN + CHECKSUM_LEN
            );
            assert!(a.secret.starts_with(&a.display_prefix()));
        }
    }

    #[test]
    fn a_changed_character_fails_the_checksum() {
        let minted = MintedSecret::mint(TokenClass::Database);
        let mut bytes = minted.secret.into_bytes();
        let i = TokenClass::Database.prefix().len() + 5;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        assert_eq!(TokenClass::of(std::str::from_utf8(&bytes).unwrap()), None);
    }

    #[test]
    fn random_text_is_not_a_token() {
        for text in [
            "",
            "strata_db_",
            "apiv1_abc",
            "strata_db_short",
            &"x".repeat(60),
        ] {
            assert_eq!(TokenClass::of(text), None, "{text:?}");
        }
    }

    #[test]
    fn secrets_are_redacted_from_text() {
        let db = MintedSecret::mint(TokenClass::Database).secret;
        let mgmt = MintedSecret::mint(TokenClass::Management).secret;
        let text = format!("DELETE /api/v0/tokens/{db} and {mgmt}x: done");
        let redacted = redact_secrets(&text);
        assert_eq!(
            redacted,
            "DELETE /api/v0/tokens/strata_db_<redacted> and strata_mgmt_<redacted>: done"
        );
        assert!(matches!(
            redact_secrets("plain text"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn base62_is_fixed_width() {
        assert_eq!(encode_base62(&[0, 0], 3), "000");
        assert_eq!(encode_base62(&[0, 61], 2), "0z");
        assert_eq!(encode_base62(&[0, 62], 2), "10");
        assert_eq!(encode_base62(&[0xff; 32], BODY_LEN).len(), BODY_LEN);
    }
}
