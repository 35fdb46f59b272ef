//! Ingestion: provider adapters (`sendgrid`, `postmark`, `mailgun`, `ses`, `tracking`,
//! `shopify`, the GraphQL record mutations) parse and verify what they receive into provider-neutral items; one
//! apply path per kind (`email_events`, `conversions`, `orders`) stores them idempotently,
//! in one transaction per batch together with the event log, the quarantine and the figures
//! they move.
//!
//! Order-proof by construction: a send's state is a merge (earliest times, strongest status)
//! that gives the same result for any order and any repetition of its events; an order's
//! newer version replaces an older one and never the reverse.

pub mod changes;
pub mod combine;
pub mod conversions;
pub mod deliveries;
pub mod email_events;
pub mod machine;
pub mod mailgun;
pub mod orders;
pub mod postmark;
pub mod quarantine;
pub mod send_state;
pub mod sendgrid;
pub mod ses;
pub mod shopify;
mod sql;
pub mod tracking;
pub use sql::CHUNK;

pub use changes::Changes;
pub use combine::Appliers;
pub use mailgun::MailgunKey;
pub use postmark::PostmarkCredentials;
pub use sendgrid::SendgridKey;
pub use ses::SesTopics;
pub use shopify::ShopifySecret;
pub use tracking::{Tracking, TrackingKey};

use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Most items one call may carry (webhook batch, record mutation, `registerSends`).
pub const MAX_BATCH: usize = 10_000;

/// What happened to one received item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored, and the figures moved.
    Applied,
    /// Already received (same source and key): nothing changed.
    Duplicate,
    /// An older version than the one stored (orders): nothing changed.
    Stale,
    /// Kept aside with the reason (unknown send, campaign, retailer or type); it can be
    /// applied again once the missing record exists.
    Quarantined(String),
}

/// One item as received: where from, its idempotency key there, the item as sent (JSON,
/// kept in the event log or the quarantine), and the parsed item or why it cannot be applied.
#[derive(Debug, Clone)]
pub struct Received<T> {
    pub source: String,
    pub key: String,
    pub payload: String,
    pub item: Result<T, String>,
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> Received<T> {
    /// An item as received, made storable: PostgreSQL cannot store U+0000 in text, so it
    /// becomes U+FFFD in the source, key, payload and every text of the item (one bad byte
    /// must not fail the batch it came in, and the same input always cleans the same way, so
    /// a repeat stays a repeat).
    pub fn new(source: &str, key: String, payload: String, item: Result<T, String>) -> Self {
        let item = item.map(|item| {
            let Ok(mut value) = serde_json::to_value(&item) else { return item };
            if storable_json(&mut value) { serde_json::from_value(value).unwrap_or(item) } else { item }
        });
        Received {
            source: storable(source),
            key: storable(&key),
            payload: storable(&payload),
            item: item.map_err(|e| storable(&e)),
        }
    }
}

/// `text` with U+0000 (which PostgreSQL text cannot hold) replaced by U+FFFD.
pub fn storable(text: &str) -> String {
    if text.contains('\0') { text.replace('\0', "\u{FFFD}") } else { text.to_owned() }
}

/// Replaces U+0000 in every string and key of `value`; whether anything changed.
pub fn storable_json(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => {
            *s = storable(s);
            true
        }
        Value::Array(items) => items.iter_mut().fold(false, |changed, v| storable_json(v) | changed),
        Value::Object(map) => {
            let dirty_keys = map.keys().any(|k| k.contains('\0'));
            if dirty_keys {
                let entries = std::mem::take(map);
                map.extend(entries.into_iter().map(|(k, v)| (storable(&k), v)));
            }
            map.values_mut().fold(dirty_keys, |changed, v| storable_json(v) | changed)
        }
        _ => false,
    }
}

/// The outcomes of a batch, in the order received, and the campaigns whose figures moved.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub campaigns: BTreeSet<Uuid>,
}

impl Report {
    pub fn count(&self, wanted: fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| wanted(o)).count()
    }

    /// `{"received", "applied", "duplicates", "stale", "quarantined"}` for webhook replies.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "received": self.outcomes.len(),
            "applied": self.count(|o| *o == Outcome::Applied),
            "duplicates": self.count(|o| *o == Outcome::Duplicate),
            "stale": self.count(|o| *o == Outcome::Stale),
            "quarantined": self.count(|o| matches!(o, Outcome::Quarantined(_))),
        })
    }
}

/// Longest provider id or idempotency key kept as it is (longer ones are stored as a hash).
pub const MAX_KEY_LEN: usize = 200;

/// Whether a time is one the database can hold and a provider could mean: 1970 to 9999.
pub fn plausible_time(t: chrono::DateTime<chrono::Utc>) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::Datelike;
    if (1970..10_000).contains(&t.year()) { Ok(t) } else { Err(format!("the time {t} is outside 1970–9999")) }
}

/// A provider's RFC 3339 time (`what` names the field), to the microsecond both databases
/// keep (Postmark writes seven digits of a second).
pub fn rfc3339(what: &str, text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::SubsecRound;
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| format!("`{what}` {text:?} is not an RFC 3339 time: {e}"))
        .map(|t| t.to_utc().trunc_subsecs(6))
        .and_then(plausible_time)
}

