//! Mailgun's webhooks: one JSON body per event, `{"signature": {timestamp, token, signature},
//! "event-data": {…}}`, naming our send by the `send_id` user variable set when the message
//! was sent. The signature is HMAC-SHA256 with the webhook signing key over timestamp + token
//! — not over the event — so one is accepted only within `REPLAY_WINDOW` of its timestamp and
//! only once (its token is remembered, `ingest::deliveries`).

use super::Received;
use super::send_state::EmailEvent;
use chrono::{DateTime, TimeDelta, Utc};
use entity::enums::EmailEventType;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// The `source` of Mailgun events in the log and the quarantine.
pub const SOURCE: &str = "mailgun";
/// The idempotency scope of the signatures' tokens.
pub const TOKEN_SCOPE: &str = "mailgun-token";
/// How far a signature's timestamp may be from now, either way.
pub const REPLAY_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// The webhook signing key from Mailgun's settings.
#[derive(Clone)]
pub struct MailgunKey(Vec<u8>);

impl std::fmt::Debug for MailgunKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailgunKey(…)")
    }
}

/// The `signature` object of a body.
#[derive(Debug, Clone, Default)]
pub struct Signature {
    pub timestamp: String,
    pub token: String,
    pub signature: String,
}

/// Why a signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Invalid,
    Stale,
}

impl MailgunKey {
    pub fn new(key: &str) -> Self {
        MailgunKey(key.as_bytes().to_vec())
    }

    fn mac(&self, timestamp: &str, token: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(timestamp.as_bytes());
        mac.update(token.as_bytes());
        mac
    }

    /// Whether `s` is Mailgun's (compared in constant time) and dated within
    /// `REPLAY_WINDOW` of `now`. Whether its token was seen before is the caller's check.
    pub fn verify(&self, s: &Signature, now: DateTime<Utc>) -> Result<(), Refusal> {
        let Some(expected) = hex(&s.signature) else { return Err(Refusal::Invalid) };
        self.mac(&s.timestamp, &s.token).verify_slice(&expected).map_err(|_| Refusal::Invalid)?;
        let at = s.timestamp.parse::<i64>().ok().and_then(|t| DateTime::from_timestamp(t, 0));
        match at {
            Some(at) if (now - at).abs() <= REPLAY_WINDOW => Ok(()),
            _ => Err(Refusal::Stale),
        }
    }

    /// A signature of `timestamp` and `token` (for tests and for replaying a webhook).
    pub fn sign(&self, timestamp: &str, token: &str) -> Signature {
        let digest = self.mac(timestamp, token).finalize().into_bytes();
        let signature = digest.iter().map(|b| format!("{b:02x}")).collect();
        Signature { timestamp: timestamp.into(), token: token.into(), signature }
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// A body's signature (if it has one) and its event, or why the body is not a Mailgun webhook.
pub fn parse(body: &[u8]) -> Result<(Option<Signature>, Received<EmailEvent>), String> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    super::storable_json(&mut value);
    let data = value.get("event-data").filter(|d| d.is_object()).ok_or("the body has no `event-data` object")?;
    let signature = value.get("signature").map(|s| {
        let field = |name: &str| match s.get(name) {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        Signature { timestamp: field("timestamp"), token: field("token"), signature: field("signature") }
    });
    let payload = data.to_string();
    let key = match data.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        // Without Mailgun's id, the event's own bytes identify its repeats.
        _ => payload.clone(),
    };
    Ok((signature, Received::new(SOURCE, super::key_of(key), payload, item(data))))
}

fn item(data: &Value) -> Result<EmailEvent, String> {
    let text = |field: &str| data.get(field).and_then(Value::as_str);
    let name = text("event").ok_or("the event has no `event` type")?;
    let severity = text("severity").unwrap_or("permanent");
    let kind = match name {
        "accepted" => EmailEventType::Processed,
        "delivered" => EmailEventType::Delivered,
        "opened" => EmailEventType::Open,
        "clicked" => EmailEventType::Click,
        "failed" if severity == "temporary" => EmailEventType::Deferred,
        "failed" => EmailEventType::Bounce,
        "rejected" => EmailEventType::Dropped,
        "complained" => EmailEventType::SpamReport,
        "unsubscribed" => EmailEventType::Unsubscribe,
        other => return Err(format!("unknown Mailgun event {other:?}")),
    };
    let send = data
        .get("user-variables")
        .and_then(|v| v.get("send_id"))
        .and_then(Value::as_str)
        .ok_or("the event has no `send_id` in its `user-variables`")?;
    let send_id = uuid::Uuid::parse_str(send).map_err(|_| format!("`send_id` {send:?} is not a UUID"))?;
    let seconds = data.get("timestamp").and_then(Value::as_f64).ok_or("the event has no numeric `timestamp`")?;
    let occurred_at = Some((seconds * 1e6).round())
        .filter(|micros| micros.is_finite() && micros.abs() < 9.0e15)
        .and_then(|micros| DateTime::from_timestamp_micros(micros as i64))
        .ok_or_else(|| format!("`timestamp` {seconds} is out of range"))
        .and_then(super::plausible_time)?;
    let status = data.get("delivery-status");
    let detail = match kind {
        EmailEventType::Click => text("url"),
        EmailEventType::Bounce | EmailEventType::Dropped => status
            .and_then(|s| s.get("description").and_then(Value::as_str).filter(|d| !d.is_empty()))
            .or_else(|| status.and_then(|s| s.get("message")).and_then(Value::as_str))
            .or_else(|| text("reason")),
        _ => None,
    }
    .map(|s| s.chars().take(2_000).collect());
    let machine_open = kind == EmailEventType::Open
        && super::machine::machine_open(
            text("ip"),
            data.get("client-info").and_then(|c| c.get("user-agent")).and_then(Value::as_str),
        );
    Ok(EmailEvent { send_id, kind, occurred_at, machine_open, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_parses_into_a_click_with_its_signature() {
        let (signature, event) = parse(include_bytes!("../../tests/fixtures/mailgun-event.json")).unwrap();
        let signature = signature.unwrap();
        assert_eq!(signature.timestamp, "1762161533");
        assert_eq!(event.key, "Ase7i2zsRYeDXztHGENqRA");
        let click = event.item.unwrap();
        assert_eq!(click.kind, EmailEventType::Click);
        assert_eq!(click.occurred_at, DateTime::from_timestamp_micros(1_762_161_533_482_117).unwrap());
        assert!(click.detail.unwrap().starts_with("https://shop.example-maison.com/"));
    }

    #[test]
    fn a_signature_is_valid_only_for_its_key_and_within_the_window() {
        let key = MailgunKey::new("key-test");
        let now = DateTime::from_timestamp(1_762_161_533, 0).unwrap();
        let s = key.sign("1762161533", "a-token");
        assert_eq!(key.verify(&s, now), Ok(()));
        assert_eq!(key.verify(&s, now + REPLAY_WINDOW), Ok(()));
        assert_eq!(key.verify(&s, now + REPLAY_WINDOW + TimeDelta::seconds(1)), Err(Refusal::Stale));
        assert_eq!(MailgunKey::new("other").verify(&s, now), Err(Refusal::Invalid));
        let other_token = Signature { token: "b-token".into(), ..s.clone() };
        assert_eq!(key.verify(&other_token, now), Err(Refusal::Invalid));
        let not_hex = Signature { signature: "zz".into(), ..s };
        assert_eq!(key.verify(&not_hex, now), Err(Refusal::Invalid));
    }
}
