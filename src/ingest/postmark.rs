//! Postmark's webhooks: one JSON record per post (`RecordType` Delivery, Open, Click, Bounce,
//! SpamComplaint or SubscriptionChange), naming our send by the `send_id` metadata field set
//! when the message was sent. Postmark signs nothing; it authenticates with the Basic
//! credentials written into the webhook URL (`https://user:password@host/webhooks/postmark`).
//! A JSON array of records is taken too (replaying an export).

use super::Received;
use super::send_state::EmailEvent;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entity::enums::EmailEventType;
use serde_json::Value;
use subtle::ConstantTimeEq;

/// The `source` of Postmark events in the log and the quarantine.
pub const SOURCE: &str = "postmark";

/// The `user:password` Postmark must present.
#[derive(Clone)]
pub struct PostmarkCredentials(Vec<u8>);

impl std::fmt::Debug for PostmarkCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostmarkCredentials(…)")
    }
}

impl PostmarkCredentials {
    pub fn new(user_password: &str) -> Result<Self, String> {
        match user_password.split_once(':') {
            Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                Ok(PostmarkCredentials(user_password.as_bytes().to_vec()))
            }
            _ => Err("the Postmark webhook credentials must be `user:password`, both non-empty".into()),
        }
    }

    /// Whether an `Authorization` header carries these credentials (compared in constant time).
    pub fn verify(&self, authorization: Option<&str>) -> bool {
        let Some(encoded) = authorization.and_then(|a| a.trim().strip_prefix("Basic ")) else { return false };
        let Ok(given) = STANDARD.decode(encoded.trim()) else { return false };
        bool::from(given.ct_eq(&self.0))
    }

    /// The `Authorization` header value (for tests and for clients replaying a webhook).
    pub fn header(&self) -> String {
        format!("Basic {}", STANDARD.encode(&self.0))
    }
}

/// The events of a webhook body (one record, or an array of them), or why the body is not one.
pub fn parse_batch(body: &[u8]) -> Result<Vec<Received<EmailEvent>>, String> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    super::storable_json(&mut value);
    match value {
        Value::Array(records) => Ok(records.iter().map(parse_record).collect()),
        record @ Value::Object(_) => Ok(vec![parse_record(&record)]),
        _ => Err("the body is not a Postmark webhook record (a JSON object) or an array of them".into()),
    }
}

fn text<'a>(record: &'a Value, field: &str) -> Option<&'a str> {
    record.get(field).and_then(Value::as_str)
}

/// One record: our item, or why it cannot be applied (kept in the quarantine).
pub fn parse_record(record: &Value) -> Received<EmailEvent> {
    let payload = record.to_string();
    let kind = text(record, "RecordType").unwrap_or("");
    // Postmark gives ids to bounces and complaints only; any other record is one message's
    // event at one time (and, for a click, one link).
    let key = match (record.get("ID").and_then(Value::as_u64), text(record, "MessageID")) {
        (Some(id), _) if matches!(kind, "Bounce" | "SpamComplaint") => format!("{kind}:{id}"),
        (_, Some(message)) => {
            let at = ["DeliveredAt", "ReceivedAt", "BouncedAt", "ChangedAt"].iter().find_map(|f| text(record, f));
            let link = if kind == "Click" { text(record, "OriginalLink") } else { None };
            format!("{kind}:{message}:{}:{}", at.unwrap_or(""), link.unwrap_or(""))
        }
        _ => payload.clone(),
    };
    Received::new(SOURCE, super::key_of(key), payload, item(record))
}

