//! Attachments: the evidence a person files with an objection (and with a credit-repair
//! application). An attachment is named by the SHA-256 of its content, so the same file
//! uploaded twice is one attachment, and what is served is provably what was filed.
//!
//! Only documents and photographs are taken: PDF, JPEG and PNG, recognised by their first
//! bytes. Neither the name a client gives nor the media type it declares decides; both must
//! agree with the content.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The media types an attachment may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
}

impl MediaType {
    pub const ALL: [MediaType; 3] = [MediaType::Pdf, MediaType::Jpeg, MediaType::Png];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }

    pub fn parse(text: &str) -> Option<MediaType> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The file-name extensions (lower case) a file of this type may carry.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaType::Pdf => &["pdf"],
            MediaType::Jpeg => &["jpg", "jpeg"],
            MediaType::Png => &["png"],
        }
    }

    /// The signature a file of this type starts with.
    fn magic(self) -> &'static [u8] {
        match self {
            MediaType::Pdf => b"%PDF-",
            MediaType::Jpeg => &[0xFF, 0xD8, 0xFF],
            MediaType::Png => &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
        }
    }

    /// The type of `content` by its first bytes, if it is one of the allowed ones.
    pub fn sniff(content: &[u8]) -> Option<MediaType> {
        Self::ALL
            .into_iter()
            .find(|t| content.starts_with(t.magic()))
    }
}

/// The id of an attachment: the SHA-256 of its content, 64 lower-case hex digits.
pub fn content_id(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// Whether `text` has the form of an attachment id (it may still name nothing stored).
pub fn is_content_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why an upload is refused, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct UploadError {
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

/// Types that say nothing about a raw body: `curl --data-binary`, and many HTTP clients,
/// send `application/x-www-form-urlencoded` unless told otherwise.
const GENERIC_TYPES: [&str; 2] = [
    "application/octet-stream",
    "application/x-www-form-urlencoded",
];

/// The media type of an upload named `filename` whose client declared `declared` (the
/// `Content-Type`, if any): the content must be PDF, JPEG or PNG by its first bytes, the
/// name's extension must be one of that type's, and a declared type other than a generic
/// one (`application/octet-stream`, a client's default form type) must be that type.
pub fn check_upload(
    filename: &str,
    declared: Option<&str>,
    content: &[u8],
) -> Result<MediaType, UploadError> {
    let allowed = "PDF、JPEG、PNG";
    if content.is_empty() {
        return Err(UploadError {
            code: "empty",
            zh: "附件内容为空".into(),
            en: "the attachment is empty".into(),
        });
    }
    let Some(media_type) = MediaType::sniff(content) else {
        return Err(UploadError {
            code: "unsupported_content",
            zh: format!("附件内容不是 {allowed} 文件"),
            en: "the content is not a PDF, JPEG or PNG file".into(),
        });
    };
    let extension = filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if !media_type.extensions().contains(&extension.as_str()) {
        return Err(UploadError {
            code: "extension_mismatch",
            zh: format!(
                "文件名 {filename} 的扩展名与内容（{}）不符，应为 .{}",
                media_type.as_str(),
                media_type.extensions().join(" 或 .")
            ),
            en: format!(
                "the name {filename} does not fit the content ({}): its extension should be .{}",
                media_type.as_str(),
                media_type.extensions().join(" or .")
            ),
        });
    }
    let declared = declared
        .and_then(|d| d.split(';').next())
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty() && !GENERIC_TYPES.contains(&d.as_str()));
    if let Some(declared) = declared
        && declared != media_type.as_str()
    {
        return Err(UploadError {
            code: "type_mismatch",
            zh: format!(
                "声明的类型 {declared} 与内容（{}）不符",
                media_type.as_str()
            ),
            en: format!(
                "the declared type {declared} does not fit the content ({})",
                media_type.as_str()
            ),
        });
    }
    Ok(media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    #[test]
    fn the_content_decides_and_the_name_and_declared_type_must_agree() {
        assert_eq!(
            check_upload("凭证.PDF", None, b"%PDF-1.7\n..."),
            Ok(MediaType::Pdf)
        );
        assert_eq!(
            check_upload("photo.jpeg", Some("image/jpeg"), &[0xFF, 0xD8, 0xFF, 0xE0]),
            Ok(MediaType::Jpeg)
        );
        assert_eq!(
            check_upload("scan.png", Some("application/octet-stream"), PNG),
            Ok(MediaType::Png)
        );
        // What curl --data-binary declares by default.
        assert_eq!(
            check_upload("scan.png", Some("application/x-www-form-urlencoded"), PNG),
            Ok(MediaType::Png)
        );
        let code = |name: &str, declared: Option<&str>, content: &[u8]| {
            check_upload(name, declared, content).unwrap_err().code
        };
        assert_eq!(
            code("setup.exe", None, b"MZ\x90\x00"),
            "unsupported_content"
        );
        assert_eq!(
            code("setup.pdf", None, b"MZ\x90\x00"),
            "unsupported_content"
        );
        assert_eq!(code("a.pdf", None, b""), "empty");
        assert_eq!(code("setup.exe", None, b"%PDF-1.4"), "extension_mismatch");
        assert_eq!(code("scan", None, PNG), "extension_mismatch");
        assert_eq!(code("scan.png", Some("image/jpeg"), PNG), "type_mismatch");
    }

    #[test]
    fn ids_are_the_sha256_of_the_content() {
        let id = content_id(b"abc");
        assert_eq!(
            id,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(is_content_id(&id));
        assert!(!is_content_id(&id.to_uppercase()));
        assert!(!is_content_id(&id[1..]));
        assert_eq!(
            MediaType::parse("image/png"),
            Some(MediaType::Png),
            "stored types read back"
        );
    }
}
