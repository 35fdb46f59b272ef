//! Shopify order webhooks (`orders/create`, `orders/updated`, `orders/cancelled`, …): the
//! order JSON, signed with HMAC-SHA256 over the raw body, deduplicated by the delivery's
//! `X-Shopify-Event-Id`, versioned by the order's `updated_at`.

use super::Received;
use super::orders::Order;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use entity::Money;
use entity::enums::OrderStatus;
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::Value;
use sha2::Sha256;

/// The `source` of Shopify orders in the orders table and the quarantine.
pub const SOURCE: &str = "shopify";
pub const HMAC_HEADER: &str = "x-shopify-hmac-sha256";
pub const EVENT_ID_HEADER: &str = "x-shopify-event-id";

/// The app's client secret, which signs every webhook.
#[derive(Clone)]
pub struct ShopifySecret(Vec<u8>);

impl std::fmt::Debug for ShopifySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShopifySecret(…)")
    }
}

impl ShopifySecret {
    pub fn new(secret: &str) -> Self {
        ShopifySecret(secret.as_bytes().to_vec())
    }

    /// Whether `signature` (base64) is the HMAC-SHA256 of `body`; compared in constant time.
    pub fn verify(&self, signature: &str, body: &[u8]) -> bool {
        let Ok(expected) = STANDARD.decode(signature.trim()) else { return false };
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(body);
        mac.verify_slice(&expected).is_ok()
    }

    /// The signature of `body` (for tests and for clients replaying a webhook).
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(body);
        STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// The order of a webhook body as an item (or why it cannot be applied), keyed by order id
/// and version; `Err` when the body is not a Shopify order at all.
pub fn parse(body: &[u8]) -> Result<Received<Order>, String> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    super::storable_json(&mut value);
    let id = order_id(&value).ok_or("the body is not a Shopify order: it has no numeric `id`")?;
    let item = order(&value);
    let key = match &item {
        Ok(o) => o.key(),
        Err(_) => {
            let version: String =
                value.get("updated_at").and_then(Value::as_str).unwrap_or("").chars().take(40).collect();
            format!("{id}@{version}")
        }
    };
    Ok(Received::new(SOURCE, key, value.to_string(), item))
}

/// Reads a stored order body back.
pub fn parse_order(body: &[u8]) -> Result<Order, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("unreadable order: {e}"))?;
    order(&value)
}

/// The id as written in the JSON (Shopify ids exceed 2^53, where floats lose digits).
fn order_id(value: &Value) -> Option<String> {
    match value.get("id")? {
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        Value::String(s) if !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_digit()) => Some(s.clone()),
        _ => None,
    }
}

fn time(value: &Value, field: &str) -> Result<DateTime<Utc>, String> {
    let text = value.get(field).and_then(Value::as_str).ok_or_else(|| format!("the order has no `{field}`"))?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{field}` {text:?} is not an RFC 3339 time: {e}"))
        .and_then(super::plausible_time)
}

fn amount(value: &Value, field: &str) -> Result<Option<Money>, String> {
    let Some(text) = value.get(field).and_then(Value::as_str) else { return Ok(None) };
    let decimal = Decimal::from_str_exact(text).map_err(|e| format!("`{field}` {text:?} is not an amount: {e}"))?;
    if decimal.is_sign_negative() {
        return Err(format!("`{field}` {text} is negative"));
    }
    Money::new(decimal).map(Some).map_err(|e| format!("`{field}`: {e}"))
}

fn order(value: &Value) -> Result<Order, String> {
    let order_id = order_id(value).ok_or("the order has no numeric `id`")?;
    if value.get("test").and_then(Value::as_bool) == Some(true) {
        return Err("a test order (`test: true`) is not revenue".into());
    }
    let financial = value.get("financial_status").and_then(Value::as_str).unwrap_or("pending");
    let cancelled = value.get("cancelled_at").is_some_and(|v| !v.is_null());
    let status = match financial {
        _ if cancelled => OrderStatus::Cancelled,
        "refunded" => OrderStatus::Refunded,
        "voided" => OrderStatus::Cancelled,
        "paid" | "partially_refunded" => OrderStatus::Completed,
        "pending" | "authorized" | "partially_paid" | "unpaid" => OrderStatus::Pending,
        other => return Err(format!("unknown financial_status {other:?}")),
    };
    // What stays paid after refunds counts for a completed order; the original total otherwise.
    let total = amount(value, "total_price")?.ok_or("the order has no `total_price`")?;
    let value_now = match status {
        OrderStatus::Completed => amount(value, "current_total_price")?.unwrap_or(total),
        _ => total,
    };
    let landing = value.get("landing_site").and_then(Value::as_str).unwrap_or("");
    let utm = |name: &str| {
        let query = landing.split_once('?').map(|(_, q)| q).unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    };
    let customer_email = value
        .pointer("/customer/email")
        .or_else(|| value.get("email"))
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    let product_count = value
        .get("line_items")
        .and_then(Value::as_array)
        .map(|items| {
            items.iter().filter_map(|i| i.get("quantity").and_then(Value::as_i64)).fold(0_i64, i64::saturating_add)
        })
        .unwrap_or(1);
    Ok(Order {
        order_id,
        updated_at: time(value, "updated_at")?,
        campaign_id: None,
        utm_campaign: Some(utm("utm_campaign").ok_or("the order's `landing_site` has no utm_campaign")?),
        retailer_id: None,
        customer_email: Some(customer_email.ok_or("the order has no customer email")?),
        value: value_now,
        status,
        product_count: i32::try_from(product_count.max(0)).unwrap_or(i32::MAX),
        ordered_at: time(value, "created_at")?,
        attributed_to_email: utm("utm_medium").is_some_and(|m| m.eq_ignore_ascii_case("email")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_order_maps_to_a_completed_email_attributed_order() {
        let body = include_bytes!("../../tests/fixtures/shopify-order.json");
        let r = parse(body).unwrap();
        let o = r.item.unwrap();
        assert_eq!(o.order_id, "6702153450123");
        assert_eq!(o.utm_campaign.as_deref(), Some("aw25-couture-launch"));
        assert_eq!(o.customer_email.as_deref(), Some("client.one@example.com"));
        assert_eq!(o.value.to_string(), "2450.00");
        assert_eq!(o.status, OrderStatus::Completed);
        assert!(o.attributed_to_email);
        assert_eq!(o.updated_at.to_rfc3339(), "2025-11-03T09:21:09+00:00");
        assert_eq!(r.key, "6702153450123@2025-11-03T09:21:09Z");
    }

    #[test]
    fn ids_beyond_two_to_the_53_keep_every_digit() {
        let body = br#"{"id": 9007199254740993, "updated_at": "2025-11-03T10:21:09+01:00"}"#;
        assert_eq!(parse(body).unwrap().key, "9007199254740993@2025-11-03T10:21:09+01:00");
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_raw_body() {
        let secret = ShopifySecret::new("hush");
        let sig = secret.sign(b"{}");
        assert!(secret.verify(&sig, b"{}"));
        assert!(!secret.verify(&sig, b"{ }"));
        assert!(!ShopifySecret::new("other").verify(&sig, b"{}"));
    }
}
