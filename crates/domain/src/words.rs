//! Enums stored, and shown, as fixed upper-case words (`CONFIRMED`, `ON_SALE`): one definition
//! gives the enum, its word for each variant, parsing back, and the error for a word this code
//! does not know.

macro_rules! stored_words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, unknown: $error:ident ($what:literal) {
            $($(#[$variant_meta:meta])* $variant:ident => $word:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        #[doc = concat!("A stored or requested ", $what, " this code does not know.")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("unknown {what} {0:?}", what = $what)]
        pub struct $error(pub String);

        impl $name {
            /// The stored word.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $word),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, $error> {
                match s {
                    $($word => Ok(Self::$variant),)+
                    other => Err($error(other.to_owned())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use stored_words;
