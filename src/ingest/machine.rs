//! Which opens a mail client made by itself rather than a person, and which clicks a link
//! scanner made, for sources that report the address and user agent but not a verdict
//! (Postmark, Mailgun, first-party tracking; SendGrid says so itself with `sg_machine_open`).
//!
//! Opens: Apple Mail Privacy Protection fetches a message's images through Apple's proxies
//! as soon as the message arrives, read or not. Those fetches come from Apple's network
//! (`17.0.0.0/8`) with a bare `Mozilla/5.0` user agent (or none); an open from anywhere else,
//! or with a browser's or mail client's full user agent, is a person's. Such an open still
//! counts as an open (`emailsOpened`); `excludeMachineOpens` and `emailsHumanOpened` leave it
//! out, as they do SendGrid's machine opens.
//!
//! Clicks (first-party tracking, where every hit is seen): mail security gateways follow
//! every link of a message as it arrives. A click whose user agent names such a scanner
//! (`SCANNERS`), or that comes within `SCAN_WINDOW` of the send time, is a scanner's: it
//! proves a machine looked at the message, so it is recorded as a machine open, not a click.
//! The window runs from the send time the link carries, since the delivery time may not be
//! known yet when the scanner clicks; a gateway that holds mail longer than the window before
//! scanning is caught only by its user agent.

use chrono::{DateTime, TimeDelta, Utc};
use std::net::IpAddr;

/// How soon after sending a click is taken for a scanner's.
pub const SCAN_WINDOW: TimeDelta = TimeDelta::seconds(30);

/// Parts of the user agents of link scanners (compared without case).
pub const SCANNERS: [&str; 14] = [
    "barracuda",
    "mimecast",
    "proofpoint",
    "urldefense",
    "symantec",
    "messagelabs",
    "forcepoint",
    "trendmicro",
    "zscaler",
    "safelinks",
    "bingpreview",
    "microsoft office existence discovery",
    "python-requests",
    "curl/",
];

/// Why a click is a link scanner's (the rule's name), or `None` for a person's click.
pub fn link_scanner(user_agent: Option<&str>, sent_at: DateTime<Utc>, at: DateTime<Utc>) -> Option<&'static str> {
    let agent = user_agent.unwrap_or("").to_ascii_lowercase();
    if agent.trim().is_empty() || SCANNERS.iter().any(|s| agent.contains(s)) {
        return Some("scanner-user-agent");
    }
    (at - sent_at < SCAN_WINDOW).then_some("scan-window")
}

/// Whether an open from `ip` with `user_agent` is Apple's proxy fetching the message.
pub fn machine_open(ip: Option<&str>, user_agent: Option<&str>) -> bool {
    let apple = ip.and_then(|ip| ip.trim().parse::<IpAddr>().ok()).is_some_and(|ip| match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 17,
        IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| v4.octets()[0] == 17),
    });
    let bare = user_agent.map(str::trim).is_none_or(|ua| ua.is_empty() || ua == "Mozilla/5.0");
    apple && bare
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bare_user_agent_from_apples_network_is_a_machine() {
        assert!(machine_open(Some("17.58.101.44"), Some("Mozilla/5.0")));
        assert!(machine_open(Some("::ffff:17.1.2.3"), None));
        assert!(machine_open(Some("17.0.0.1"), Some("")));
        assert!(!machine_open(Some("17.58.101.44"), Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X)")));
        assert!(!machine_open(Some("203.0.113.88"), Some("Mozilla/5.0")));
        assert!(!machine_open(Some("170.1.2.3"), Some("Mozilla/5.0")));
        assert!(!machine_open(None, Some("Mozilla/5.0")));
        assert!(!machine_open(Some("not an address"), None));
    }

    #[test]
    fn a_scanner_is_known_by_its_user_agent_or_its_haste() {
        let sent = DateTime::from_timestamp(1_762_160_400, 0).unwrap();
        let person = Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15");
        assert_eq!(link_scanner(person, sent, sent + TimeDelta::minutes(5)), None);
        assert_eq!(link_scanner(person, sent, sent + TimeDelta::seconds(3)), Some("scan-window"));
        assert_eq!(link_scanner(person, sent, sent + SCAN_WINDOW), None);
        let gateway = Some("Mozilla/5.0 (compatible; Mimecast URL Protect)");
        assert_eq!(link_scanner(gateway, sent, sent + TimeDelta::hours(2)), Some("scanner-user-agent"));
        assert_eq!(link_scanner(None, sent, sent + TimeDelta::hours(2)), Some("scanner-user-agent"));
    }
}
