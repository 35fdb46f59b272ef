//! `generate --sends N`: a realistic synthetic data set of any size, for benchmarks and for
//! trying the server at scale. Deterministic for a seed. Sends go in chunks: on PostgreSQL
//! by `COPY … FROM STDIN` (CSV), on SQLite by multi-row inserts, each chunk in its own
//! transaction so memory stays flat whatever N is.

use crate::services::campaigns::utm_code_from;
use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::enums::{CampaignStatus, ConversionType, OrderStatus, ProductCategory, Region, SendStatus, UserType};
use entity::{Money, campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, IntoActiveModel, TransactionTrait};
use uuid::Uuid;

/// Sends per chunk (one COPY or one transaction of inserts).
const CHUNK: usize = 50_000;
/// Rows per multi-row INSERT.
const INSERT_ROWS: usize = 1_000;
const REGIONS: [Region; 5] = [Region::East, Region::Central, Region::West, Region::North, Region::South];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub sends: u64,
    /// Campaigns (3 emails each); 0 picks one per 250,000 sends, at least 4.
    pub campaigns: usize,
    /// Retailers; 0 picks one per 20,000 sends, between 15 and 500.
    pub retailers: usize,
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generated {
    pub retailers: usize,
    pub campaigns: usize,
    pub email_campaigns: usize,
    pub sends: u64,
    pub conversions: u64,
    pub orders: u64,
}

