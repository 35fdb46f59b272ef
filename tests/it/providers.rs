//! Postmark's, Mailgun's and SES's (through SNS) webhooks over HTTP, on both backends: the
//! providers' samples (`tests/fixtures/postmark-*.json`, `mailgun-event.json`,
//! `ses-click.json`), their credentials and signatures (valid, wrong, stale, replayed,
//! altered, from another topic or certificate URL), malformed bodies, and streams of events
//! delivered shuffled and repeated against the same events in order once each. SNS's
//! certificate is a locally made one (`sns-signing-*.pem`), given to the server as the
//! certificate at an SNS URL.

use crate::common::*;
use crate::webhooks::{
    BOUNCED_SEND, DELIVERED_SEND, campaign_with_sends, event_rows, performance, post, sample_campaign,
};
use campaign_performance::ingest::ses::SnsCertificates;
use campaign_performance::ingest::{MailgunKey, PostmarkCredentials, SesTopics, Webhooks};
use chrono::{DateTime, Duration, Utc};
use entity::email_sends;
use entity::enums::{Region, SendStatus, UserType};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

const POSTMARK: [&[u8]; 4] = [
    include_bytes!("../fixtures/postmark-delivery.json"),
    include_bytes!("../fixtures/postmark-open.json"),
    include_bytes!("../fixtures/postmark-click.json"),
    include_bytes!("../fixtures/postmark-bounce.json"),
];
const MAILGUN_SAMPLE: &[u8] = include_bytes!("../fixtures/mailgun-event.json");
const SES_SAMPLE: &[u8] = include_bytes!("../fixtures/ses-click.json");
const SNS_CERT: &[u8] = include_bytes!("../fixtures/sns-signing-cert.pem");
const SNS_KEY: &str = include_str!("../fixtures/sns-signing-key.pem");
const SNS_CERT_URL: &str = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem";
const TOPIC: &str = "arn:aws:sns:eu-west-1:111122223333:ses-campaign-events";

/// The SES webhook's settings: the sample's topic, and the local certificate at its URL.
fn ses_topics() -> SesTopics {
    let certificates = SnsCertificates::default();
    certificates.insert(SNS_CERT_URL, SNS_CERT).unwrap();
    SesTopics { topics: vec![TOPIC.into()], certificates }
}

/// `message` (an SNS message as JSON) signed as SNS signs: version 2 (SHA-256) or 1 (SHA-1).
fn sns_sign(mut message: Value, version: &str) -> Value {
    message["SignatureVersion"] = json!(version);
    message["Signature"] = json!("");
    let parsed: campaign_performance::ingest::ses::SnsMessage = serde_json::from_value(message.clone()).unwrap();
    let text = parsed.string_to_sign().unwrap();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(SNS_KEY).unwrap();
    let signature = match version {
        "1" => SigningKey::<sha1::Sha1>::new(key).sign(text.as_bytes()).to_vec(),
        _ => SigningKey::<sha2::Sha256>::new(key).sign(text.as_bytes()).to_vec(),
    };
    message["Signature"] = json!(base64::Engine::encode(&base64::engine::general_purpose::STANDARD, signature));
    message
}

/// An SNS notification of the SES event `event`, signed.
fn ses_notification(id: &str, event: &Value) -> Value {
    sns_sign(
        json!({ "Type": "Notification", "MessageId": id, "TopicArn": TOPIC, "Message": event.to_string(),
                "Timestamp": "2025-11-03T12:00:00.000Z", "SigningCertURL": SNS_CERT_URL }),
        "2",
    )
}

