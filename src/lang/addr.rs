//! Resource kinds, addresses (`subnet.private_a`) and the plan's groups. The list of kinds is
//! the crate's `for_each_kind!`; what each kind knows about itself (attributes, API, timeouts)
//! the registry in `resources` adds to [`Kind`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! kind_enum {
    ($($variant:ident => $module:ident::$ty:ident;)*) => {
        /// Every resource kind a spec can declare; the TOML table key is [`Kind::key`], which is
        /// also the name of the kind's module.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $($variant),* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            pub fn key(self) -> &'static str {
                match self { $(Kind::$variant => stringify!($module)),* }
            }

            pub fn from_key(key: &str) -> Option<Kind> {
                match key { $(stringify!($module) => Some(Kind::$variant),)* _ => None }
            }
        }
    };
}

for_each_kind!(kind_enum);

/// How the plan groups resources for a human reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Network,
    Identity,
    Storage,
    Compute,
}

impl Group {
    pub fn title(self) -> &'static str {
        match self {
            Group::Network => "Network",
            Group::Identity => "Identity",
            Group::Storage => "Storage",
            Group::Compute => "Compute",
        }
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let text = String::deserialize(d)?;
        Kind::from_key(&text).ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a resource kind")))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A resource's address in a spec: its kind and the name the user gave it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    pub kind: Kind,
    pub name: String,
}

impl Addr {
    pub fn new(kind: Kind, name: impl Into<String>) -> Addr {
        Addr {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.kind, self.name)
    }
}

/// Why text is not a resource address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    #[error("`{0}` is not of the form `kind.name`")]
    Shape(String),
    #[error("`{0}` is not a resource kind")]
    UnknownKind(String),
}

impl FromStr for Addr {
    type Err = AddrError;

    fn from_str(text: &str) -> Result<Addr, AddrError> {
        let (kind, name) = text
            .split_once('.')
            .filter(|(k, n)| !k.is_empty() && !n.is_empty() && !n.contains('.'))
            .ok_or_else(|| AddrError::Shape(text.into()))?;
        let kind = Kind::from_key(kind).ok_or_else(|| AddrError::UnknownKind(kind.into()))?;
        Ok(Addr::new(kind, name))
    }
}

impl Serialize for Addr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Addr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Addr, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Resource names end up in tags, client tokens and plan output: keep them plain.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_through_text() {
        let addr: Addr = "subnet.private_a".parse().unwrap();
        assert_eq!((addr.kind.key(), addr.name.as_str()), ("subnet", "private_a"));
        assert_eq!(addr.to_string(), "subnet.private_a");
    }

    #[test]
    fn rejects_bad_addresses() {
        assert!(matches!("subnet".parse::<Addr>(), Err(AddrError::Shape(_))));
        assert!(matches!("a.b.c".parse::<Addr>(), Err(AddrError::Shape(_))));
        assert!(matches!("subnets.a".parse::<Addr>(), Err(AddrError::UnknownKind(_))));
    }
}
