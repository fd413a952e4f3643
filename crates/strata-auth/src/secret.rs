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
            TokenClass::Management => strata_types::MANAGEMENT_TOKEN_PREFIX,
            TokenClass::Database => strata_types::DATABASE_TOKEN_PREFIX,
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
    fn base62_is_fixed_width() {
        assert_eq!(encode_base62(&[0, 0], 3), "000");
        assert_eq!(encode_base62(&[0, 61], 2), "0z");
        assert_eq!(encode_base62(&[0, 62], 2), "10");
        assert_eq!(encode_base62(&[0xff; 32], BODY_LEN).len(), BODY_LEN);
    }
}