fn ses_event(kind: &str, send: &str, part: &str, body: Value) -> Value {
    let mut event = json!({ "eventType": kind, "mail": { "timestamp": "2025-11-03T09:00:00.000Z",
                                                          "tags": { "send_id": [send] } } });
    if part != "mail" {
        event[part] = body;
    }
    event
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn send(db: &DatabaseConnection, id: &str) -> email_sends::Model {
    email_sends::Entity::find_by_id(id.parse::<Uuid>().unwrap()).one(db).await.unwrap().unwrap()
}

fn postmark_server(db: &DatabaseConnection, credentials: &PostmarkCredentials) -> campaign_performance::AppState {
    let webhooks = Webhooks { postmark: Some(credentials.clone()), ..Default::default() };
    test_state(db, Default::default()).with_webhooks(webhooks)
}

fn mailgun_server(db: &DatabaseConnection, key: &MailgunKey) -> campaign_performance::AppState {
    let webhooks = Webhooks { mailgun: Some(key.clone()), ..Default::default() };
    test_state(db, Default::default()).with_webhooks(webhooks)
}

/// A Mailgun body: `event` under a signature of `key`, made at `signed_at` with a new token.
fn mailgun_body(key: &MailgunKey, event: &Value, signed_at: DateTime<Utc>) -> Vec<u8> {
    let signature = key.sign(&signed_at.timestamp().to_string(), &Uuid::new_v4().simple().to_string());
    let signature =
        json!({ "timestamp": signature.timestamp, "token": signature.token, "signature": signature.signature });
    serde_json::to_vec(&json!({ "signature": signature, "event-data": event })).unwrap()
}

/// The sample's `event-data`.
fn mailgun_sample_event() -> Value {
    serde_json::from_slice::<Value>(MAILGUN_SAMPLE).unwrap()["event-data"].clone()
}

fn mailgun_event(id: &str, event: &str, seconds: f64, send: &str, extra: Value) -> Value {
    let mut e = json!({ "id": id, "event": event, "timestamp": seconds, "user-variables": { "send_id": send } });
    e.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    e
}

/// The samples' story, whichever provider told it: the first send delivered, opened by Apple's
/// proxy, then clicked by a person (the click is its first human open); the second bounced.
async fn assert_the_samples_story(
    db: &DatabaseConnection,
    campaign: Uuid,
    [delivered_at, opened_at, clicked_at]: [&str; 3],
    bounce_reason: &str,
) {
    let delivered = send(db, DELIVERED_SEND).await;
    assert_eq!(delivered.status, SendStatus::Delivered);
    assert_eq!(
        (delivered.delivered_at, delivered.opened_at, delivered.clicked_at),
        (Some(at(delivered_at)), Some(at(opened_at)), Some(at(clicked_at))),
        "to the microsecond"
    );
    assert_eq!(delivered.human_opened_at, delivered.clicked_at, "the open was Apple's proxy");
    let bounced = send(db, BOUNCED_SEND).await;
    assert_eq!((bounced.status, bounced.bounce_reason.as_deref()), (SendStatus::Bounced, Some(bounce_reason)));
    let figures = performance(db, campaign).await;
    assert_eq!(
        figures["performance"],
        json!({"totalEmailsSent": 2, "emailsDelivered": 1, "emailsOpened": 1, "emailsHumanOpened": 1,
               "emailsClicked": 1, "emailsBounced": 1, "orderRevenue": "0.00", "pendingRevenue": "0.00",
               "totalRevenue": "0.00"})
    );
    assert_eq!(figures["human"], json!({"emailsOpened": 1, "openRate": 100.0}));
}

db_test!(the_postmark_samples_apply_once_with_its_credentials_and_nothing_without_them, |db| {
    let (_, _, campaign) = sample_campaign(&db).await;
    let credentials = PostmarkCredentials::new("postmark:correct-horse").unwrap();
    let url = format!("{}/webhooks/postmark", serve(postmark_server(&db, &credentials)).await);
    let good = vec![("authorization", credentials.header())];

    // Without or with wrong credentials: 401, nothing stored.
    let wrong = PostmarkCredentials::new("postmark:battery-staple").unwrap();
    for headers in [vec![], vec![("authorization", wrong.header())], vec![("authorization", "Bearer x".to_owned())]] {
        let (status, body) = post(&url, POSTMARK[0], &headers).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    assert_eq!(event_rows(&db).await, 0, "a refused record stores nothing");

    // Malformed bodies: 400 with the reason; a record without our send id: kept aside, 200.
    for (body, reason) in [(&b"{not json"[..], "not JSON"), (b"42", "not a Postmark webhook record")] {
        let (status, answer) = post(&url, body, &good).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["errors"][0]["message"].as_str().unwrap().contains(reason), "{answer}");
    }
    let anonymous = json!({ "RecordType": "Open", "MessageID": "m-1", "ReceivedAt": "2025-11-03T09:30:00Z" });
    let (status, answer) = post(&url, anonymous.to_string().as_bytes(), &good).await;
    assert_eq!((status, answer["quarantined"].clone()), (200, json!(1)), "{answer}");

    // Each sample with the credentials: applied; again: a repeat.
    for sample in POSTMARK {
        let (status, answer) = post(&url, sample, &good).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer, json!({"received": 1, "applied": 1, "duplicates": 0, "stale": 0, "quarantined": 0}));
        let (status, answer) = post(&url, sample, &good).await;
        assert_eq!((status, answer["duplicates"].clone()), (200, json!(1)), "{answer}");
    }
    assert_eq!(event_rows(&db).await, 4);

    let times = ["2025-11-03T09:00:05.273539Z", "2025-11-03T09:08:31.442178Z", "2025-11-03T09:18:53.906561Z"];
    let reason = "550 5.1.1 The email account that you tried to reach does not exist.";
    assert_the_samples_story(&db, campaign, times, reason).await;
});

