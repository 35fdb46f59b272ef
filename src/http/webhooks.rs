//! `POST /webhooks/sendgrid`, `/webhooks/postmark`, `/webhooks/mailgun`, `/webhooks/ses`
//! and `/webhooks/shopify/orders`. Transport only: cap the body (413 before reading past the cap),
//! check the signature or credentials when a key is configured (401, nothing stored), parse,
//! hand the items to the apply path, reply with a summary.
//! Items that cannot be applied are quarantined and still answered 200, so the provider
//! stops retrying them.

use super::{error_response, read_body, refuse};
use crate::AppState;
use crate::ingest::send_state::EmailEvent;
use crate::ingest::{self, MAX_BATCH, Received, deliveries, mailgun, postmark, sendgrid, ses, shopify};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// The idempotency scope of Shopify deliveries (`X-Shopify-Event-Id`).
const SHOPIFY_EVENT_SCOPE: &str = "shopify-event";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The body of a post to a webhook, capped; refused (503) when the webhook has no key (`keyed`
/// false, its setting `variable`) and unsigned posts are not allowed.
async fn webhook_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    keyed: bool,
    variable: &str,
) -> Result<Bytes, Response> {
    let body = read_body(headers, body, state.limits.max_webhook_body_bytes, state.limits.read_timeout()).await?;
    if !keyed && !state.webhooks.allow_unsigned {
        let message =
            format!("this webhook is not configured: set {variable} (or ALLOW_UNSIGNED_WEBHOOKS for development)");
        return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, &message, "FORBIDDEN"));
    }
    Ok(body)
}

fn bad_signature(provider: &str) -> Response {
    let message = format!("missing or invalid {provider} signature: nothing was stored");
    refuse(StatusCode::UNAUTHORIZED, &message, "UNAUTHENTICATED")
}

/// The batch's summary, after telling subscribers which campaigns moved; or the error.
async fn answer(state: &AppState, result: Result<ingest::Report, crate::error::AppError>) -> Response {
    match result {
        Ok(report) => {
            state.changes.announce(&report.campaigns).await;
            Json(report.summary()).into_response()
        }
        Err(e) => error_response(&e),
    }
}

/// A batch of email events, applied (at most `MAX_BATCH`).
async fn apply_events(state: &AppState, events: Vec<Received<EmailEvent>>) -> Response {
    if events.len() > MAX_BATCH {
        let message = format!("a batch holds at most {MAX_BATCH} events; this one has {}", events.len());
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, &message, "BAD_USER_INPUT");
    }
    answer(state, state.appliers.email_events.apply(events).await).await
}

