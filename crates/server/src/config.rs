//! The server's settings: documented defaults, overridden by a TOML file, overridden by
//! environment variables (`GONGXIN_*`), in that order.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything `gongxin serve` can be told. See `docs/configuration.md`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on. Env `GONGXIN_LISTEN`. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Read connections to the store, besides the one writer. Env `GONGXIN_READ_CONNECTIONS`.
    /// Default 8.
    pub read_connections: usize,
    /// Anonymous requests allowed per client address and minute (public pages and API);
    /// 0 turns the limit off. Env `GONGXIN_PUBLIC_REQUESTS_PER_MINUTE`. Default 600.
    pub public_requests_per_minute: u32,
    /// Requests a client may make at once above its steady rate. Default 60.
    pub public_burst: u32,
    /// Trust the first address of `X-Forwarded-For` as the client (behind a reverse proxy
    /// only). Env `GONGXIN_TRUST_FORWARDED_FOR`. Default false.
    pub trust_forwarded_for: bool,
    /// Largest submission accepted, in MiB. Env `GONGXIN_MAX_UPLOAD_MIB`. Default 256.
    pub max_upload_mib: u64,
    /// Largest attachment (evidence for an objection or a repair application), in MiB. Env
    /// `GONGXIN_MAX_ATTACHMENT_MIB`. Default 10.
    pub max_attachment_mib: u64,
    /// How often the search index picks up new records, in milliseconds. Default 500.
    pub index_interval_ms: u64,
    /// Build the public profile of every subject nobody has asked for yet in the background,
    /// so that the first request for any subject is answered from the profile cache (each
    /// entry takes its answer's JSON, gzip, in the store: about 2 KB a subject in the
    /// benchmark data). Profiles built for requests are kept either way. Env `GONGXIN_FILL_PROFILES`. Default true.
    pub fill_profiles: bool,
    /// Log lines as JSON instead of text. Env `GONGXIN_LOG_JSON`. Default false.
    pub log_json: bool,
    /// How often the push dispatcher looks for new events and due deliveries, in
    /// milliseconds. Env `GONGXIN_PUSH_INTERVAL_MS`. Default 1000.
    pub push_interval_ms: u64,
    /// Wait before the second attempt at a delivery, in milliseconds; it doubles after each
    /// further failure (30 s, 1 min, 2 min, …). Env `GONGXIN_PUSH_RETRY_BASE_MS`. Default
    /// 30000.
    pub push_retry_base_ms: u64,
    /// Attempts at a delivery before it goes to the dead letters. With the default base,
    /// eight attempts span about an hour. Env `GONGXIN_PUSH_MAX_ATTEMPTS`. Default 8.
    pub push_max_attempts: u32,
    /// Longest a receiver may take to answer one delivery, from connecting to reading the
    /// answer, in milliseconds; longer is a failed attempt. Env `GONGXIN_PUSH_TIMEOUT_MS`.
    /// Default 10000.
    pub push_timeout_ms: u64,
    /// A unit that checked a subject within this many days before a change is told about
    /// it, whatever its scenarios. Env `GONGXIN_PUSH_CHECKED_WITHIN_DAYS`. Default 30.
    pub push_checked_within_days: u32,
    /// Working days from an objection's filing for the credit office to forward it to the
    /// source unit. Env `GONGXIN_OBJECTION_FORWARD_DAYS`. Default 2.
    pub objection_forward_days: u32,
    /// Working days from filing for the source unit to decide. Env
    /// `GONGXIN_OBJECTION_DECIDE_DAYS`. Default 5.
    pub objection_decide_days: u32,
    /// Working days from filing that extensions may reach in all. Env
    /// `GONGXIN_OBJECTION_EXTENDED_DAYS`. Default 20.
    pub objection_extended_days: u32,
    /// This platform's name among federated nodes (e.g. its division code): the origin of
    /// the records made here, as peers pulling its feed record them. Must differ between
    /// nodes that exchange records. Env `GONGXIN_NODE_ID`. Default `gongxin`.
    pub node_id: String,
    /// Working days from a credit-repair application for the responsible unit to decide.
    /// Env `GONGXIN_REPAIR_REVIEW_DAYS`. Default 10. (Repair is free: there is no fee
    /// setting.)
    pub repair_review_days: u32,
    /// Working days from an approved repair for the result to reach every recipient. Env
    /// `GONGXIN_REPAIR_PUSH_DAYS`. Default 3.
    pub repair_push_days: u32,
    /// The SMTP relay case notices are mailed through, `host:port`; unset, no e-mail is sent
    /// or queued. Plain SMTP without TLS or AUTH: the relay is on the platform's own network.
    /// Env `GONGXIN_SMTP_RELAY` (empty unsets it). Default unset.
    pub smtp_relay: Option<String>,
    /// The sender address of the mails; required with `smtp_relay`. Env `GONGXIN_SMTP_FROM`.
    pub smtp_from: String,
    /// Longest the relay may take to accept the connection or answer one command, in
    /// milliseconds; a whole session gets six times as long. Env `GONGXIN_SMTP_TIMEOUT_MS`.
    /// Default 10000.
    pub smtp_timeout_ms: u64,
    /// Attempts at a mail before it is left failed, retried after `push_retry_base_ms`,
    /// doubling. Env `GONGXIN_SMTP_MAX_ATTEMPTS`. Default 8.
    pub smtp_max_attempts: u32,
}

