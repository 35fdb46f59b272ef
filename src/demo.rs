//! The deterministic demo data set: the spec's sample, exactly as errata.md states it.
//!
//! Marco Bicego New 2025 Campaign: 15 retailers (5 East, 5 Central, 5 West), 3 email
//! campaigns, 27,037 sends, 98% delivered, 43% opened and 3.2% clicked (of delivered),
//! $41,500.00 revenue on $33,500.00 spent (ROI 23.9%, ROAS 1.24, tier Standard); top
//! retailers by click rate Cartier Rodeo Drive 4.8%, Betteridge NY 4.2%, Tiffany & Co Fifth
//! Ave 3.9% with $8,500.00, $7,200.00 and $6,800.00. Plus the spec's three other campaigns
//! with their budgets and statuses, and an administrator beside the spec's brand user.
//! Every id and time comes from a fixed seed, so every run on every backend produces the
//! same rows.

use crate::services::campaigns::utm_code_from;
use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::enums::{CampaignStatus, ConversionType, OrderStatus, ProductCategory, Region, SendStatus, UserType};
use entity::{Money, campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use uuid::Uuid;

/// The seed behind every id, time and name of the demo data.
pub const SEED: u64 = 20_250_114;
/// Rows per multi-row INSERT: well under both backends' bind-parameter limits.
const INSERT_CHUNK: usize = 1000;

/// The brand user who created the demo campaigns.
pub const BRAND_EMAIL: &str = "marketing@marcobicego.example";
/// The demo's administrator.
pub const ADMIN_EMAIL: &str = "admin@campaign-performance.example";
/// The retailer whose token the demo start prints.
pub const RETAILER_EMAIL: &str = "partners@cartierrodeodrive.example";
pub const SAMPLE_CAMPAIGN: &str = "Marco Bicego New 2025 Campaign";

/// A retailer of the sample campaign: name, region, sends, delivered, opened, clicked.
pub type RetailerFigures = (&'static str, Region, i64, i64, i64, i64);

/// Per retailer of the sample campaign: name, region, sends, delivered, opened, clicked.
/// Chosen so the campaign's totals and the top three click rates are exactly the errata's.
pub const RETAILERS: [RetailerFigures; 15] = [
    ("Betteridge NY", Region::East, 1803, 1764, 824, 74), // open 46.71% click 4.20%
    ("Tourneau Times Square", Region::East, 1803, 1766, 735, 62), // open 41.62% click 3.51%
    ("Manfredi Jewels", Region::East, 1803, 1763, 698, 46), // open 39.59% click 2.61%
    ("David Yurman Boston", Region::East, 1803, 1769, 773, 55), // open 43.70% click 3.11%
    ("Tiffany & Co Fifth Ave", Region::East, 1803, 1770, 809, 69), // open 45.71% click 3.90%
    ("Bachendorf's Dallas", Region::Central, 1803, 1767, 718, 58), // open 40.63% click 3.28%
    ("Mayors Jewelry", Region::Central, 1803, 1768, 754, 43), // open 42.65% click 2.43%
    ("Fields Jewelers", Region::Central, 1802, 1764, 681, 51), // open 38.61% click 2.89%
    ("Jewelry Design Center", Region::Central, 1802, 1769, 791, 48), // open 44.71% click 2.71%
    ("Luxury Time Chicago", Region::Central, 1802, 1763, 734, 64), // open 41.63% click 3.63%
    ("Cartier Rodeo Drive", Region::West, 1802, 1771, 863, 85), // open 48.73% click 4.80%
    ("Westime LA", Region::West, 1802, 1767, 772, 53),    // open 43.69% click 3.00%
    ("Cellini Beverly Hills", Region::West, 1802, 1765, 753, 44), // open 42.66% click 2.49%
    ("Shreve & Co", Region::West, 1802, 1770, 791, 57),   // open 44.69% click 3.22%
    ("Ben Bridge Jeweler", Region::West, 1802, 1760, 697, 39), // open 39.60% click 2.22%
];

/// The sample campaign's CRM conversions: retailer, type, category, value in cents.
/// Sales and leads are linked to a clicked send of the retailer.
const CONVERSIONS: [(&str, ConversionType, ProductCategory, i64); 9] = [
    ("Cartier Rodeo Drive", ConversionType::Sale, ProductCategory::Necklaces, 520_000),
    ("Betteridge NY", ConversionType::Sale, ProductCategory::Bracelets, 400_000),
    ("Tiffany & Co Fifth Ave", ConversionType::Sale, ProductCategory::Rings, 280_000),
    ("David Yurman Boston", ConversionType::Sale, ProductCategory::Necklaces, 210_000),
    ("Westime LA", ConversionType::Sale, ProductCategory::Rings, 230_000),
    ("Manfredi Jewels", ConversionType::Lead, ProductCategory::Earrings, 150_000),
    ("Luxury Time Chicago", ConversionType::Lead, ProductCategory::Bracelets, 160_000),
    ("Fields Jewelers", ConversionType::Signup, ProductCategory::Earrings, 40_000),
    ("Ben Bridge Jeweler", ConversionType::Signup, ProductCategory::Rings, 40_000),
];

/// The sample campaign's orders: retailer, status, value in cents, items, attributed to email.
/// Only completed orders are revenue (errata E6).
const ORDERS: [(&str, OrderStatus, i64, i32, bool); 14] = [
    ("Cartier Rodeo Drive", OrderStatus::Completed, 330_000, 2, true),
    ("Cartier Rodeo Drive", OrderStatus::Refunded, 240_000, 1, true),
    ("Betteridge NY", OrderStatus::Completed, 320_000, 3, true),
    ("Betteridge NY", OrderStatus::Pending, 150_000, 1, true),
    ("Tiffany & Co Fifth Ave", OrderStatus::Completed, 400_000, 2, false),
    ("Tourneau Times Square", OrderStatus::Completed, 180_000, 1, true),
    ("David Yurman Boston", OrderStatus::Cancelled, 120_000, 1, false),
    ("Bachendorf's Dallas", OrderStatus::Completed, 190_000, 2, true),
    ("Mayors Jewelry", OrderStatus::Completed, 120_000, 1, false),
    ("Fields Jewelers", OrderStatus::Completed, 100_000, 1, true),
    ("Jewelry Design Center", OrderStatus::Completed, 110_000, 1, false),
    ("Cellini Beverly Hills", OrderStatus::Completed, 200_000, 2, true),
    ("Cellini Beverly Hills", OrderStatus::Pending, 300_000, 2, false),
    ("Shreve & Co", OrderStatus::Completed, 170_000, 1, false),
];

const SUBJECTS: [&str; 3] = [
    "✨ Introducing Marco Bicego New 2025 Collection",
    "🎯 Exclusive Retailer Pricing - Marco Bicego 2025",
    "💎 Marco Bicego: Marketing Materials Available",
];

/// Relative open and click propensity of the three emails (the first performs best).
const EMAIL_WEIGHTS: [(f64, f64); 3] = [(1.12, 1.2), (1.0, 1.0), (0.88, 0.8)];

const FIRST_NAMES: [&str; 12] =
    ["Olivia", "James", "Sofia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Mia", "Ethan", "Chloe", "Mateo"];
const LAST_NAMES: [&str; 12] = [
    "Rossi", "Bennett", "Carter", "Moreau", "Nguyen", "Schmidt", "Alvarez", "Kim", "Russo", "Okafor", "Laurent",
    "Silva",
];

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().expect("valid demo date")
}

fn slug(name: &str) -> String {
    name.to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

fn id(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// Splits `total` into parts proportional to `weights` (largest remainder), each part
/// capped by the same index of `caps`.
fn split(total: i64, weights: &[f64], caps: &[i64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    let raw: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<i64> = raw.iter().zip(caps).map(|(r, c)| (r.floor() as i64).min(*c)).collect();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|a, b| (raw[*b] - raw[*b].floor()).total_cmp(&(raw[*a] - raw[*a].floor())));
    let mut left = total - parts.iter().sum::<i64>();
    while left > 0 {
        let before = left;
        for &i in &order {
            if left > 0 && parts[i] < caps[i] {
                parts[i] += 1;
                left -= 1;
            }
        }
        assert!(left < before, "split: caps too small for {total}");
    }
    parts
}

/// All rows of the demo data set, built in memory.
pub struct DemoData {
    pub users: Vec<users::ActiveModel>,
    pub campaigns: Vec<campaigns::ActiveModel>,
    pub email_campaigns: Vec<email_campaigns::ActiveModel>,
    pub sends: Vec<email_sends::ActiveModel>,
    pub conversions: Vec<crm_conversions::ActiveModel>,
    pub orders: Vec<ecommerce_orders::ActiveModel>,
}

/// Builds the demo data set from the fixed seed.
pub fn build() -> DemoData {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let onboarded = utc(2024, 12, 1, 9);

    let brand_id = id(&mut rng);
    let mut users = vec![users::ActiveModel {
        id: Set(brand_id),
        email: Set(BRAND_EMAIL.to_owned()),
        name: Set("Marco Bicego Marketing".to_owned()),
        user_type: Set(UserType::Brand),
        region: Set(None),
        created_at: Set(onboarded),
        updated_at: Set(onboarded),
        is_active: Set(true),
    }];
    let admin_id = id(&mut rng);
    users.push(users::ActiveModel {
        id: Set(admin_id),
        email: Set(ADMIN_EMAIL.to_owned()),
        name: Set("Platform Administrator".to_owned()),
        user_type: Set(UserType::Admin),
        region: Set(None),
        created_at: Set(onboarded),
        updated_at: Set(onboarded),
        is_active: Set(true),
    });
    let mut retailer_ids = std::collections::HashMap::new();
    for (name, region, ..) in RETAILERS {
        let rid = id(&mut rng);
        retailer_ids.insert(name, rid);
        users.push(users::ActiveModel {
            id: Set(rid),
            email: Set(format!("partners@{}.example", slug(name))),
            name: Set(name.to_owned()),
            user_type: Set(UserType::Retailer),
            region: Set(Some(region)),
            created_at: Set(onboarded),
            updated_at: Set(onboarded),
            is_active: Set(true),
        });
    }

    let campaign = |rng: &mut ChaCha8Rng,
                    name: &str,
                    description: &str,
                    status: CampaignStatus,
                    dates: (DateTime<Utc>, DateTime<Utc>),
                    allocated: i64,
                    spent: i64| {
        let created = dates.0 - Duration::days(14);
        campaigns::ActiveModel {
            id: Set(id(rng)),
            name: Set(name.to_owned()),
            description: Set(Some(description.to_owned())),
            status: Set(status),
            start_date: Set(Some(dates.0)),
            end_date: Set(Some(dates.1)),
            budget_allocated: Set(Some(Money::from_cents(allocated * 100))),
            budget_spent: Set(Money::from_cents(spent * 100)),
            created_by: Set(Some(brand_id)),
            created_at: Set(created),
            updated_at: Set(created),
            utm_code: Set(Some(utm_code_from(name))),
        }
    };
    let sample = campaign(
        &mut rng,
        SAMPLE_CAMPAIGN,
        "Launch of the Marco Bicego New 2025 collection to the retailer network.",
        CampaignStatus::Active,
        (utc(2025, 1, 14, 0), utc(2025, 2, 14, 0)),
        75_000,
        33_500,
    );
    let sample_id = *sample.id.as_ref();
    let campaigns = vec![
        sample,
        campaign(
            &mut rng,
            "Spring Collection Preview",
            "Preview of the spring collection for key retailers.",
            CampaignStatus::Completed,
            (utc(2024, 3, 1, 0), utc(2024, 4, 30, 0)),
            45_000,
            42_000,
        ),
        campaign(
            &mut rng,
            "Holiday Luxury Campaign",
            "Holiday gifting push across all regions.",
            CampaignStatus::Paused,
            (utc(2024, 11, 15, 0), utc(2025, 1, 5, 0)),
            120_000,
            85_000,
        ),
        campaign(
            &mut rng,
            "Summer Elegance 2025",
            "Summer collection campaign, in preparation.",
            CampaignStatus::Draft,
            (utc(2025, 6, 1, 0), utc(2025, 8, 31, 0)),
            60_000,
            0,
        ),
    ];

    let email_sent = [utc(2025, 1, 14, 15), utc(2025, 1, 24, 15), utc(2025, 2, 4, 15)];
    let mut email_campaign_ids = Vec::new();
    let mut sends = Vec::new();
    let mut per_email_sends = [0_i32; 3];
    // Clicked sends per retailer, so that conversions can point at one.
    let mut clicked_sends: std::collections::HashMap<&str, Vec<(Uuid, DateTime<Utc>)>> = Default::default();
    for _ in 0..3 {
        email_campaign_ids.push(id(&mut rng));
    }
    for (name, _, sent, delivered, opened, clicked) in RETAILERS {
        let rid = retailer_ids[name];
        let sent_parts = vec![601, 601, sent - 1202];
        let delivered_parts = split(delivered, &[601.0, 601.0, (sent - 1202) as f64], &sent_parts);
        let opened_w: Vec<f64> = (0..3).map(|e| delivered_parts[e] as f64 * EMAIL_WEIGHTS[e].0).collect();
        let opened_parts = split(opened, &opened_w, &delivered_parts);
        let clicked_w: Vec<f64> = (0..3).map(|e| opened_parts[e] as f64 * EMAIL_WEIGHTS[e].1).collect();
        let clicked_parts = split(clicked, &clicked_w, &opened_parts);
        for e in 0..3 {
            per_email_sends[e] += sent_parts[e] as i32;
            for i in 0..sent_parts[e] {
                let send_id = id(&mut rng);
                let sent_at = email_sent[e] + Duration::seconds(rng.random_range(0..1800));
                let is_delivered = i < delivered_parts[e];
                let is_opened = i < opened_parts[e];
                let is_clicked = i < clicked_parts[e];
                let delivered_at = is_delivered.then(|| sent_at + Duration::seconds(rng.random_range(2..180)));
                let opened_at = match (is_opened, delivered_at) {
                    // Most opens come within hours, a tail over three days.
                    (true, Some(d)) => {
                        let minutes =
                            if rng.random_bool(0.7) { rng.random_range(1..360) } else { rng.random_range(360..4320) };
                        Some(d + Duration::minutes(minutes))
                    }
                    _ => None,
                };
                let clicked_at = match (is_clicked, opened_at) {
                    (true, Some(o)) => Some(o + Duration::seconds(rng.random_range(5..3600))),
                    _ => None,
                };
                let (status, bounce_reason) = if is_delivered {
                    (SendStatus::Delivered, None)
                } else if i % 5 == 0 {
                    (SendStatus::Failed, Some("550 5.1.1 mailbox unavailable".to_owned()))
                } else {
                    (SendStatus::Bounced, Some("552 5.2.2 mailbox full".to_owned()))
                };
                if let Some(at) = clicked_at {
                    clicked_sends.entry(name).or_default().push((send_id, at));
                }
                let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
                let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
                sends.push(email_sends::ActiveModel {
                    id: Set(send_id),
                    email_campaign_id: Set(Some(email_campaign_ids[e])),
                    retailer_id: Set(Some(rid)),
                    recipient_email: Set(format!(
                        "{}.{}{}@{}.example",
                        first.to_lowercase(),
                        last.to_lowercase(),
                        i,
                        slug(name)
                    )),
                    recipient_name: Set(Some(format!("{first} {last}"))),
                    sent_at: Set(sent_at),
                    delivered_at: Set(delivered_at),
                    opened_at: Set(opened_at),
                    clicked_at: Set(clicked_at),
                    status: Set(status),
                    bounce_reason: Set(bounce_reason),
                    human_opened_at: Set(opened_at),
                });
            }
        }
    }
    let email_campaigns = (0..3)
        .map(|e| email_campaigns::ActiveModel {
            id: Set(email_campaign_ids[e]),
            campaign_id: Set(Some(sample_id)),
            subject: Set(SUBJECTS[e].to_owned()),
            content: Set(Some(format!("<h1>{}</h1><p>Discover the Marco Bicego 2025 collection.</p>", SUBJECTS[e]))),
            sender_email: Set(BRAND_EMAIL.to_owned()),
            sender_name: Set(Some("Marco Bicego".to_owned())),
            sent_at: Set(Some(email_sent[e])),
            total_recipients: Set(per_email_sends[e]),
            created_at: Set(email_sent[e] - Duration::days(2)),
        })
        .collect();

    let conversions = CONVERSIONS
        .iter()
        .map(|(name, kind, category, cents)| {
            let linked = matches!(kind, ConversionType::Sale | ConversionType::Lead);
            let click = clicked_sends.get(name).and_then(|c| c.first()).copied();
            let (send, date) = match click {
                Some((send, at)) if linked => (Some(send), at + Duration::hours(rng.random_range(2..96))),
                _ => (None, utc(2025, 1, 20, 10) + Duration::hours(rng.random_range(0..480))),
            };
            crm_conversions::ActiveModel {
                id: Set(id(&mut rng)),
                campaign_id: Set(Some(sample_id)),
                retailer_id: Set(Some(retailer_ids[name])),
                email_send_id: Set(send),
                conversion_type: Set(Some(*kind)),
                conversion_value: Set(Some(Money::from_cents(*cents))),
                conversion_date: Set(date),
                product_category: Set(Some(*category)),
                created_at: Set(date),
                source: Set(None),
                external_id: Set(None),
            }
        })
        .collect();

    let orders = ORDERS
        .iter()
        .map(|(name, status, cents, items, attributed)| {
            let date = utc(2025, 1, 16, 9) + Duration::hours(rng.random_range(0..700));
            ecommerce_orders::ActiveModel {
                id: Set(id(&mut rng)),
                campaign_id: Set(Some(sample_id)),
                retailer_id: Set(Some(retailer_ids[name])),
                order_value: Set(Some(Money::from_cents(*cents))),
                order_date: Set(date),
                product_count: Set(*items),
                order_status: Set(*status),
                attributed_to_email: Set(*attributed),
                created_at: Set(date),
                source: Set(None),
                external_id: Set(None),
                source_updated_at: Set(None),
            }
        })
        .collect();

    DemoData { users, campaigns, email_campaigns, sends, conversions, orders }
}

/// Inserts `rows` in multi-row statements of `INSERT_CHUNK`.
async fn insert_chunked<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(INSERT_CHUNK).collect();
        <A::Entity as EntityTrait>::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Loads the demo data set in one transaction. With `replace`, first removes the rows of a
/// previous demo load (by their fixed ids), leaving any other data alone.
pub async fn load<C: TransactionTrait + ConnectionTrait>(db: &C, replace: bool) -> Result<DemoData, DbErr> {
    let data = build();
    let txn = db.begin().await?;
    if replace {
        let campaign_ids: Vec<Uuid> = data.campaigns.iter().map(|c| *c.id.as_ref()).collect();
        let user_ids: Vec<Uuid> = data.users.iter().map(|u| *u.id.as_ref()).collect();
        let user_emails: Vec<String> = data.users.iter().map(|u| u.email.as_ref().clone()).collect();
        crm_conversions::Entity::delete_many()
            .filter(crm_conversions::Column::CampaignId.is_in(campaign_ids.clone()))
            .exec(&txn)
            .await?;
        ecommerce_orders::Entity::delete_many()
            .filter(ecommerce_orders::Column::CampaignId.is_in(campaign_ids.clone()))
            .exec(&txn)
            .await?;
        // Email campaigns and sends go with their campaign (ON DELETE CASCADE).
        campaigns::Entity::delete_many().filter(campaigns::Column::Id.is_in(campaign_ids)).exec(&txn).await?;
        users::Entity::delete_many()
            .filter(
                Condition::any().add(users::Column::Id.is_in(user_ids)).add(users::Column::Email.is_in(user_emails)),
            )
            .exec(&txn)
            .await?;
    }
    insert_chunked(&txn, data.users.clone()).await?;
    insert_chunked(&txn, data.campaigns.clone()).await?;
    insert_chunked(&txn, data.email_campaigns.clone()).await?;
    insert_chunked(&txn, data.sends.clone()).await?;
    insert_chunked(&txn, data.conversions.clone()).await?;
    insert_chunked(&txn, data.orders.clone()).await?;
    txn.commit().await?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retailer_table_adds_up_to_the_errata_totals() {
        let sum = |f: fn(&RetailerFigures) -> i64| RETAILERS.iter().map(f).sum::<i64>();
        assert_eq!(sum(|r| r.2), 27_037);
        assert_eq!(sum(|r| r.3), 26_496);
        assert_eq!(sum(|r| r.4), 11_393);
        assert_eq!(sum(|r| r.5), 848);
        let conv: i64 = CONVERSIONS.iter().map(|c| c.3).sum();
        let orders: i64 = ORDERS.iter().filter(|o| o.1 == OrderStatus::Completed).map(|o| o.2).sum();
        assert_eq!(conv + orders, 4_150_000);
    }

    #[test]
    fn building_twice_gives_the_same_rows() {
        let (a, b) = (build(), build());
        assert_eq!(a.sends.len(), 27_037);
        assert_eq!(format!("{:?}", a.sends[12_345]), format!("{:?}", b.sends[12_345]));
        assert_eq!(format!("{:?}", a.campaigns), format!("{:?}", b.campaigns));
    }

    #[test]
    fn split_respects_caps_and_total() {
        let parts = split(10, &[1.0, 1.0, 1.0], &[3, 4, 5]);
        assert_eq!(parts.iter().sum::<i64>(), 10);
        assert!(parts.iter().zip([3, 4, 5]).all(|(p, c)| *p <= c));
    }
}
