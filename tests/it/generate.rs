//! `generate`: the synthetic data set has the size asked for, holds together (every send in
//! an email campaign, emails' recipients = their sends, revenue only from clicking
//! retailers), its figures equal a recount of its rows, and a seed gives the same data.

use crate::common::*;
use campaign_performance::generate::{Plan, generate};
use entity::enums::SendStatus;
use entity::{crm_conversions, email_campaigns, email_sends};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;

db_test!(generated_data_has_the_size_asked_and_its_figures_equal_a_recount, |db| {
    let plan = Plan { sends: 5_003, campaigns: 2, retailers: 7, seed: 11 };
    let made = generate(&db, &plan, |_| {}).await.unwrap();
    assert_eq!((made.sends, made.campaigns, made.email_campaigns, made.retailers), (5_003, 2, 6, 7));

    let sends = email_sends::Entity::find().order_by_asc(email_sends::Column::Id).all(&*db).await.unwrap();
    assert_eq!(sends.len(), 5_003);
    let emails = email_campaigns::Entity::find().all(&*db).await.unwrap();
    assert_eq!(emails.iter().map(|e| e.total_recipients as usize).sum::<usize>(), 5_003);
    for e in &emails {
        let own = sends.iter().filter(|s| s.email_campaign_id == Some(e.id)).count();
        assert_eq!(own, e.total_recipients as usize, "an email's recipients are its sends (errata E3)");
    }
    let delivered = sends.iter().filter(|s| s.status == SendStatus::Delivered).count();
    let opened = sends.iter().filter(|s| s.opened_at.is_some()).count();
    let human = sends.iter().filter(|s| s.human_opened_at.is_some()).count();
    let clicked = sends.iter().filter(|s| s.clicked_at.is_some()).count();
    assert!((0.96..=0.995).contains(&(delivered as f64 / 5_003.0)), "delivery rate {delivered}");
    assert!(clicked <= human && human <= opened && opened <= delivered);
    let conversions = crm_conversions::Entity::find().all(&*db).await.unwrap();
    assert_eq!(conversions.len() as u64, made.conversions);
    for c in &conversions {
        let send = sends.iter().find(|s| Some(s.id) == c.email_send_id).expect("conversions follow a send");
        assert!(send.clicked_at.is_some(), "conversions follow clicks");
    }

    // The API's figures over all campaigns equal the recount.
    let data = gql(&db, "{ campaigns(first: 10) { edges { node { performance { totalEmailsSent emailsDelivered emailsOpened emailsHumanOpened emailsClicked } } } } }", json!({})).await;
    let mut totals = [0_i64; 5];
    for edge in data["campaigns"]["edges"].as_array().unwrap() {
        let p = &edge["node"]["performance"];
        for (i, k) in ["totalEmailsSent", "emailsDelivered", "emailsOpened", "emailsHumanOpened", "emailsClicked"]
            .iter()
            .enumerate()
        {
            totals[i] += p[k].as_i64().unwrap();
        }
    }
    assert_eq!(totals, [5_003, delivered as i64, opened as i64, human as i64, clicked as i64]);

    // The same seed gives the same data.
    let other = TestDb::sqlite().await;
    generate(&other, &plan, |_| {}).await.unwrap();
    let again = email_sends::Entity::find().order_by_asc(email_sends::Column::Id).all(&*other).await.unwrap();
    assert_eq!(again, sends);
});
