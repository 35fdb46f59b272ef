//! Amazon SES events published to an SNS topic and delivered to `POST /webhooks/ses` by an
//! HTTPS subscription. SNS signs each message (RSA over the message's canonical fields;
//! `SignatureVersion` 1 with SHA-1, 2 with SHA-256) with a certificate it names by URL: the URL
//! must be HTTPS on an SNS host (`sns.<region>.amazonaws.com`), the certificate is fetched once
//! and kept, and the topic must be one of `SES_SNS_TOPIC_ARNS`. A `SubscriptionConfirmation`
//! is confirmed by visiting its `SubscribeURL` (an SNS host too). Notifications carry the SES
//! event as JSON text in `Message`; it names our send by the `send_id` message tag.

use super::Received;
use super::send_state::EmailEvent;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entity::enums::EmailEventType;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use x509_cert::der::{DecodePem, Encode};

/// The `source` of SES events in the log and the quarantine.
pub const SOURCE: &str = "ses";
/// Largest certificate fetched.
const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;

/// An SNS message, as posted.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SnsMessage {
    #[serde(rename = "Type")]
    pub kind: String,
    pub message_id: String,
    pub topic_arn: String,
    #[serde(default)]
    pub subject: Option<String>,
    pub message: String,
    pub timestamp: String,
    pub signature_version: String,
    pub signature: String,
    #[serde(rename = "SigningCertURL")]
    pub signing_cert_url: String,
    #[serde(rename = "SubscribeURL", default)]
    pub subscribe_url: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
}

impl SnsMessage {
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(body).map_err(|e| format!("the body is not an SNS message: {e}"))
    }

    /// The text SNS signed: the message's fields in SNS's order, each name and value on a line.
    pub fn string_to_sign(&self) -> Result<String, String> {
        let mut fields: Vec<(&str, &str)> = vec![("Message", &self.message), ("MessageId", &self.message_id)];
        match self.kind.as_str() {
            "Notification" => {
                if let Some(subject) = &self.subject {
                    fields.push(("Subject", subject));
                }
            }
            "SubscriptionConfirmation" | "UnsubscribeConfirmation" => {
                let url = self.subscribe_url.as_deref().ok_or("the confirmation has no SubscribeURL")?;
                fields.push(("SubscribeURL", url));
            }
            other => return Err(format!("unknown SNS message type {other:?}")),
        }
        fields.push(("Timestamp", &self.timestamp));
        if self.kind != "Notification" {
            fields.push(("Token", self.token.as_deref().ok_or("the confirmation has no Token")?));
        }
        fields.extend([("TopicArn", self.topic_arn.as_str()), ("Type", self.kind.as_str())]);
        Ok(fields.iter().map(|(name, value)| format!("{name}\n{value}\n")).collect())
    }
}

/// Whether `url` is HTTPS on an SNS host (`sns.<region>.amazonaws.com[.cn]`) — the only place
/// a signing certificate or a subscription confirmation may come from.
pub fn sns_url(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else { return false };
    let host = parsed.host_str().unwrap_or("");
    let region = host
        .strip_prefix("sns.")
        .and_then(|h| h.strip_suffix(".amazonaws.com").or_else(|| h.strip_suffix(".amazonaws.com.cn")));
    parsed.scheme() == "https"
        && parsed.port().is_none()
        && parsed.username().is_empty()
        && region.is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// The SNS signing certificates' keys, by URL: fetched once each, or given (tests).
#[derive(Clone, Default)]
pub struct SnsCertificates {
    keys: Arc<Mutex<HashMap<String, RsaPublicKey>>>,
}

impl std::fmt::Debug for SnsCertificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SnsCertificates(…)")
    }
}

/// The RSA key of a PEM certificate.
pub fn certificate_key(pem: &[u8]) -> Result<RsaPublicKey, String> {
    let certificate = x509_cert::Certificate::from_pem(pem).map_err(|e| format!("not a PEM certificate: {e}"))?;
    let spki = certificate.tbs_certificate.subject_public_key_info.to_der().map_err(|e| e.to_string())?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|e| format!("the certificate's key is not RSA: {e}"))
}