db_test!(mailgun_events_apply_when_signed_fresh_and_once_and_nothing_otherwise, |db| {
    let (_, _, campaign) = sample_campaign(&db).await;
    let key = MailgunKey::new("key-4f7c0e1d2b3a");
    let url = format!("{}/webhooks/mailgun", serve(mailgun_server(&db, &key)).await);
    let now = Utc::now();
    let click = mailgun_sample_event();
    let refused = |status: u16, answer: &Value, why: &str| {
        assert_eq!(status, 401, "{why}: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{why}");
    };

    // The sample as it is (its signature is not one of this key's), unsigned, signed by
    // another key, and signed too long ago or ahead: 401, nothing stored.
    let (status, answer) = post(&url, MAILGUN_SAMPLE, &[]).await;
    refused(status, &answer, "the sample's own signature");
    let unsigned = serde_json::to_vec(&json!({ "event-data": click })).unwrap();
    let (status, answer) = post(&url, &unsigned, &[]).await;
    refused(status, &answer, "no signature");
    let (status, answer) = post(&url, &mailgun_body(&MailgunKey::new("other"), &click, now), &[]).await;
    refused(status, &answer, "another key");
    for skew in [Duration::minutes(-16), Duration::minutes(16)] {
        let (status, answer) = post(&url, &mailgun_body(&key, &click, now + skew), &[]).await;
        refused(status, &answer, "stale");
        assert!(answer["errors"][0]["message"].as_str().unwrap().contains("15 minutes"), "{answer}");
    }
    assert_eq!(event_rows(&db).await, 0);

    // Malformed: 400 with the reason.
    for (body, reason) in [(&b"[1, 2"[..], "not JSON"), (br#"{"signature": {}}"#, "event-data")] {
        let (status, answer) = post(&url, body, &[]).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer["errors"][0]["message"].as_str().unwrap().contains(reason), "{answer}");
    }

    // Signed and fresh: applied. Its signature again, even around another event: refused.
    let signed = mailgun_body(&key, &click, now);
    let (status, answer) = post(&url, &signed, &[]).await;
    assert_eq!((status, answer["applied"].clone()), (200, json!(1)), "{answer}");
    let (status, answer) = post(&url, &signed, &[]).await;
    refused(status, &answer, "the same body again");
    let mut replayed: Value = serde_json::from_slice(&signed).unwrap();
    replayed["event-data"] =
        mailgun_event("forged", "delivered", 1_762_160_405.0, BOUNCED_SEND, json!({ "severity": "permanent" }));
    let (status, answer) = post(&url, replayed.to_string().as_bytes(), &[]).await;
    refused(status, &answer, "a used signature around another event");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("already used"), "{answer}");
    assert_eq!(event_rows(&db).await, 1);

    // The same event under a new signature (Mailgun's retry): a repeat.
    let (status, answer) = post(&url, &mailgun_body(&key, &click, now), &[]).await;
    assert_eq!((status, answer["duplicates"].clone()), (200, json!(1)), "{answer}");

    // The rest of the sample's story: delivered, opened by Apple's proxy, a permanent failure.
    let apple = json!({ "ip": "17.58.101.44", "client-info": { "user-agent": "Mozilla/5.0" } });
    let failure = json!({ "severity": "permanent", "delivery-status": { "code": 550,
        "description": "", "message": "5.1.1 The email account that you tried to reach does not exist." } });
    for event in [
        mailgun_event("d-1", "delivered", 1_762_160_405.25, DELIVERED_SEND, json!({})),
        mailgun_event("o-1", "opened", 1_762_160_911.5, DELIVERED_SEND, apple),
        mailgun_event("f-1", "failed", 1_762_160_409.0, BOUNCED_SEND, failure),
    ] {
        let (status, answer) = post(&url, &mailgun_body(&key, &event, now), &[]).await;
        assert_eq!((status, answer["applied"].clone()), (200, json!(1)), "{answer}");
    }
    let times = ["2025-11-03T09:00:05.250Z", "2025-11-03T09:08:31.500Z", "2025-11-03T09:18:53.482117Z"];
    let reason = "5.1.1 The email account that you tried to reach does not exist.";
    assert_the_samples_story(&db, campaign, times, reason).await;
});

