//! Which opens a mail client made by itself rather than a person, for sources that report
//! the opener's address and user agent but not a verdict (Postmark, Mailgun; SendGrid says
//! so itself with `sg_machine_open`).
//!
//! The rule: Apple Mail Privacy Protection fetches a message's images through Apple's proxies
//! as soon as the message arrives, read or not. Those fetches come from Apple's network
//! (`17.0.0.0/8`) with a bare `Mozilla/5.0` user agent (or none); an open from anywhere else,
//! or with a browser's or mail client's full user agent, is a person's. Such an open still
//! counts as an open (`emailsOpened`); `excludeMachineOpens` and `emailsHumanOpened` leave it
//! out, as they do SendGrid's machine opens.

use std::net::IpAddr;

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
    use super::machine_open;

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
}
