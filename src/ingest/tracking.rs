//! First-party open and click tracking: a signed token names the send (and, for a click, the
//! destination), so `GET /t/o/{token}.gif` and `GET /t/c/{token}` record the hit through the
//! same apply path as every other event, and a forged or altered token records nothing and
//! redirects nowhere.
//!
//! A token is `base64url(body).base64url(tag)`: the body is a version byte, `o` or `c`, the
//! send's id (16 bytes), its send time (seconds, 8 bytes, big-endian) and for a click the
//! destination URL; the tag is the first 16 bytes of HMAC-SHA256 of the body under
//! `TRACKING_KEY`. Nothing about the send is stored to make a link, so links can be made for
//! millions of sends without a write.
//!
//! What a hit records (the rules are `ingest::machine`'s):
//! - an open: the send's open, or a machine open when Apple's proxy fetched the pixel;
//! - a click: the send's click; but a link scanner (a mail security gateway following every
//!   link when the message arrives: a scanner's user agent, or a click within
//!   `machine::SCAN_WINDOW` of the send time) proves only that a machine looked at the
//!   message, so it records a machine open instead;
//! - the same hit again (same send, open or machine open, or click on the same link) is a
//!   repeat: the first one, the earliest, is what counts.

use super::Received;
use super::machine;
use super::send_state::EmailEvent;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::enums::EmailEventType;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `source` of tracked hits in the event log and the quarantine.
pub const SOURCE: &str = "tracking";
/// Shortest key accepted from configuration.
pub const MIN_KEY_LEN: usize = 32;
/// Longest destination a click link may carry.
pub const MAX_URL_LEN: usize = 2_000;

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 2 + 16 + 8;

/// The key that signs tracking tokens.
#[derive(Clone)]
pub struct TrackingKey(Vec<u8>);

impl std::fmt::Debug for TrackingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrackingKey(…)")
    }
}

/// What a token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Open { send: Uuid, sent_at: DateTime<Utc> },
    Click { send: Uuid, sent_at: DateTime<Utc>, url: String },
}

impl Target {
    fn send(&self) -> (Uuid, DateTime<Utc>) {
        match self {
            Target::Open { send, sent_at } | Target::Click { send, sent_at, .. } => (*send, *sent_at),
        }
    }
}

/// Tracking as a server runs it: the key (none: the endpoints and `trackingLinks` refuse)
/// and the public address links start with.
#[derive(Debug, Clone)]
pub struct Tracking {
    pub key: Option<TrackingKey>,
    pub public_url: String,
}

impl Tracking {
    /// Tracking off: the endpoints answer 404 and `trackingLinks` says how to turn it on.
    pub fn off() -> Self {
        Tracking { key: None, public_url: String::new() }
    }

    /// The pixel's and each destination's link for a send.
    pub fn links(&self, send: Uuid, sent_at: DateTime<Utc>, destinations: &[String]) -> Option<(String, Vec<String>)> {
        let key = self.key.as_ref()?;
        let base = self.public_url.trim_end_matches('/');
        let pixel = format!("{base}/t/o/{}.gif", key.token(&Target::Open { send, sent_at }));
        let clicks = destinations
            .iter()
            .map(|url| format!("{base}/t/c/{}", key.token(&Target::Click { send, sent_at, url: url.clone() })))
            .collect();
        Some((pixel, clicks))
    }
}

impl TrackingKey {
    pub fn new(key: &[u8]) -> Result<Self, String> {
        if key.len() < MIN_KEY_LEN {
            return Err(format!("the tracking key must be at least {MIN_KEY_LEN} bytes"));
        }
        Ok(TrackingKey(key.to_vec()))
    }

    fn mac(&self, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(body);
        mac
    }

    /// The token of `target`.
    pub fn token(&self, target: &Target) -> String {
        let (send, sent_at) = target.send();
        let mut body = vec![VERSION, if matches!(target, Target::Open { .. }) { b'o' } else { b'c' }];
        body.extend_from_slice(send.as_bytes());
        body.extend_from_slice(&sent_at.timestamp().to_be_bytes());
        if let Target::Click { url, .. } = target {
            body.extend_from_slice(url.as_bytes());
        }
        let tag = self.mac(&body).finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&body), URL_SAFE_NO_PAD.encode(&tag[..TAG_LEN]))
    }

    /// What `token` names, if this key signed it (compared in constant time).
    pub fn open(&self, token: &str) -> Option<Target> {
        let (body, tag) = token.split_once('.')?;
        let body = URL_SAFE_NO_PAD.decode(body).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&body).verify_truncated_left(&tag).ok().filter(|_| tag.len() == TAG_LEN)?;
        if body.len() < HEADER_LEN || body[0] != VERSION {
            return None;
        }
        let send = Uuid::from_slice(&body[2..18]).ok()?;
        let sent_at = DateTime::from_timestamp(i64::from_be_bytes(body[18..26].try_into().ok()?), 0)?;
        match body[1] {
            b'o' if body.len() == HEADER_LEN => Some(Target::Open { send, sent_at }),
            b'c' => {
                let url = String::from_utf8(body[HEADER_LEN..].to_vec()).ok()?;
                destination(&url).ok().map(|url| Target::Click { send, sent_at, url })
            }
            _ => None,
        }
    }
}