db_test!(ses_notifications_through_sns_apply_when_signed_by_the_topics_certificate_and_nothing_otherwise, |db| {
    let (_, _, campaign) = sample_campaign(&db).await;
    let webhooks = Webhooks { ses: Some(ses_topics()), ..Default::default() };
    let url = format!("{}/webhooks/ses", serve(test_state(&db, Default::default()).with_webhooks(webhooks)).await);
    let sample: Value = serde_json::from_slice(SES_SAMPLE).unwrap();
    let refused = |status: u16, answer: &Value, code: u16, why: &str| {
        assert_eq!(status, code, "{why}: {answer}");
    };

    // The sample as it is (its signature is made up), altered after signing, from another
    // topic, signed under a certificate URL that is not SNS's: refused, nothing stored.
    let (status, answer) = post(&url, SES_SAMPLE, &[]).await;
    refused(status, &answer, 401, "the sample's own signature");
    let mut altered = sns_sign(sample.clone(), "2");
    altered["Message"] = json!(altered["Message"].as_str().unwrap().replace("Click", "Open"));
    let (status, answer) = post(&url, altered.to_string().as_bytes(), &[]).await;
    refused(status, &answer, 401, "altered after signing");
    let mut other_topic = sample.clone();
    other_topic["TopicArn"] = json!("arn:aws:sns:eu-west-1:999999999999:someone-else");
    let (status, answer) = post(&url, sns_sign(other_topic, "2").to_string().as_bytes(), &[]).await;
    refused(status, &answer, 403, "another topic");
    let mut elsewhere = sample.clone();
    elsewhere["SigningCertURL"] = json!("https://evil.example/SimpleNotificationService-0.pem");
    let (status, answer) = post(&url, sns_sign(elsewhere, "2").to_string().as_bytes(), &[]).await;
    refused(status, &answer, 401, "a certificate URL off SNS");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("SigningCertURL"), "{answer}");
    let (status, answer) = post(&url, b"{\"Type\": 1}", &[]).await;
    refused(status, &answer, 400, "not an SNS message");
    assert_eq!(event_rows(&db).await, 0);

    // Signed (SHA-256): applied once; SNS's retry (same MessageId) is a repeat.
    let signed = sns_sign(sample.clone(), "2").to_string();
    let (status, answer) = post(&url, signed.as_bytes(), &[]).await;
    assert_eq!((status, answer["applied"].clone()), (200, json!(1)), "{answer}");
    let (status, answer) = post(&url, signed.as_bytes(), &[]).await;
    assert_eq!((status, answer["duplicates"].clone()), (200, json!(1)), "{answer}");

    // The rest of the story, one signed with SHA-1 (SignatureVersion 1): delivered, opened by
    // Apple's proxy, the other send bounced for good; a message that is not an SES event is
    // kept aside.
    let delivery =
        ses_event("Delivery", DELIVERED_SEND, "delivery", json!({ "timestamp": "2025-11-03T09:00:05.120Z" }));
    let open = ses_event(
        "Open",
        DELIVERED_SEND,
        "open",
        json!({ "timestamp": "2025-11-03T09:08:31.000Z", "ipAddress": "17.58.101.44", "userAgent": "Mozilla/5.0" }),
    );
    let bounce = ses_event(
        "Bounce",
        BOUNCED_SEND,
        "bounce",
        json!({ "timestamp": "2025-11-03T09:00:09.000Z",
        "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{ "emailAddress": "old.address@example.net", "diagnosticCode": "smtp; 550 5.1.1 user unknown" }] }),
    );
    let sha1 = sns_sign(ses_notification("n-1", &delivery), "1");
    for (body, outcome) in [
        (sha1, "applied"),
        (ses_notification("n-2", &open), "applied"),
        (ses_notification("n-3", &bounce), "applied"),
        (ses_notification("n-4", &json!("not an event")), "quarantined"),
    ] {
        let (status, answer) = post(&url, body.to_string().as_bytes(), &[]).await;
        assert_eq!((status, answer[outcome].clone()), (200, json!(1)), "{answer}");
    }
    let times = ["2025-11-03T09:00:05.120Z", "2025-11-03T09:08:31Z", "2025-11-03T09:18:53.570Z"];
    assert_the_samples_story(&db, campaign, times, "550 5.1.1 user unknown").await;

    // A subscription confirmation, signed: accepted (confirmed by visiting SNS); one whose
    // SubscribeURL leads off SNS is not visited.
    let confirmation = |subscribe: &str| {
        sns_sign(
            json!({ "Type": "SubscriptionConfirmation", "MessageId": "c-1", "TopicArn": TOPIC, "Token": "t0k3n",
                    "Message": "You have chosen to subscribe to the topic.", "SubscribeURL": subscribe,
                    "Timestamp": "2025-11-03T08:00:00.000Z", "SigningCertURL": SNS_CERT_URL }),
            "2",
        )
    };
    let subscribe = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=x&Token=t0k3n";
    let (status, answer) = post(&url, confirmation(subscribe).to_string().as_bytes(), &[]).await;
    assert_eq!((status, answer["subscription"].clone()), (200, json!("confirming")), "{answer}");
    let (status, answer) = post(&url, confirmation("https://internal.example/admin").to_string().as_bytes(), &[]).await;
    refused(status, &answer, 400, "a SubscribeURL off SNS");
    assert_eq!(event_rows(&db).await, 4);
});

/// One provider's stream of events about two sends (`first` delivered and engaged, `second`
/// bounced: a complaint would prove it delivered): every kind it maps, machine and human
/// opens, repeats of a kind at other times, a record it does not count. Postmark's bounce ids
/// are unique across messages: `ids` offsets them.
fn postmark_stream(first: &str, second: &str, tag: &str, ids: u64) -> Vec<Value> {
    let meta = |send: &str| json!({ "send_id": send });
    let apple = json!({ "IP": "17.1.2.3" });
    let elsewhere = json!({ "IP": "203.0.113.9" });
    vec![
        json!({ "RecordType": "Delivery", "MessageID": format!("{tag}-1"), "DeliveredAt": "2025-11-03T09:00:05.1234567Z", "Metadata": meta(first) }),
        json!({ "RecordType": "Open", "MessageID": format!("{tag}-1"), "ReceivedAt": "2025-11-03T09:02:00Z", "UserAgent": "Mozilla/5.0", "Geo": apple, "Metadata": meta(first) }),
        json!({ "RecordType": "Open", "MessageID": format!("{tag}-1"), "ReceivedAt": "2025-11-03T10:15:00Z", "UserAgent": "Mozilla/5.0 (Macintosh)", "Geo": elsewhere, "Metadata": meta(first) }),
        json!({ "RecordType": "Open", "MessageID": format!("{tag}-1"), "ReceivedAt": "2025-11-03T09:45:00Z", "UserAgent": "Mozilla/5.0 (iPhone)", "Geo": elsewhere, "Metadata": meta(first) }),
        json!({ "RecordType": "Click", "MessageID": format!("{tag}-1"), "ReceivedAt": "2025-11-03T11:00:00Z", "OriginalLink": "https://shop.example/a", "Metadata": meta(first) }),
        json!({ "RecordType": "Click", "MessageID": format!("{tag}-1"), "ReceivedAt": "2025-11-03T09:50:00Z", "OriginalLink": "https://shop.example/b", "Metadata": meta(first) }),
        json!({ "RecordType": "Bounce", "ID": ids + 1, "Type": "SoftBounce", "MessageID": format!("{tag}-2"), "BouncedAt": "2025-11-03T09:00:03Z", "Details": "smtp;421 try later", "Metadata": meta(second) }),
        json!({ "RecordType": "Bounce", "ID": ids + 2, "Type": "HardBounce", "MessageID": format!("{tag}-2"), "BouncedAt": "2025-11-03T09:10:00Z", "Details": "smtp;550 no such user", "Metadata": meta(second) }),
        json!({ "RecordType": "SpamComplaint", "ID": ids + 3, "MessageID": format!("{tag}-1"), "BouncedAt": "2025-11-03T12:00:00Z", "Metadata": meta(first) }),
        json!({ "RecordType": "Bounce", "ID": ids + 4, "Type": "AutoResponder", "MessageID": format!("{tag}-2"), "BouncedAt": "2025-11-03T09:20:00Z", "Metadata": meta(second) }),
    ]
}

fn ses_stream(first: &str, second: &str) -> Vec<Value> {
    let t = |minutes: u32| format!("2025-11-03T{:02}:{:02}:00.250Z", 9 + minutes / 60, minutes % 60);
    let at = |minutes: u32| json!({ "timestamp": t(minutes) });
    let open =
        |minutes: u32, ip: &str, agent: &str| json!({ "timestamp": t(minutes), "ipAddress": ip, "userAgent": agent });
    let bounce = |minutes: u32, kind: &str| {
        json!({ "timestamp": t(minutes), "bounceType": kind,
        "bouncedRecipients": [{ "diagnosticCode": format!("smtp; {kind}") }] })
    };
    vec![
        ses_event("Send", first, "mail", json!({})),
        ses_event("Delivery", first, "delivery", at(1)),
        ses_event("Open", first, "open", open(2, "17.1.2.3", "Mozilla/5.0")),
        ses_event("Open", first, "open", open(75, "203.0.113.9", "Mozilla/5.0 (iPhone)")),
        ses_event("Open", first, "open", open(45, "203.0.113.9", "Mozilla/5.0 (Macintosh)")),
        ses_event("Click", first, "click", json!({ "timestamp": t(120), "link": "https://shop.example/a" })),
        ses_event("Click", first, "click", json!({ "timestamp": t(50), "link": "https://shop.example/b" })),
        ses_event("Complaint", first, "complaint", at(180)),
        ses_event("Bounce", second, "bounce", bounce(3, "Transient")),
        ses_event("Bounce", second, "bounce", bounce(10, "Permanent")),
        ses_event("DeliveryDelay", second, "deliveryDelay", at(1)),
        ses_event("Mystery", second, "mail", json!({})),
    ]
}

fn mailgun_stream(first: &str, second: &str, tag: &str) -> Vec<Value> {
    let id = |n: u32| format!("{tag}-{n}");
    let apple = json!({ "ip": "17.1.2.3", "client-info": { "user-agent": "Mozilla/5.0" } });
    let person = json!({ "ip": "203.0.113.9", "client-info": { "user-agent": "Mozilla/5.0 (iPhone)" } });
    let t = |minutes: f64| 1_762_160_400.0 + minutes * 60.0 + 0.125;
    vec![
        mailgun_event(&id(1), "accepted", t(0.0), first, json!({})),
        mailgun_event(&id(2), "delivered", t(0.1), first, json!({})),
        mailgun_event(&id(3), "opened", t(2.0), first, apple),
        mailgun_event(&id(4), "opened", t(75.0), first, person.clone()),
        mailgun_event(&id(5), "opened", t(45.0), first, person),
        mailgun_event(&id(6), "clicked", t(120.0), first, json!({ "url": "https://shop.example/a" })),
        mailgun_event(&id(7), "clicked", t(50.0), first, json!({ "url": "https://shop.example/b" })),
        mailgun_event(&id(8), "unsubscribed", t(130.0), first, json!({})),
        mailgun_event(&id(9), "failed", t(0.05), second, json!({ "severity": "temporary", "reason": "greylisted" })),
        mailgun_event(&id(10), "failed", t(10.0), second, json!({ "severity": "permanent", "reason": "bounce" })),
        mailgun_event(&id(11), "complained", t(180.0), first, json!({})),
        mailgun_event(&id(12), "list_member_uploaded", t(1.0), second, json!({})),
    ]
}

/// The send's merged state, as a comparable value.
async fn state(db: &DatabaseConnection, id: Uuid) -> Value {
    let s = email_sends::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    json!([format!("{:?}", s.status), s.delivered_at, s.opened_at, s.human_opened_at, s.clicked_at, s.bounce_reason])
}

db_test!(postmark_mailgun_and_ses_events_shuffled_and_repeated_give_the_figures_of_the_in_order_replay, |db| {
    let brand = retailer("Maison", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let shop = retailer("Boutique Paris", Region::East).insert(&*db).await;
    let credentials = PostmarkCredentials::new("postmark:correct-horse").unwrap();
    let key = MailgunKey::new("key-4f7c0e1d2b3a");
    let webhooks = Webhooks {
        postmark: Some(credentials.clone()),
        mailgun: Some(key.clone()),
        ses: Some(ses_topics()),
        ..Default::default()
    };
    let server = serve(test_state(&db, Default::default()).with_webhooks(webhooks)).await;
    let auth = vec![("authorization", credentials.header())];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(21);

    for provider in ["postmark", "mailgun", "ses"] {
        // Campaign A gets the stream in order, once each; campaign B the same events about
        // its own sends, shuffled, a third of them twice.
        let mut campaigns = Vec::new();
        for (run, shuffled) in [("in-order", false), ("shuffled", true)] {
            let sends = [Uuid::new_v4(), Uuid::new_v4()];
            let recipients = sends.map(|s| (s, format!("{s}@example.com")));
            let campaign = campaign_with_sends(&db, &brand, &shop, &format!("{provider}-{run}"), &recipients).await;
            let (first, second) = (sends[0].to_string(), sends[1].to_string());
            let tag = format!("{provider}-{run}");
            let mut stream = match provider {
                "postmark" => postmark_stream(&first, &second, &tag, if shuffled { 100 } else { 0 }),
                "mailgun" => mailgun_stream(&first, &second, &tag),
                // SNS's message ids, unique per notification: the event's place in the stream.
                _ => (ses_stream(&first, &second).into_iter().enumerate())
                    .map(|(i, e)| json!({ "id": format!("{tag}-{i}"), "event": e }))
                    .collect(),
            };
            if shuffled {
                let repeats: Vec<Value> = stream.iter().step_by(3).cloned().collect();
                stream.extend(repeats);
                stream.shuffle(&mut rng);
            }
            let url = format!("{server}/webhooks/{provider}");
            for event in &stream {
                let (body, headers) = match provider {
                    "postmark" => (event.to_string().into_bytes(), auth.clone()),
                    "mailgun" => (mailgun_body(&key, event, Utc::now()), vec![]),
                    _ => {
                        let id = event["id"].as_str().unwrap();
                        (ses_notification(id, &event["event"]).to_string().into_bytes(), vec![])
                    }
                };
                let (status, answer) = post(&url, &body, &headers).await;
                assert_eq!(status, 200, "{provider} {run}: {answer}");
            }
            campaigns.push((campaign, sends));
        }
        let [(in_order, a), (shuffled, b)] = <[_; 2]>::try_from(campaigns).unwrap();
        let figures = performance(&db, in_order).await;
        assert_eq!(figures["performance"]["emailsClicked"], 1, "{provider}: {figures}");
        assert_eq!(figures["performance"]["emailsBounced"], 1, "{provider}: {figures}");
        assert_eq!(figures["performance"]["emailsHumanOpened"], 1, "{provider}: {figures}");
        assert_eq!(figures, performance(&db, shuffled).await, "{provider}");
        for (x, y) in a.into_iter().zip(b) {
            assert_eq!(state(&db, x).await, state(&db, y).await, "{provider}");
        }
    }
    assert_eq!(campaign_performance::analytics::rollups::verify(&*db).await.unwrap(), vec![]);
});
