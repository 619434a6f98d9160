//! Identifiers of subjects in public credit information, parsed rather than validated.
//!
//! A [`Uscc`], [`OrgCode`] or [`RegNo`] can only be obtained from its `parse` function, which
//! normalises the input (spaces, hyphens, full-width characters, case) and checks structure,
//! alphabet and check character. Code that holds one needs no further checks, and the types are
//! small `Copy` byte arrays, so the import path can parse millions of rows without allocating.
//!
//! What does not make a code invalid but deserves attention — an embedded organisation code
//! failing its own check, an unknown division or department, a retired division, a whitelisted
//! check character — comes back as [`Warning`]s. [`analyse`] puts everything together for
//! reports: kind detection, spreadsheet-damage detection, the `00000000000000000X` placeholder,
//! parts with names from the embedded department and division tables.
//!
//! Rules: GB 32100-2015 (USCC), GB 11714 (organisation code), ISO 7064 MOD 11,10 (registration
//! number), GB/T 2260 and the civil-affairs division lists (see `data/README.md`).

mod analysis;
pub mod departments;
mod error;
mod normalise;
mod org_code;
mod reg_no;
pub mod regions;
mod uscc;
mod warning;
mod whitelist;

pub use analysis::{
    Analysis, Finding, Kind, Labelled, OrgCodeParts, Parts, RegNoParts, RegionParts, UsccParts,
    analyse,
};
pub use error::{Allowed, CodeError, CodeKind};
pub use normalise::normalise;
pub use org_code::{OrgCode, org_code_check_char};
pub use reg_no::{RegNo, reg_no_check_digit};
pub use uscc::{ALPHABET, PLACEHOLDER, Uscc, WEIGHTS, uscc_check_char};
pub use warning::Warning;
pub use whitelist::{Whitelist, WhitelistError};

/// The string-like trait impls shared by the code types: `Display`/`AsRef<str>` show the
/// normalised code, `Debug` shows it quoted, `FromStr` and serde `Deserialize` go through
/// `parse` (so deserialised values are validated too), `Serialize` writes the string.
macro_rules! string_code_impls {
    ($ty:ident, $expecting:literal) => {
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}({:?})", stringify!($ty), self.as_str())
            }
        }

        impl ::std::convert::AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::CodeError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct Visitor;

                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        $ty::parse(v).map_err(E::custom)
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }
    };
}
pub(crate) use string_code_impls;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_round_trip_validates() {
        let code = Uscc::parse("91350100M000100Y43").expect("valid");
        let json = serde_json::to_string(&code).expect("serialise");
        assert_eq!(json, "\"91350100M000100Y43\"");
        assert_eq!(serde_json::from_str::<Uscc>(&json).ok(), Some(code));
        let err = serde_json::from_str::<Uscc>("\"91350100M000100Y4Y\"").expect_err("bad check");
        assert!(err.to_string().contains("should be 3"), "{err}");
        assert!(serde_json::from_str::<Uscc>("17").is_err());

        let org: OrgCode = serde_json::from_str("\"D2143569-X\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&org).ok().as_deref(),
            Some("\"D2143569X\"")
        );
        let reg: RegNo = serde_json::from_str("\"110108000000016\"").expect("valid");
        assert_eq!(reg.to_string(), "110108000000016");
    }

    #[test]
    fn string_traits() {
        let code: Uscc = "91350100M000100Y43".parse().expect("valid");
        assert_eq!(format!("{code:?}"), "Uscc(\"91350100M000100Y43\")");
        assert_eq!(code.as_ref(), "91350100M000100Y43");
        let mut sorted = [Uscc::parse("123456789012345678").expect("valid"), code];
        sorted.sort();
        assert_eq!(sorted[0].as_str(), "123456789012345678");
        assert!("91350100M000100Y44".parse::<Uscc>().is_err());
    }
}
