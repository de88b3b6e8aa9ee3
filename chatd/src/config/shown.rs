//! How each setting's default reads in `--help`: as one would type it.

use std::net::SocketAddr;

use clap::ValueEnum;

use super::{LogFormat, RegistrationMode};
use crate::proxy::TrustedProxies;
use crate::ratelimit::Limit;

/// A default as `--help` shows it.
pub(super) trait Shown {
    fn shown(&self) -> String;
}

macro_rules! shown_as_displayed {
    ($($ty:ty),+) => {
        $(impl Shown for $ty {
            fn shown(&self) -> String {
                self.to_string()
            }
        })+
    };
}

shown_as_displayed!(String, SocketAddr, u32, u64, usize);

impl Shown for std::path::PathBuf {
    fn shown(&self) -> String {
        self.display().to_string()
    }
}

fn value_name(value: &impl ValueEnum) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned())
}

impl Shown for RegistrationMode {
    fn shown(&self) -> String {
        value_name(self)
    }
}

impl Shown for LogFormat {
    fn shown(&self) -> String {
        value_name(self)
    }
}

impl Shown for TrustedProxies {
    fn shown(&self) -> String {
        if self.is_empty() {
            "none".to_owned()
        } else {
            self.to_string()
        }
    }
}

impl Shown for Vec<String> {
    fn shown(&self) -> String {
        if self.is_empty() {
            "none".to_owned()
        } else {
            self.join(",")
        }
    }
}

impl Shown for Limit {
    /// A limit displays its period in seconds (`10/300s`); this shows it in
    /// the largest unit that divides it (`10/5m`), as the README writes it.
    fn shown(&self) -> String {
        let text = self.to_string();
        let parts = text.strip_suffix('s').and_then(|t| t.split_once('/'));
        let Some((n, Ok(secs))) = parts.map(|(n, s)| (n, s.parse::<u64>())) else {
            return text;
        };
        match secs {
            s if s % 3600 == 0 => format!("{n}/{}h", s / 3600),
            s if s % 60 == 0 => format!("{n}/{}m", s / 60),
            _ => text,
        }
    }
}