fn item(record: &Value) -> Result<EmailEvent, String> {
    let record_type = text(record, "RecordType").ok_or("the record has no `RecordType`")?;
    let (kind, time_field) = match record_type {
        "Delivery" => (EmailEventType::Delivered, "DeliveredAt"),
        "Open" => (EmailEventType::Open, "ReceivedAt"),
        "Click" => (EmailEventType::Click, "ReceivedAt"),
        "Bounce" => (bounce(text(record, "Type").unwrap_or(""))?, "BouncedAt"),
        "SpamComplaint" => (EmailEventType::SpamReport, "BouncedAt"),
        "SubscriptionChange" if record.get("SuppressSending").and_then(Value::as_bool) == Some(true) => {
            (EmailEventType::Unsubscribe, "ChangedAt")
        }
        "SubscriptionChange" => return Err("a Postmark resubscription is not an event this server counts".into()),
        other => return Err(format!("unknown Postmark record type {other:?}")),
    };
    let send = record
        .get("Metadata")
        .and_then(|m| m.get("send_id"))
        .and_then(Value::as_str)
        .ok_or("the record has no `send_id` in its `Metadata`")?;
    let send_id = uuid::Uuid::parse_str(send).map_err(|_| format!("`send_id` {send:?} is not a UUID"))?;
    let at = text(record, time_field).ok_or_else(|| format!("the {record_type} record has no `{time_field}`"))?;
    let occurred_at = super::rfc3339(time_field, at)?;
    let detail = match kind {
        EmailEventType::Click => text(record, "OriginalLink"),
        EmailEventType::Bounce => {
            text(record, "Details").filter(|d| !d.is_empty()).or_else(|| text(record, "Description"))
        }
        _ => None,
    }
    .map(|s| s.strip_prefix("smtp;").unwrap_or(s).chars().take(2_000).collect());
    let machine_open = kind == EmailEventType::Open
        && super::machine::machine_open(
            record.get("Geo").and_then(|g| g.get("IP")).and_then(Value::as_str),
            text(record, "UserAgent"),
        );
    Ok(EmailEvent { send_id, kind, occurred_at, machine_open, detail })
}

/// A bounce record's `Type`: a failure for good, one Postmark retries, or not a delivery
/// failure at all (auto-replies, challenge mails, …), which is quarantined with the reason.
fn bounce(kind: &str) -> Result<EmailEventType, String> {
    match kind {
        "HardBounce"
        | "BadEmailAddress"
        | "ManuallyDeactivated"
        | "Blocked"
        | "DMARCPolicy"
        | "SMTPApiError"
        | "InboundError"
        | "TemplateRenderingFailed"
        | "Unknown" => Ok(EmailEventType::Bounce),
        "SoftBounce" | "Transient" | "DnsError" => Ok(EmailEventType::Deferred),
        "SpamComplaint" => Ok(EmailEventType::SpamReport),
        "Unsubscribe" => Ok(EmailEventType::Unsubscribe),
        other => Err(format!("a Postmark bounce of type {other:?} is not a delivery failure this server counts")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn parse(body: &[u8]) -> EmailEvent {
        let mut events = parse_batch(body).unwrap();
        assert_eq!(events.len(), 1);
        events.remove(0).item.unwrap()
    }

    #[test]
    fn the_samples_parse_into_their_events() {
        let delivery = parse(include_bytes!("../../tests/fixtures/postmark-delivery.json"));
        assert_eq!(delivery.kind, EmailEventType::Delivered);
        assert_eq!(
            delivery.occurred_at,
            Utc.with_ymd_and_hms(2025, 11, 3, 9, 0, 5).unwrap() + chrono::Duration::microseconds(273_539)
        );
        let open = parse(include_bytes!("../../tests/fixtures/postmark-open.json"));
        assert_eq!((open.kind, open.machine_open), (EmailEventType::Open, true), "Apple's proxy, bare user agent");
        let click = parse(include_bytes!("../../tests/fixtures/postmark-click.json"));
        assert_eq!(click.kind, EmailEventType::Click);
        assert!(click.detail.unwrap().starts_with("https://shop.example-maison.com/collections/aw25"));
        let bounce = parse(include_bytes!("../../tests/fixtures/postmark-bounce.json"));
        assert_eq!(bounce.kind, EmailEventType::Bounce);
        assert_eq!(
            bounce.detail.as_deref(),
            Some("550 5.1.1 The email account that you tried to reach does not exist.")
        );
    }

    #[test]
    fn credentials_are_checked_exactly() {
        let c = PostmarkCredentials::new("postmark:s3cret").unwrap();
        assert!(c.verify(Some(&c.header())));
        assert!(!c.verify(Some(&PostmarkCredentials::new("postmark:s3cre").unwrap().header())));
        assert!(!c.verify(Some("Bearer x")));
        assert!(!c.verify(None));
        assert!(PostmarkCredentials::new("no-colon").is_err());
    }

    #[test]
    fn records_that_cannot_be_applied_say_why() {
        let e = parse_record(&serde_json::json!({"RecordType": "Bounce", "Type": "AutoResponder", "ID": 1}));
        assert!(e.item.unwrap_err().contains("AutoResponder"));
        let e = parse_record(&serde_json::json!({"RecordType": "Open", "ReceivedAt": "2025-11-03T09:00:00Z"}));
        assert!(e.item.unwrap_err().contains("send_id"));
        assert!(parse_batch(b"42").is_err());
    }
}