/// `url` if a click link may lead there: an absolute http(s) URL of at most `MAX_URL_LEN`.
pub fn destination(url: &str) -> Result<String, String> {
    if url.len() > MAX_URL_LEN {
        return Err(format!("a destination is at most {MAX_URL_LEN} characters"));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not an absolute URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?} is not an http or https URL"));
    }
    Ok(url.to_owned())
}

/// A hit on a tracking link, as received.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub target: &'a Target,
    pub at: DateTime<Utc>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

/// The event a hit records, keyed so that the same hit again is a repeat.
pub fn event(hit: &Hit<'_>) -> Received<EmailEvent> {
    let (send_id, sent_at) = hit.target.send();
    let (kind, machine, key, url) = match hit.target {
        Target::Open { .. } => {
            let apple = machine::machine_open(hit.ip, hit.user_agent);
            let rule = apple.then_some("apple-proxy");
            (EmailEventType::Open, rule, format!("o:{send_id}:{}", if apple { "m" } else { "h" }), None)
        }
        Target::Click { url, .. } => match machine::link_scanner(hit.user_agent, sent_at, hit.at) {
            Some(rule) => (EmailEventType::Open, Some(rule), format!("o:{send_id}:m"), Some(url)),
            None => {
                let link = Sha256::digest(url.as_bytes());
                let key = format!("c:{send_id}:{:x}", &link);
                (EmailEventType::Click, None, key, Some(url))
            }
        },
    };
    let hit_kind = if matches!(hit.target, Target::Open { .. }) { "open" } else { "click" };
    let payload = serde_json::json!({ "hit": hit_kind, "url": url, "machine": machine }).to_string();
    let detail = if kind == EmailEventType::Click { url.cloned() } else { None };
    let item = match super::untimely("the hit", hit.at) {
        Some(reason) => Err(reason),
        None => Ok(EmailEvent { send_id, kind, occurred_at: hit.at, machine_open: machine.is_some(), detail }),
    };
    Received::new(SOURCE, super::key_of(key), payload, item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TrackingKey {
        TrackingKey::new(&[9u8; 32]).unwrap()
    }

    #[test]
    fn a_token_names_what_it_was_made_for_and_nothing_else() {
        let send = Uuid::from_u128(42);
        let sent_at = DateTime::from_timestamp(1_762_160_400, 0).unwrap();
        let open = Target::Open { send, sent_at };
        let click = Target::Click { send, sent_at, url: "https://shop.example/aw25?utm_campaign=x".into() };
        for target in [&open, &click] {
            let token = key().token(target);
            assert_eq!(key().open(&token).as_ref(), Some(target));
            assert!(!token.contains(['/', '+', '=', '?']), "{token} goes in a path as it is");
            // Another key's token, any byte of the body or tag changed, a cut tag: nothing.
            assert_eq!(TrackingKey::new(&[8u8; 32]).unwrap().open(&token), None);
            let (body, tag) = token.split_once('.').unwrap();
            let mut raw = URL_SAFE_NO_PAD.decode(body).unwrap();
            for i in 0..raw.len() {
                raw[i] ^= 1;
                let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(&raw));
                assert_eq!(key().open(&forged), None, "byte {i} changed");
                raw[i] ^= 1;
            }
            assert_eq!(key().open(&format!("{body}.{}", &tag[..tag.len() - 2])), None);
            assert_eq!(key().open(body), None);
        }
    }

    #[test]
    fn only_http_destinations_of_bounded_length_are_links() {
        assert!(destination("https://shop.example/a").is_ok());
        for bad in ["javascript:alert(1)", "//evil.example", "/relative", "ftp://x.example/", "https://"] {
            assert!(destination(bad).is_err(), "{bad}");
        }
        assert!(destination(&format!("https://x.example/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }
}
