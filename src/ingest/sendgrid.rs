//! SendGrid's Event Webhook: a JSON array of events, each naming our send by the `send_id`
//! custom argument, optionally signed with ECDSA (P-256, SHA-256) over timestamp + body.

use super::Received;
use super::send_state::EmailEvent;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use entity::enums::EmailEventType;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `source` (provider) of SendGrid events in the log and the quarantine.
pub const SOURCE: &str = "sendgrid";
pub const SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
pub const TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";

/// The verification key SendGrid shows for a signed Event Webhook (base64 of the DER public key).
#[derive(Clone, Debug)]
pub struct SendgridKey(VerifyingKey);

impl SendgridKey {
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let der =
            STANDARD.decode(text.trim()).map_err(|e| format!("the SendGrid verification key is not base64: {e}"))?;
        VerifyingKey::from_public_key_der(&der)
            .map(SendgridKey)
            .map_err(|e| format!("the SendGrid verification key is not a P-256 public key: {e}"))
    }

    /// Whether `signature` (base64 DER) signs `timestamp` followed by the raw `body`.
    pub fn verify(&self, signature: &str, timestamp: &str, body: &[u8]) -> bool {
        let Ok(der) = STANDARD.decode(signature.trim()) else { return false };
        let Ok(signature) = Signature::from_der(&der) else { return false };
        // (r, s) and (r, n − s) are the same signature; the verifier wants the low-s form.
        let signature = signature.normalize_s().unwrap_or(signature);
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        self.0.verify(&message, &signature).is_ok()
    }
}

/// The events of a webhook body, or why the body is not an Event Webhook batch.
pub fn parse_batch(body: &[u8]) -> Result<Vec<Received<EmailEvent>>, String> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    super::storable_json(&mut value);
    let Value::Array(events) = value else {
        return Err("the body is not a JSON array of events".into());
    };
    Ok(events.iter().map(parse_event).collect())
}

/// One event: our item, or why it cannot be applied (kept in the quarantine).
pub fn parse_event(event: &Value) -> Received<EmailEvent> {
    let payload = event.to_string();
    let key = match event.get("sg_event_id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() && id.len() <= super::MAX_KEY_LEN => id.to_owned(),
        // Without SendGrid's id, the event's own bytes identify its repeats.
        _ => format!("sha256:{:x}", Sha256::digest(payload.as_bytes())),
    };
    Received::new(SOURCE, key, payload, item(event))
}

fn item(event: &Value) -> Result<EmailEvent, String> {
    let name = event.get("event").and_then(Value::as_str).ok_or("the event has no `event` type")?;
    let kind = match name {
        "processed" => EmailEventType::Processed,
        "delivered" => EmailEventType::Delivered,
        "deferred" => EmailEventType::Deferred,
        "open" => EmailEventType::Open,
        "click" => EmailEventType::Click,
        "bounce" | "blocked" => EmailEventType::Bounce,
        "dropped" => EmailEventType::Dropped,
        "spamreport" => EmailEventType::SpamReport,
        "unsubscribe" | "group_unsubscribe" => EmailEventType::Unsubscribe,
        other => return Err(format!("unknown event type {other:?}")),
    };
    let send = event.get("send_id").and_then(Value::as_str).ok_or("the event has no `send_id` custom argument")?;
    let send_id = uuid::Uuid::parse_str(send).map_err(|_| format!("`send_id` {send:?} is not a UUID"))?;
    let seconds = event.get("timestamp").and_then(Value::as_i64).ok_or("the event has no numeric `timestamp`")?;
    let occurred_at: DateTime<Utc> = DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| format!("`timestamp` {seconds} is out of range"))
        .and_then(super::plausible_time)?;
    let detail = match kind {
        EmailEventType::Click => event.get("url"),
        _ => event.get("reason").or_else(|| event.get("response")),
    }
    .and_then(Value::as_str)
    .filter(|_| matches!(kind, EmailEventType::Click | EmailEventType::Bounce | EmailEventType::Dropped))
    .map(|s| s.chars().take(2_000).collect());
    let machine_open =
        kind == EmailEventType::Open && event.get("sg_machine_open").and_then(Value::as_bool) == Some(true);
    Ok(EmailEvent { send_id, kind, occurred_at, machine_open, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_batch_parses_into_five_events_with_one_machine_open() {
        let body = include_bytes!("../../tests/fixtures/sendgrid-events.json");
        let events = parse_batch(body).unwrap();
        assert_eq!(events.len(), 5);
        let kinds: Vec<_> = events.iter().map(|e| e.item.as_ref().unwrap().kind).collect();
        use EmailEventType::*;
        assert_eq!(kinds, [Processed, Delivered, Open, Click, Bounce]);
        assert!(events[2].item.as_ref().unwrap().machine_open);
        assert!(events[4].item.as_ref().unwrap().detail.as_deref().unwrap().starts_with("550 5.1.1"));
    }

    #[test]
    fn an_unknown_type_or_a_missing_send_id_is_a_reason_to_quarantine() {
        let e = parse_event(&serde_json::json!({"event": "group_resubscribe", "sg_event_id": "x", "timestamp": 1}));
        assert_eq!(e.item.unwrap_err(), "unknown event type \"group_resubscribe\"");
        let e = parse_event(&serde_json::json!({"event": "open", "sg_event_id": "y", "timestamp": 1}));
        assert!(e.item.unwrap_err().contains("send_id"));
    }
}