impl SnsCertificates {
    /// Keeps `pem`'s key as the certificate at `url` (which must be an SNS URL).
    pub fn insert(&self, url: &str, pem: &[u8]) -> Result<(), String> {
        if !sns_url(url) {
            return Err(format!("{url} is not an SNS URL"));
        }
        let key = certificate_key(pem)?;
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).insert(url.to_owned(), key);
        Ok(())
    }

    /// The key of the certificate at `url`, fetched the first time.
    async fn key(&self, url: &str) -> Result<RsaPublicKey, String> {
        if let Some(key) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(url) {
            return Ok(key.clone());
        }
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let response =
            crate::telemetry::pass_on(client.get(url)).send().await.map_err(|e| format!("cannot fetch {url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("fetching {url} answered {}", response.status()));
        }
        let pem = response.bytes().await.map_err(|e| format!("cannot fetch {url}: {e}"))?;
        if pem.len() > MAX_CERTIFICATE_BYTES {
            return Err(format!("the certificate at {url} is larger than {MAX_CERTIFICATE_BYTES} bytes"));
        }
        let key = certificate_key(&pem)?;
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).insert(url.to_owned(), key.clone());
        Ok(key)
    }

    /// Whether SNS signed `message` with the certificate it names (an SNS URL).
    pub async fn verify(&self, message: &SnsMessage) -> Result<(), String> {
        if !sns_url(&message.signing_cert_url) {
            return Err("SigningCertURL is not an HTTPS URL of an SNS host".into());
        }
        let text = message.string_to_sign()?;
        let signature = STANDARD.decode(message.signature.trim()).map_err(|_| "the signature is not base64")?;
        let signature = Signature::try_from(signature.as_slice()).map_err(|_| "the signature is malformed")?;
        let key = self.key(&message.signing_cert_url).await?;
        let valid = match message.signature_version.as_str() {
            "1" => VerifyingKey::<sha1::Sha1>::new(key).verify(text.as_bytes(), &signature).is_ok(),
            "2" => VerifyingKey::<sha2::Sha256>::new(key).verify(text.as_bytes(), &signature).is_ok(),
            other => return Err(format!("unknown SignatureVersion {other:?}")),
        };
        if valid { Ok(()) } else { Err("the signature does not match".into()) }
    }
}

/// What a server accepts from SNS: the topics, and the certificates seen.
#[derive(Debug, Clone, Default)]
pub struct SesTopics {
    pub topics: Vec<String>,
    pub certificates: SnsCertificates,
}

