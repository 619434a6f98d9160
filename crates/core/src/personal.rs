//! Personal identity numbers at rest: sealed (encrypted and authenticated) with a key the
//! deployment keeps outside the database, and matchable through a keyed hash.
//!
//! The nonce of each sealed value is derived from the number itself (HMAC, as in SIV
//! constructions), so the same number always seals to the same text. That keeps re-imports
//! unchanged and event payloads stable, and the nonce doubles as the keyed hash for matching:
//! equal numbers are recognisable only to whoever holds the key, which reveals nothing the
//! matching hash would not.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};

type HmacSha256 = Hmac<Sha256>;
use sha2::Sha256;

/// Marks a sealed value, and its format version, in stored payloads.
const SEALED_PREFIX: &str = "enc1:";
const NONCE_LEN: usize = 12;

/// The failures of keys and sealed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonalDataError {
    #[error("个人信息密钥应为 64 位十六进制字符 / the personal-data key must be 64 hex digits")]
    BadKey,
    #[error("不是加密的个人信息 / not a sealed personal value")]
    NotSealed,
    #[error("个人信息无法解密：密钥不符或数据已被改动 / cannot unseal: wrong key or altered data")]
    Unsealable,
}

/// The deployment's key for personal data, from a file or the environment — never stored in
/// the database it protects.
#[derive(Clone)]
pub struct PersonalDataKey {
    cipher: ChaCha20Poly1305,
    mac: HmacSha256,
}

impl std::fmt::Debug for PersonalDataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalDataKey(..)")
    }
}

impl PersonalDataKey {
    /// Derives separate encryption and hashing keys from one 256-bit master key.
    pub fn from_master(master: &[u8; 32]) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = <HmacSha256 as KeyInit>::new_from_slice(master).expect("any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        let encryption = derive(b"gongxin personal data encryption v1");
        let hashing = derive(b"gongxin personal data matching v1");
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(encryption)),
            mac: <HmacSha256 as KeyInit>::new_from_slice(&hashing).expect("any key length"),
        }
    }

    /// Reads the key as written in a key file or variable: 64 hex digits, whitespace ignored.
    pub fn from_hex(text: &str) -> Result<Self, PersonalDataError> {
        let mut master = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut master).map_err(|_| PersonalDataError::BadKey)?;
        Ok(Self::from_master(&master))
    }

    /// The keyed hash of a number, hex: what a search for the number compares.
    pub fn matching_hash(&self, number: &str) -> String {
        hex::encode(self.nonce_of(number))
    }

    fn nonce_of(&self, number: &str) -> [u8; NONCE_LEN] {
        let mut mac = self.mac.clone();
        mac.update(number.as_bytes());
        let digest = mac.finalize().into_bytes();
        digest[..NONCE_LEN]
            .try_into()
            .expect("a SHA-256 digest is longer")
    }

    /// Seals a (normalised) number for storage.
    pub fn seal(&self, number: &str) -> String {
        let nonce = self.nonce_of(number);
        let ciphertext = self
            .cipher
            .encrypt(&Nonce::from(nonce), number.as_bytes())
            .expect("encrypting a short value in memory cannot fail");
        let mut sealed =
            String::with_capacity(SEALED_PREFIX.len() + 2 * (NONCE_LEN + ciphertext.len()));
        sealed.push_str(SEALED_PREFIX);
        sealed.push_str(&hex::encode(nonce));
        sealed.push_str(&hex::encode(ciphertext));
        sealed
    }

    /// Recovers the number from a sealed value.
    pub fn unseal(&self, sealed: &str) -> Result<String, PersonalDataError> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(PersonalDataError::NotSealed)?;
        let bytes = hex::decode(body).map_err(|_| PersonalDataError::Unsealable)?;
        if bytes.len() < NONCE_LEN {
            return Err(PersonalDataError::Unsealable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                &Nonce::try_from(nonce).map_err(|_| PersonalDataError::Unsealable)?,
                ciphertext,
            )
            .map_err(|_| PersonalDataError::Unsealable)?;
        String::from_utf8(plain).map_err(|_| PersonalDataError::Unsealable)
    }
}

/// Whether a stored value is sealed (and so must never be shown as it is).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(SEALED_PREFIX)
}

/// The keyed hash carried by a sealed value, to match it against [`PersonalDataKey::matching_hash`]
/// without unsealing.
pub fn sealed_matching_hash(sealed: &str) -> Option<&str> {
    sealed
        .strip_prefix(SEALED_PREFIX)
        .and_then(|body| body.get(..2 * NONCE_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PersonalDataKey {
        PersonalDataKey::from_master(&[byte; 32])
    }

    #[test]
    fn a_sealed_number_hides_it_and_unseals_to_it() {
        let number = "11010519491231002X";
        let sealed = key(1).seal(number);
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains(number));
        assert!(!sealed.contains("1101051949"));
        assert_eq!(key(1).unseal(&sealed).unwrap(), number);
    }

    #[test]
    fn sealing_is_stable_so_reimports_stay_unchanged() {
        assert_eq!(
            key(1).seal("110105194912310021"),
            key(1).seal("110105194912310021")
        );
        assert_ne!(
            key(1).seal("110105194912310021"),
            key(1).seal("110105194912310030")
        );
    }

    #[test]
    fn the_matching_hash_is_carried_by_the_sealed_value_and_needs_the_key() {
        let sealed = key(1).seal("110105194912310021");
        let hash = key(1).matching_hash("110105194912310021");
        assert_eq!(sealed_matching_hash(&sealed), Some(hash.as_str()));
        assert_ne!(key(2).matching_hash("110105194912310021"), hash);
    }

    #[test]
    fn a_wrong_key_or_an_altered_value_is_refused() {
        let sealed = key(1).seal("110105194912310021");
        assert_eq!(key(2).unseal(&sealed), Err(PersonalDataError::Unsealable));
        let mut altered = sealed.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == '0' { '1' } else { '0' });
        assert_eq!(key(1).unseal(&altered), Err(PersonalDataError::Unsealable));
        assert_eq!(
            key(1).unseal("110105194912310021"),
            Err(PersonalDataError::NotSealed)
        );
    }

    #[test]
    fn keys_are_read_as_64_hex_digits() {
        let text = "00".repeat(32);
        assert!(PersonalDataKey::from_hex(&format!(" {text}\n")).is_ok());
        assert_eq!(
            PersonalDataKey::from_hex("abc").unwrap_err(),
            PersonalDataError::BadKey
        );
    }
}