fn id(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// Fills the database (which should hold no campaigns yet) with `plan`'s data set.
pub async fn generate(db: &DatabaseConnection, plan: &Plan, progress: impl Fn(u64)) -> Result<Generated, DbErr> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.seed);
    let retailers_n = if plan.retailers > 0 { plan.retailers } else { ((plan.sends / 20_000) as usize).clamp(15, 500) };
    let campaigns_n = if plan.campaigns > 0 { plan.campaigns } else { ((plan.sends / 250_000) as usize).max(4) };
    let start = Utc.with_ymd_and_hms(2024, 1, 8, 9, 0, 0).single().expect("valid date");

    let brand_id = id(&mut rng);
    let mut people = vec![users::Model {
        id: brand_id,
        email: format!("brand-{}@generated.example", plan.seed),
        name: "Generated Brand".into(),
        user_type: UserType::Brand,
        region: None,
        created_at: start,
        updated_at: start,
        is_active: true,
    }];
    let retailer_ids: Vec<Uuid> = (0..retailers_n).map(|_| id(&mut rng)).collect();
    for (i, rid) in retailer_ids.iter().enumerate() {
        people.push(users::Model {
            id: *rid,
            email: format!("retailer{i}-{}@generated.example", plan.seed),
            name: format!("Retailer {i:03}"),
            user_type: UserType::Retailer,
            region: Some(REGIONS[i % REGIONS.len()]),
            created_at: start,
            updated_at: start,
            is_active: true,
        });
    }
    insert(db, people).await?;

    let mut camps = Vec::new();
    let mut emails = Vec::new();
    for c in 0..campaigns_n {
        let begins = start + Duration::days(7 * c as i64 % 700);
        let allocated = rng.random_range(20_000..150_000) * 100;
        let status =
            [CampaignStatus::Active, CampaignStatus::Completed, CampaignStatus::Paused, CampaignStatus::Draft][c % 4];
        let name = format!("Generated campaign {c} ({})", plan.seed);
        let campaign_id = id(&mut rng);
        camps.push(campaigns::Model {
            id: campaign_id,
            utm_code: Some(utm_code_from(&name)),
            name,
            description: Some("Synthetic data from `generate`.".into()),
            status,
            start_date: Some(begins),
            end_date: Some(begins + Duration::days(31)),
            budget_allocated: Some(Money::from_cents(allocated)),
            budget_spent: Money::from_cents(allocated * rng.random_range(20..95) / 100),
            created_by: Some(brand_id),
            created_at: begins - Duration::days(14),
            updated_at: begins - Duration::days(14),
        });
        for e in 0..3 {
            let sent_at = begins + Duration::days(7 * e);
            emails.push(email_campaigns::Model {
                id: id(&mut rng),
                campaign_id: Some(campaign_id),
                subject: format!("Campaign {c}, email {}", e + 1),
                content: None,
                sender_email: "news@generated.example".into(),
                sender_name: Some("Generated Brand".into()),
                sent_at: Some(sent_at),
                total_recipients: 0,
                created_at: sent_at - Duration::days(2),
            });
        }
    }
    // Each email's share of the sends, in order; the remainder goes to the first ones.
    let per_email = plan.sends / emails.len() as u64;
    let extra = plan.sends % emails.len() as u64;
    for (i, e) in emails.iter_mut().enumerate() {
        e.total_recipients = (per_email + u64::from((i as u64) < extra)).min(i32::MAX as u64) as i32;
    }
    insert(db, camps.clone()).await?;
    insert(db, emails.clone()).await?;

    let mut made = Generated {
        retailers: retailers_n,
        campaigns: campaigns_n,
        email_campaigns: emails.len(),
        ..Default::default()
    };
    let mut clicked: Vec<(Uuid, Uuid, Uuid, DateTime<Utc>)> = Vec::new(); // (campaign, retailer, send, at)
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut n: u64 = 0;
    for e in &emails {
        let sent_base = e.sent_at.expect("generated emails have a send time");
        for _ in 0..e.total_recipients {
            let retailer = retailer_ids[(n % retailers_n as u64) as usize];
            let sent_at = sent_base + Duration::seconds(rng.random_range(0..7_200));
            let roll: f64 = rng.random();
            let (status, delivered_at, bounce_reason) = if roll < 0.98 {
                (SendStatus::Delivered, Some(sent_at + Duration::seconds(rng.random_range(1..600))), None)
            } else if roll < 0.995 {
                (SendStatus::Bounced, None, Some("550 5.1.1 mailbox unavailable".to_owned()))
            } else {
                (SendStatus::Failed, None, Some("554 5.7.1 rejected".to_owned()))
            };
            let (mut opened_at, mut human_opened_at, mut clicked_at) = (None, None, None);
            if let Some(d) = delivered_at
                && rng.random_bool(0.43)
            {
                let at = d + Duration::minutes(rng.random_range(1..4_000));
                opened_at = Some(at);
                // About a third of opens are Apple Mail Privacy Protection fetches.
                if rng.random_bool(0.66) {
                    human_opened_at = Some(at);
                }
                if rng.random_bool(0.074) {
                    let c = at + Duration::minutes(rng.random_range(1..120));
                    clicked_at = Some(c);
                    human_opened_at = human_opened_at.or(Some(c));
                }
            }
            let send_id = id(&mut rng);
            if let Some(c) = clicked_at {
                clicked.push((e.campaign_id.expect("generated emails have a campaign"), retailer, send_id, c));
            }
            chunk.push(email_sends::Model {
                id: send_id,
                email_campaign_id: Some(e.id),
                retailer_id: Some(retailer),
                recipient_email: format!("client{n}@mail.example"),
                recipient_name: None,
                sent_at,
                delivered_at,
                opened_at,
                clicked_at,
                status,
                bounce_reason,
                human_opened_at,
            });
            n += 1;
            if chunk.len() == CHUNK {
                write_sends(db, std::mem::take(&mut chunk)).await?;
                progress(n);
            }
        }
    }
    if !chunk.is_empty() {
        write_sends(db, chunk).await?;
        progress(n);
    }
    made.sends = n;

    // Revenue follows clicks: one click in ten converts in the CRM, one in twenty orders online.
    let mut conversions = Vec::new();
    let mut orders = Vec::new();
    for (i, (campaign, retailer, send, at)) in clicked.iter().enumerate() {
        if i % 10 == 0 {
            let kind =
                [ConversionType::Sale, ConversionType::Sale, ConversionType::Lead, ConversionType::Signup][i % 4];
            let cents = match kind {
                ConversionType::Sale => rng.random_range(2_000..10_000) * 100,
                ConversionType::Lead => rng.random_range(500..2_000) * 100,
                _ => rng.random_range(100..400) * 100,
            };
            let date = *at + Duration::hours(rng.random_range(1..96));
            conversions.push(crm_conversions::Model {
                id: id(&mut rng),
                campaign_id: Some(*campaign),
                retailer_id: Some(*retailer),
                email_send_id: Some(*send),
                conversion_type: Some(kind),
                conversion_value: Some(Money::from_cents(cents)),
                conversion_date: date,
                product_category: Some(
                    [
                        ProductCategory::Necklaces,
                        ProductCategory::Bracelets,
                        ProductCategory::Earrings,
                        ProductCategory::Rings,
                    ][i % 4],
                ),
                created_at: date,
                source: None,
                external_id: None,
            });
        }
        if i % 20 == 5 {
            let date = *at + Duration::hours(rng.random_range(1..48));
            orders.push(ecommerce_orders::Model {
                id: id(&mut rng),
                campaign_id: Some(*campaign),
                retailer_id: Some(*retailer),
                order_value: Some(Money::from_cents(rng.random_range(1_000..6_000) * 100)),
                order_date: date,
                product_count: rng.random_range(1..4),
                order_status: [
                    OrderStatus::Completed,
                    OrderStatus::Completed,
                    OrderStatus::Completed,
                    OrderStatus::Pending,
                    OrderStatus::Refunded,
                ][i % 5],
                attributed_to_email: i % 5 != 0,
                created_at: date,
                source: None,
                external_id: None,
                source_updated_at: None,
            });
        }
    }
    made.conversions = conversions.len() as u64;
    made.orders = orders.len() as u64;
    insert(db, conversions).await?;
    insert(db, orders).await?;
    Ok(made)
}