/// Confirms a subscription by visiting its `SubscribeURL` (checked to be an SNS URL).
pub async fn confirm(subscribe_url: &str) -> Result<(), String> {
    if !sns_url(subscribe_url) {
        return Err("SubscribeURL is not an HTTPS URL of an SNS host".into());
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let response = crate::telemetry::pass_on(client.get(subscribe_url)).send().await.map_err(|e| e.to_string())?;
    if response.status().is_success() { Ok(()) } else { Err(format!("SNS answered {}", response.status())) }
}

/// The SES event of a notification, keyed by the SNS message id (SNS's retries repeat it).
pub fn event(message: &SnsMessage) -> Received<EmailEvent> {
    let key = super::key_of(message.message_id.clone());
    let item = serde_json::from_str::<Value>(&message.message)
        .map_err(|e| format!("the SNS message is not an SES event (JSON): {e}"))
        .and_then(|event| item(&event));
    Received::new(SOURCE, key, message.message.clone(), item)
}

fn item(event: &Value) -> Result<EmailEvent, String> {
    let text =
        |v: &Value, path: &[&str]| path.iter().try_fold(v, |v, p| v.get(p)).and_then(Value::as_str).map(str::to_owned);
    let name = text(event, &["eventType"])
        .or_else(|| text(event, &["notificationType"]))
        .ok_or("the SES event has no `eventType`")?;
    let (kind, part) = match name.as_str() {
        "Send" => (EmailEventType::Processed, "mail"),
        "Delivery" => (EmailEventType::Delivered, "delivery"),
        "Open" => (EmailEventType::Open, "open"),
        "Click" => (EmailEventType::Click, "click"),
        "Bounce" if text(event, &["bounce", "bounceType"]).as_deref() == Some("Transient") => {
            (EmailEventType::Deferred, "bounce")
        }
        "Bounce" => (EmailEventType::Bounce, "bounce"),
        "Complaint" => (EmailEventType::SpamReport, "complaint"),
        "Reject" | "Rendering Failure" => (EmailEventType::Dropped, "mail"),
        "DeliveryDelay" => (EmailEventType::Deferred, "deliveryDelay"),
        "Subscription" => (EmailEventType::Unsubscribe, "subscription"),
        other => return Err(format!("unknown SES event type {other:?}")),
    };
    let tags = event.get("mail").and_then(|m| m.get("tags"));
    let send = tags
        .and_then(|t| t.get("send_id"))
        .and_then(|s| s.get(0))
        .and_then(Value::as_str)
        .ok_or("the SES event has no `send_id` message tag")?;
    let send_id = uuid::Uuid::parse_str(send).map_err(|_| format!("`send_id` {send:?} is not a UUID"))?;
    let at = text(event, &[part, "timestamp"])
        .or_else(|| text(event, &["mail", "timestamp"]))
        .ok_or_else(|| format!("the SES {name} event has no timestamp"))?;
    let occurred_at = super::rfc3339(&format!("{part}.timestamp"), &at)?;
    let detail = match kind {
        EmailEventType::Click => text(event, &["click", "link"]),
        EmailEventType::Bounce => event
            .get("bounce")
            .and_then(|b| b.get("bouncedRecipients"))
            .and_then(|r| r.get(0))
            .and_then(|r| r.get("diagnosticCode"))
            .and_then(Value::as_str)
            .map(|d| d.strip_prefix("smtp; ").unwrap_or(d).to_owned())
            .or_else(|| text(event, &["bounce", "bounceSubType"])),
        _ => None,
    }
    .map(|s| s.chars().take(2_000).collect());
    let machine_open = kind == EmailEventType::Open
        && super::machine::machine_open(
            text(event, &["open", "ipAddress"]).as_deref(),
            text(event, &["open", "userAgent"]).as_deref(),
        );
    Ok(EmailEvent { send_id, kind, occurred_at, machine_open, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &[u8] = include_bytes!("../../tests/fixtures/ses-click.json");

    #[test]
    fn the_sample_is_a_click_keyed_by_its_sns_message_id() {
        let message = SnsMessage::parse(SAMPLE).unwrap();
        let event = event(&message);
        assert_eq!(event.key, "3d8b0f5e-6c2a-5b1f-9e47-a2c4d6e8f013");
        let click = event.item.unwrap();
        assert_eq!(click.kind, EmailEventType::Click);
        assert_eq!(click.send_id.to_string(), "0b6e4a52-1f7c-4d2b-8e3a-9c5d7f1b2e64");
        assert_eq!(click.occurred_at, "2025-11-03T09:18:53.570Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap());
        assert!(message.string_to_sign().unwrap().starts_with("Message\n{\"eventType\":\"Click\""));
        assert!(message.string_to_sign().unwrap().ends_with("Subject\nAmazon SES Email Event Notification\nTimestamp\n2025-11-03T09:18:54.102Z\nTopicArn\narn:aws:sns:eu-west-1:111122223333:ses-campaign-events\nType\nNotification\n"));
    }

    #[test]
    fn only_https_sns_hosts_are_sns_urls() {
        assert!(sns_url("https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0.pem"));
        assert!(sns_url("https://sns.cn-north-1.amazonaws.com.cn/x.pem"));
        for bad in [
            "http://sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns.eu-west-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.eu-west-1.amazonaws.com:8443/x.pem",
            "https://user@sns.eu-west-1.amazonaws.com/x.pem",
            "https://s3.amazonaws.com/x.pem",
        ] {
            assert!(!sns_url(bad), "{bad}");
        }
    }
}
