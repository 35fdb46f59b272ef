//! A send's delivery and engagement state as a merge of its events (errata E5). The merge
//! takes the earliest time of each kind and the strongest status, so any order and any
//! repetition of the same events give the same state.

use chrono::{DateTime, Utc};
use entity::email_sends;
use entity::enums::{EmailEventType, SendStatus};

/// What one event says about its send (also the provider-neutral form a quarantined event
/// is kept in).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailEvent {
    pub send_id: uuid::Uuid,
    pub kind: EmailEventType,
    pub occurred_at: DateTime<Utc>,
    /// An open made by the mail client itself (Apple Mail Privacy Protection).
    pub machine_open: bool,
    /// The bounce reason, or the clicked URL.
    pub detail: Option<String>,
}

/// The columns of `email_sends` that events move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendState {
    pub status: SendStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub human_opened_at: Option<DateTime<Utc>>,
    pub clicked_at: Option<DateTime<Utc>>,
    pub bounce_reason: Option<String>,
}

impl From<&email_sends::Model> for SendState {
    fn from(m: &email_sends::Model) -> Self {
        SendState {
            status: m.status,
            delivered_at: m.delivered_at,
            opened_at: m.opened_at,
            human_opened_at: m.human_opened_at,
            clicked_at: m.clicked_at,
            bounce_reason: m.bounce_reason.clone(),
        }
    }
}

/// Delivered beats a bounce (a later delivery proves it arrived; a bounce after delivery
/// does not un-deliver), a bounce beats a drop, and anything beats plain "sent".
pub fn strength(status: SendStatus) -> u8 {
    match status {
        SendStatus::Sent => 0,
        SendStatus::Failed => 1,
        SendStatus::Bounced => 2,
        SendStatus::Delivered => 3,
    }
}

fn earliest(current: &mut Option<DateTime<Utc>>, at: DateTime<Utc>) {
    if current.is_none_or(|c| at < c) {
        *current = Some(at);
    }
}

fn at_least(current: &mut SendStatus, status: SendStatus) {
    if strength(status) > strength(*current) {
        *current = status;
    }
}

impl SendState {
    /// Folds one event in. An open, a click, a spam report or an unsubscribe proves
    /// delivery; a click proves a (human) open.
    pub fn merge(&mut self, event: &EmailEvent) {
        let t = event.occurred_at;
        match event.kind {
            EmailEventType::Processed | EmailEventType::Deferred => {}
            EmailEventType::Delivered | EmailEventType::SpamReport | EmailEventType::Unsubscribe => self.deliver(t),
            EmailEventType::Open => {
                self.deliver(t);
                earliest(&mut self.opened_at, t);
                if !event.machine_open {
                    earliest(&mut self.human_opened_at, t);
                }
            }
            EmailEventType::Click => {
                self.deliver(t);
                earliest(&mut self.opened_at, t);
                earliest(&mut self.human_opened_at, t);
                earliest(&mut self.clicked_at, t);
            }
            EmailEventType::Bounce => at_least(&mut self.status, SendStatus::Bounced),
            EmailEventType::Dropped => at_least(&mut self.status, SendStatus::Failed),
        }
        if self.status == SendStatus::Delivered {
            self.bounce_reason = None;
        }
    }

    fn deliver(&mut self, t: DateTime<Utc>) {
        earliest(&mut self.delivered_at, t);
        at_least(&mut self.status, SendStatus::Delivered);
    }

    /// The event type whose earliest occurrence gives the bounce reason in this state.
    pub fn reason_from(&self) -> Option<EmailEventType> {
        match self.status {
            SendStatus::Bounced => Some(EmailEventType::Bounce),
            SendStatus::Failed => Some(EmailEventType::Dropped),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ev(kind: EmailEventType, minute: u32, machine: bool) -> EmailEvent {
        EmailEvent {
            send_id: uuid::Uuid::nil(),
            kind,
            occurred_at: Utc.with_ymd_and_hms(2025, 1, 14, 10, minute, 0).unwrap(),
            machine_open: machine,
            detail: None,
        }
    }

    fn fresh() -> SendState {
        SendState {
            status: SendStatus::Sent,
            delivered_at: None,
            opened_at: None,
            human_opened_at: None,
            clicked_at: None,
            bounce_reason: None,
        }
    }

    #[test]
    fn an_open_before_its_delivery_event_still_ends_delivered_at_the_earliest_time() {
        let events = [ev(EmailEventType::Open, 9, true), ev(EmailEventType::Delivered, 5, false)];
        let mut a = fresh();
        let mut b = fresh();
        events.iter().for_each(|e| a.merge(e));
        events.iter().rev().for_each(|e| b.merge(e));
        assert_eq!(a, b);
        assert_eq!(a.status, SendStatus::Delivered);
        assert_eq!(a.delivered_at, Some(events[1].occurred_at));
        assert_eq!(a.opened_at, Some(events[0].occurred_at));
        assert_eq!(a.human_opened_at, None, "a machine open is not a human open");
    }

    #[test]
    fn a_bounce_after_delivery_does_not_undeliver_and_a_click_is_a_human_open() {
        let mut s = fresh();
        for e in [ev(EmailEventType::Delivered, 1, false), ev(EmailEventType::Bounce, 2, false)] {
            s.merge(&e);
        }
        assert_eq!(s.status, SendStatus::Delivered);
        s.merge(&ev(EmailEventType::Click, 30, false));
        assert_eq!(s.human_opened_at, s.clicked_at);
        assert_eq!(s.opened_at, s.clicked_at);
    }
}