impl ServerConfig {
    /// The jurisdiction's objection deadlines.
    pub fn objection_deadlines(&self) -> gongxin_core::objection::Deadlines {
        gongxin_core::objection::Deadlines {
            forward: self.objection_forward_days,
            decide: self.objection_decide_days,
            extended_total: self.objection_extended_days.max(self.objection_decide_days),
        }
    }

    /// The jurisdiction's credit-repair deadlines.
    pub fn repair_deadlines(&self) -> gongxin_core::repair::RepairDeadlines {
        gongxin_core::repair::RepairDeadlines {
            review: self.repair_review_days,
            push: self.repair_push_days,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            read_connections: 8,
            public_requests_per_minute: 600,
            public_burst: 60,
            trust_forwarded_for: false,
            max_upload_mib: 256,
            max_attachment_mib: 10,
            index_interval_ms: 500,
            fill_profiles: true,
            log_json: false,
            push_interval_ms: 1_000,
            push_retry_base_ms: 30_000,
            push_max_attempts: 8,
            push_timeout_ms: 10_000,
            push_checked_within_days: 30,
            objection_forward_days: 2,
            objection_decide_days: 5,
            objection_extended_days: 20,
            node_id: "gongxin".to_owned(),
            repair_review_days: 10,
            repair_push_days: 3,
            smtp_relay: None,
            smtp_from: String::new(),
            smtp_timeout_ms: 10_000,
            smtp_max_attempts: 8,
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading the configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("in the configuration file {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name}={value:?}: {reason}")]
    Variable {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl ServerConfig {
    /// Defaults, then the file (if any), then the environment as `lookup` reads it.
    pub fn load(
        file: Option<&Path>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            None => ServerConfig::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?
            }
        };
        override_from(&lookup, "GONGXIN_LISTEN", &mut config.listen)?;
        override_from(
            &lookup,
            "GONGXIN_READ_CONNECTIONS",
            &mut config.read_connections,
        )?;
        override_from(
            &lookup,
            "GONGXIN_PUBLIC_REQUESTS_PER_MINUTE",
            &mut config.public_requests_per_minute,
        )?;
        override_from(
            &lookup,
            "GONGXIN_TRUST_FORWARDED_FOR",
            &mut config.trust_forwarded_for,
        )?;
        override_from(
            &lookup,
            "GONGXIN_MAX_UPLOAD_MIB",
            &mut config.max_upload_mib,
        )?;
        override_from(
            &lookup,
            "GONGXIN_MAX_ATTACHMENT_MIB",
            &mut config.max_attachment_mib,
        )?;
        override_from(&lookup, "GONGXIN_LOG_JSON", &mut config.log_json)?;
        override_from(&lookup, "GONGXIN_FILL_PROFILES", &mut config.fill_profiles)?;
        override_from(
            &lookup,
            "GONGXIN_PUSH_INTERVAL_MS",
            &mut config.push_interval_ms,
        )?;
        override_from(
            &lookup,
            "GONGXIN_PUSH_RETRY_BASE_MS",
            &mut config.push_retry_base_ms,
        )?;
        override_from(
            &lookup,
            "GONGXIN_PUSH_MAX_ATTEMPTS",
            &mut config.push_max_attempts,
        )?;
        override_from(
            &lookup,
            "GONGXIN_PUSH_TIMEOUT_MS",
            &mut config.push_timeout_ms,
        )?;
        override_from(
            &lookup,
            "GONGXIN_PUSH_CHECKED_WITHIN_DAYS",
            &mut config.push_checked_within_days,
        )?;
        override_from(
            &lookup,
            "GONGXIN_OBJECTION_FORWARD_DAYS",
            &mut config.objection_forward_days,
        )?;
        override_from(
            &lookup,
            "GONGXIN_OBJECTION_DECIDE_DAYS",
            &mut config.objection_decide_days,
        )?;
        override_from(
            &lookup,
            "GONGXIN_OBJECTION_EXTENDED_DAYS",
            &mut config.objection_extended_days,
        )?;
        override_from(&lookup, "GONGXIN_NODE_ID", &mut config.node_id)?;
        override_from(
            &lookup,
            "GONGXIN_REPAIR_REVIEW_DAYS",
            &mut config.repair_review_days,
        )?;
        override_from(
            &lookup,
            "GONGXIN_REPAIR_PUSH_DAYS",
            &mut config.repair_push_days,
        )?;
        if let Some(relay) = lookup("GONGXIN_SMTP_RELAY") {
            config.smtp_relay = Some(relay);
        }
        if let Some(from) = lookup("GONGXIN_SMTP_FROM") {
            config.smtp_from = from;
        }
        override_from(
            &lookup,
            "GONGXIN_SMTP_TIMEOUT_MS",
            &mut config.smtp_timeout_ms,
        )?;
        override_from(
            &lookup,
            "GONGXIN_SMTP_MAX_ATTEMPTS",
            &mut config.smtp_max_attempts,
        )?;
        config.check_mail()?;
        config.push_max_attempts = config.push_max_attempts.max(1);
        config.read_connections = config.read_connections.max(1);
        Ok(config)
    }
}

impl ServerConfig {
    /// An empty relay is none; a relay must be `host:port`, and then the sender a valid
    /// address.
    fn check_mail(&mut self) -> Result<(), ConfigError> {
        self.smtp_relay = self
            .smtp_relay
            .as_deref()
            .map(str::trim)
            .filter(|relay| !relay.is_empty())
            .map(str::to_owned);
        self.smtp_max_attempts = self.smtp_max_attempts.max(1);
        let Some(relay) = &self.smtp_relay else {
            return Ok(());
        };
        let port = relay
            .rsplit_once(':')
            .map(|(host, port)| (host, port.parse::<u16>()));
        if !matches!(port, Some((host, Ok(port))) if !host.is_empty() && port > 0) {
            return Err(ConfigError::Invalid {
                name: "smtp_relay",
                reason: format!("{relay:?} is not host:port"),
            });
        }
        self.smtp_from = crate::mail::checked_address(&self.smtp_from).map_err(|(_, why)| {
            ConfigError::Invalid {
                name: "smtp_from",
                reason: format!("{:?} with smtp_relay set: {why}", self.smtp_from),
            }
        })?;
        Ok(())
    }
}

fn override_from<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    slot: &mut T,
) -> Result<(), ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    if let Some(value) = lookup(name) {
        *slot = value
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Variable {
                name,
                value: value.clone(),
                reason: e.to_string(),
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_file_which_overrides_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gongxin.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nread_connections = 3\n").unwrap();
        let env = |name: &str| (name == "GONGXIN_READ_CONNECTIONS").then(|| "5".to_owned());
        let config = ServerConfig::load(Some(&file), env).unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.read_connections, 5);
        assert_eq!(config.public_requests_per_minute, 600);
    }

    #[test]
    fn bad_settings_are_named() {
        let env = |name: &str| (name == "GONGXIN_LISTEN").then(|| "nowhere".to_owned());
        let error = ServerConfig::load(None, env).unwrap_err().to_string();
        assert!(error.contains("GONGXIN_LISTEN"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gongxin.toml");
        std::fs::write(&file, "listen_on = 1\n").unwrap();
        let error = ServerConfig::load(Some(&file), |_| None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("listen_on"), "{error}");
    }

    #[test]
    fn e_mail_is_off_unless_a_relay_and_a_sender_are_set() {
        let config = ServerConfig::load(None, |_| None).unwrap();
        assert_eq!(config.smtp_relay, None);
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let config = ServerConfig::load(
            None,
            env(&[
                ("GONGXIN_SMTP_RELAY", " mail.xm.gov.internal:25 "),
                ("GONGXIN_SMTP_FROM", "noreply@credit.xm.gov.cn"),
                ("GONGXIN_SMTP_TIMEOUT_MS", "2500"),
                ("GONGXIN_SMTP_MAX_ATTEMPTS", "3"),
            ]),
        )
        .unwrap();
        assert_eq!(
            config.smtp_relay.as_deref(),
            Some("mail.xm.gov.internal:25")
        );
        assert_eq!(config.smtp_from, "noreply@credit.xm.gov.cn");
        assert_eq!(
            (config.smtp_timeout_ms, config.smtp_max_attempts),
            (2500, 3)
        );
        let config = ServerConfig::load(None, env(&[("GONGXIN_SMTP_RELAY", "")])).unwrap();
        assert_eq!(config.smtp_relay, None, "an empty relay is none");
        for (pairs, named) in [
            (&[("GONGXIN_SMTP_RELAY", "mail.internal")][..], "smtp_relay"),
            (
                &[("GONGXIN_SMTP_RELAY", "mail.internal:smtp")][..],
                "smtp_relay",
            ),
            (
                &[("GONGXIN_SMTP_RELAY", "mail.internal:25")][..],
                "smtp_from",
            ),
            (
                &[
                    ("GONGXIN_SMTP_RELAY", "mail.internal:25"),
                    ("GONGXIN_SMTP_FROM", "noreply"),
                ][..],
                "smtp_from",
            ),
        ] {
            let error = ServerConfig::load(None, env(pairs))
                .unwrap_err()
                .to_string();
            assert!(error.contains(named), "{error}");
        }
    }
}