pub async fn sendgrid(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let keyed = state.webhooks.sendgrid.is_some();
    let body = match webhook_body(&state, &headers, body, keyed, "SENDGRID_WEBHOOK_VERIFICATION_KEY").await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    if let Some(key) = &state.webhooks.sendgrid {
        let signed = match (header(&headers, sendgrid::SIGNATURE_HEADER), header(&headers, sendgrid::TIMESTAMP_HEADER))
        {
            (Some(signature), Some(timestamp)) => key.verify(signature, timestamp, &body),
            _ => false,
        };
        if !signed {
            return bad_signature("SendGrid");
        }
    }
    match sendgrid::parse_batch(&body) {
        Ok(events) => apply_events(&state, events).await,
        Err(message) => refuse(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    }
}

pub async fn postmark(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let keyed = state.webhooks.postmark.is_some();
    let body = match webhook_body(&state, &headers, body, keyed, "POSTMARK_WEBHOOK_CREDENTIALS").await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    if let Some(credentials) = &state.webhooks.postmark
        && !credentials.verify(header(&headers, "authorization"))
    {
        let message = "missing or wrong Postmark webhook credentials (Basic authentication): nothing was stored";
        return refuse(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED");
    }
    match postmark::parse_batch(&body) {
        Ok(events) => apply_events(&state, events).await,
        Err(message) => refuse(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    }
}

pub async fn mailgun(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let keyed = state.webhooks.mailgun.is_some();
    let body = match webhook_body(&state, &headers, body, keyed, "MAILGUN_WEBHOOK_SIGNING_KEY").await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let (signature, event) = match mailgun::parse(&body) {
        Ok(parsed) => parsed,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    };
    let Some(key) = &state.webhooks.mailgun else { return apply_events(&state, vec![event]).await };
    let Some(signature) = signature else { return bad_signature("Mailgun") };
    match key.verify(&signature, chrono::Utc::now()) {
        Ok(()) => {}
        Err(mailgun::Refusal::Invalid) => return bad_signature("Mailgun"),
        Err(mailgun::Refusal::Stale) => {
            let minutes = mailgun::REPLAY_WINDOW.num_minutes();
            let message =
                format!("the Mailgun signature is dated more than {minutes} minutes from now: nothing was stored");
            return refuse(StatusCode::UNAUTHORIZED, &message, "UNAUTHENTICATED");
        }
    }
    // The signature covers its timestamp and token, not the event: a token is good once.
    let token = ingest::key_of(signature.token);
    match deliveries::first_time(&state.db, mailgun::TOKEN_SCOPE, &token).await {
        Ok(true) => {}
        Ok(false) => {
            let message = "this Mailgun signature was already used: nothing was stored";
            return refuse(StatusCode::UNAUTHORIZED, message, "UNAUTHENTICATED");
        }
        Err(e) => return error_response(&e.into()),
    }
    let result = state.appliers.email_events.apply(vec![event]).await;
    // Not applied (the database failed): Mailgun's retry of the same signature must get through.
    if result.is_err()
        && let Err(e) = deliveries::forget(&state.db, mailgun::TOKEN_SCOPE, &token).await
    {
        tracing::warn!(error = %e, "could not forget a Mailgun signature token");
    }
    answer(&state, result).await
}

pub async fn ses(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let keyed = state.webhooks.ses.is_some();
    let body = match webhook_body(&state, &headers, body, keyed, "SES_SNS_TOPIC_ARNS").await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let message = match ses::SnsMessage::parse(&body) {
        Ok(message) => message,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    };
    if let Some(topics) = &state.webhooks.ses {
        if !topics.topics.contains(&message.topic_arn) {
            let why = format!("the topic {} is not one of SES_SNS_TOPIC_ARNS: nothing was stored", message.topic_arn);
            return refuse(StatusCode::FORBIDDEN, &why, "FORBIDDEN");
        }
        if let Err(why) = topics.certificates.verify(&message).await {
            let why = format!("invalid SNS signature ({why}): nothing was stored");
            return refuse(StatusCode::UNAUTHORIZED, &why, "UNAUTHENTICATED");
        }
    }
    match message.kind.as_str() {
        "Notification" => apply_events(&state, vec![ses::event(&message)]).await,
        "SubscriptionConfirmation" => {
            let url = message.subscribe_url.unwrap_or_default();
            if !ses::sns_url(&url) {
                let why = "SubscribeURL is not an HTTPS URL of an SNS host: not confirmed";
                return refuse(StatusCode::BAD_REQUEST, why, "BAD_USER_INPUT");
            }
            let topic = message.topic_arn.clone();
            tokio::spawn(async move {
                match ses::confirm(&url).await {
                    Ok(()) => tracing::info!(%topic, "confirmed the SNS subscription"),
                    Err(e) => tracing::warn!(%topic, error = %e, "could not confirm the SNS subscription"),
                }
            });
            Json(serde_json::json!({ "subscription": "confirming", "topic": message.topic_arn })).into_response()
        }
        _ => Json(serde_json::json!({ "received": 0 })).into_response(),
    }
}

pub async fn shopify_orders(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let keyed = state.webhooks.shopify.is_some();
    let body = match webhook_body(&state, &headers, body, keyed, "SHOPIFY_WEBHOOK_SECRET").await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    if let Some(secret) = &state.webhooks.shopify
        && !header(&headers, shopify::HMAC_HEADER).is_some_and(|signature| secret.verify(signature, &body))
    {
        return bad_signature("Shopify");
    }
    let event_id = header(&headers, shopify::EVENT_ID_HEADER).filter(|id| !id.is_empty());
    if let Some(id) = event_id {
        match deliveries::seen(&state.db, SHOPIFY_EVENT_SCOPE, id).await {
            Ok(true) => return Json(serde_json::json!({ "received": 1, "duplicates": 1 })).into_response(),
            Ok(false) => {}
            Err(e) => return error_response(&e.into()),
        }
    }
    let order = match shopify::parse(&body) {
        Ok(order) => order,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    };
    let result = state.appliers.orders.apply(vec![order]).await;
    // Remembered after the order is stored: a crash in between makes the retry a repeat of
    // the same order version, which changes nothing either.
    if let (Ok(_), Some(id)) = (&result, event_id)
        && let Err(e) = deliveries::first_time(&state.db, SHOPIFY_EVENT_SCOPE, id).await
    {
        tracing::warn!(error = %e, "could not remember a Shopify event id");
    }
    answer(&state, result).await
}
