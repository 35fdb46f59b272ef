//! The users that bearer tokens name are remembered between requests on PostgreSQL, and
//! forgotten as soon as their row changes, whoever changes it; SQLite reads them every time.

use crate::common::*;
use campaign_performance::auth::UserCache;
use entity::enums::Region;
use entity::users;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DbBackend, EntityTrait};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

db_test!(a_remembered_user_is_forgotten_when_their_row_changes, |db| {
    let user = retailer("Shop", Region::Central).insert(&*db).await;
    let statements = Arc::new(AtomicUsize::new(0));
    let mut counted = db.conn.clone();
    let s = statements.clone();
    counted.set_metric_callback(move |_| {
        s.fetch_add(1, Ordering::SeqCst);
    });
    let cache = UserCache::new(&counted);

    // Two look-ups in a row: the second costs no statement once the cache serves from memory
    // (on PostgreSQL, as soon as its listener is connected); on SQLite never.
    let mut remembered = false;
    let tries = if db.backend() == DbBackend::Postgres { 100 } else { 3 };
    for _ in 0..tries {
        cache.user(&counted, user.id).await.unwrap().expect("the user");
        let before = statements.load(Ordering::SeqCst);
        let again = cache.user(&counted, user.id).await.unwrap().expect("the user");
        assert!(again.is_active);
        if statements.load(Ordering::SeqCst) == before {
            remembered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(remembered, db.backend() == DbBackend::Postgres, "remembered on PostgreSQL only");

    // Another process deactivates the user (a plain update, not through this cache): the
    // next look-ups see it within moments.
    users::ActiveModel { id: Set(user.id), is_active: Set(false), ..Default::default() }.update(&*db).await.unwrap();
    let mut seen = false;
    for _ in 0..100 {
        if !cache.user(&counted, user.id).await.unwrap().expect("the user").is_active {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen, "the deactivation was not seen within 2 s");
    // And it stays seen: a stale copy is never put back.
    for _ in 0..5 {
        assert!(!cache.user(&counted, user.id).await.unwrap().expect("the user").is_active);
    }

    // A change through this process is forgotten at once, without waiting to hear it.
    users::ActiveModel { id: Set(user.id), is_active: Set(true), ..Default::default() }.update(&*db).await.unwrap();
    cache.forget(user.id);
    assert!(cache.user(&counted, user.id).await.unwrap().expect("the user").is_active);

    // A deleted user is gone.
    users::Entity::delete_by_id(user.id).exec(&*db).await.unwrap();
    cache.forget(user.id);
    assert!(cache.user(&counted, user.id).await.unwrap().is_none());

    // One deleted by another process (no `forget` here) is gone within moments too.
    let other = retailer("Other shop", Region::Central).insert(&*db).await;
    // Remembered first (on PostgreSQL: the insert's own announcement may arrive after the
    // first look-up and make it read once more).
    let mut remembered = false;
    for _ in 0..tries {
        assert!(cache.user(&counted, other.id).await.unwrap().is_some());
        let before = statements.load(Ordering::SeqCst);
        assert!(cache.user(&counted, other.id).await.unwrap().is_some());
        if statements.load(Ordering::SeqCst) == before {
            remembered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(remembered, db.backend() == DbBackend::Postgres, "remembered on PostgreSQL only");
    users::Entity::delete_by_id(other.id).exec(&*db).await.unwrap();
    let mut gone = false;
    for _ in 0..100 {
        if cache.user(&counted, other.id).await.unwrap().is_none() {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "the deletion was not seen within 2 s");
    assert!(cache.user(&counted, other.id).await.unwrap().is_none(), "a deleted user came back");
});