/// The idempotency key of an item: `key` as it is when it fits, else a hash of it.
pub fn key_of(key: String) -> String {
    use sha2::{Digest, Sha256};
    if !key.is_empty() && key.len() <= MAX_KEY_LEN {
        key
    } else {
        format!("sha256:{:x}", Sha256::digest(key.as_bytes()))
    }
}

/// How far in the future an item may be dated (clocks disagree by seconds, not a day).
pub const AHEAD: chrono::TimeDelta = chrono::TimeDelta::days(1);
/// The earliest year an item may be dated: nothing this server tracks happened before.
pub const EARLIEST_YEAR: i32 = 2000;

/// Why `what` at `t` cannot have happened: more than `AHEAD` from now, or before
/// `EARLIEST_YEAR`. Such an item goes to the quarantine with the reason: a 1970 or year-3000
/// time would stretch its campaign's default timeline past 5,000 buckets, and a year-3000
/// order version would freeze the order for good. (No bound relative to the campaign or the
/// send: campaigns and sends are often entered after their first events, and a send
/// registered without its time is dated when it was registered.)
pub fn untimely(what: &str, t: chrono::DateTime<chrono::Utc>) -> Option<String> {
    use chrono::Datelike;
    if t > chrono::Utc::now() + AHEAD {
        return Some(format!("{what} {t} is more than a day in the future"));
    }
    (t.year() < EARLIEST_YEAR).then(|| format!("{what} {t} is before {EARLIEST_YEAR}"))
}

/// The keys that verify webhook deliveries. A webhook without its key refuses every post
/// (503) unless unsigned posts are allowed (development, the embedded database).
#[derive(Debug, Clone, Default)]
pub struct Webhooks {
    pub sendgrid: Option<SendgridKey>,
    pub shopify: Option<ShopifySecret>,
    pub postmark: Option<PostmarkCredentials>,
    pub mailgun: Option<MailgunKey>,
    pub ses: Option<SesTopics>,
    pub allow_unsigned: bool,
}

impl Webhooks {
    pub fn from_args(args: &crate::config::WebhookArgs, embedded: bool) -> Result<Self, String> {
        let present = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(Webhooks {
            sendgrid: present(&args.sendgrid_verification_key).map(|k| SendgridKey::from_base64(&k)).transpose()?,
            shopify: present(&args.shopify_webhook_secret).map(|s| ShopifySecret::new(&s)),
            postmark: present(&args.postmark_webhook_credentials).map(|c| PostmarkCredentials::new(&c)).transpose()?,
            mailgun: present(&args.mailgun_webhook_signing_key).map(|k| MailgunKey::new(&k)),
            ses: present(&args.ses_sns_topic_arns).map(|arns| SesTopics {
                topics: arns.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect(),
                certificates: Default::default(),
            }),
            allow_unsigned: args.allow_unsigned_webhooks || embedded,
        })
    }

    /// The settings of the webhooks without a key.
    pub fn unkeyed(&self) -> Vec<&'static str> {
        [
            (self.sendgrid.is_none(), "SENDGRID_WEBHOOK_VERIFICATION_KEY"),
            (self.postmark.is_none(), "POSTMARK_WEBHOOK_CREDENTIALS"),
            (self.mailgun.is_none(), "MAILGUN_WEBHOOK_SIGNING_KEY"),
            (self.ses.is_none(), "SES_SNS_TOPIC_ARNS"),
            (self.shopify.is_none(), "SHOPIFY_WEBHOOK_SECRET"),
        ]
        .into_iter()
        .filter_map(|(missing, name)| missing.then_some(name))
        .collect()
    }

    /// No keys, unsigned posts accepted: for development and tests.
    pub fn unsigned() -> Self {
        Webhooks { allow_unsigned: true, ..Default::default() }
    }
}

/// Repeats within one batch: for each item, the index of its first copy when it is a repeat.
/// Repeats start out as duplicates (so nothing applies them twice); `settle_repeats` then
/// gives them their first copy's outcome when that was the quarantine.
struct Repeats(Vec<Option<usize>>);

impl Repeats {
    fn of<T>(batch: &[Received<T>]) -> Self {
        let mut first: HashMap<(&str, &str), usize> = HashMap::new();
        let copies = batch
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let f = *first.entry((r.source.as_str(), r.key.as_str())).or_insert(i);
                (f != i).then_some(f)
            })
            .collect();
        Repeats(copies)
    }

    /// One slot per item, `Duplicate` for the repeats.
    fn initial(&self) -> Vec<Option<Outcome>> {
        self.0.iter().map(|c| c.map(|_| Outcome::Duplicate)).collect()
    }

    /// The final outcomes: undecided slots become `Duplicate`; a repeat of a quarantined item
    /// is quarantined too (it must not count as having been applied).
    fn settle(&self, outcomes: Vec<Option<Outcome>>) -> Vec<Outcome> {
        let mut done: Vec<Outcome> = outcomes.into_iter().map(|o| o.unwrap_or(Outcome::Duplicate)).collect();
        for (i, first) in self.0.iter().enumerate() {
            if let Some(first) = *first
                && let Outcome::Quarantined(reason) = &done[first]
            {
                done[i] = Outcome::Quarantined(reason.clone());
            }
        }
        done
    }
}