/// Inserts models in multi-row statements, in one transaction.
async fn insert<M>(db: &DatabaseConnection, models: Vec<M>) -> Result<(), DbErr>
where
    M: IntoActiveModel<<<M as sea_orm::ModelTrait>::Entity as EntityTrait>::ActiveModel> + sea_orm::ModelTrait,
    <<M as sea_orm::ModelTrait>::Entity as EntityTrait>::ActiveModel: ActiveModelTrait + Send,
{
    let txn = db.begin().await?;
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(INSERT_ROWS).map(IntoActiveModel::into_active_model).collect();
        <M as sea_orm::ModelTrait>::Entity::insert_many(chunk).exec_without_returning(&txn).await?;
    }
    txn.commit().await
}

/// One chunk of sends: `COPY` on PostgreSQL, multi-row inserts on SQLite.
async fn write_sends(db: &DatabaseConnection, rows: Vec<email_sends::Model>) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    if db.get_database_backend() != DbBackend::Postgres {
        return insert(db, rows).await;
    }
    use sea_orm::sqlx::postgres::PgPoolCopyExt;
    let err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("COPY of generated sends failed: {e}"));
    let mut csv = String::with_capacity(rows.len() * 200);
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for s in &rows {
        let quoted = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        let line = [
            s.id.to_string(),
            s.email_campaign_id.map(|v| v.to_string()).unwrap_or_default(),
            s.retailer_id.map(|v| v.to_string()).unwrap_or_default(),
            quoted(&s.recipient_email),
            s.recipient_name.as_deref().map(quoted).unwrap_or_default(),
            time(Some(s.sent_at)),
            time(s.delivered_at),
            time(s.opened_at),
            time(s.clicked_at),
            sea_orm::ActiveEnum::to_value(&s.status),
            s.bounce_reason.as_deref().map(quoted).unwrap_or_default(),
            time(s.human_opened_at),
        ]
        .join(",");
        csv.push_str(&line);
        csv.push('\n');
    }
    let mut copy = db
        .get_postgres_connection_pool()
        .copy_in_raw(
            "COPY email_sends (id, email_campaign_id, retailer_id, recipient_email, recipient_name, sent_at, \
             delivered_at, opened_at, clicked_at, status, bounce_reason, human_opened_at) FROM STDIN WITH (FORMAT csv)",
        )
        .await
        .map_err(err)?;
    copy.send(csv.into_bytes()).await.map_err(err)?;
    copy.finish().await.map_err(err)?;
    Ok(())
}
