//! SVG charts drawn on the server: each an `<svg role="img">` with a title and a description
//! naming every value (what a screen reader reads), a `<title>` per mark (the number on hover),
//! and a table of the same numbers next to it on the page. Values come from the API's answer;
//! nothing here computes a figure, only lengths.

use maud::{Markup, html};

const WIDTH: f64 = 640.0;

/// Horizontal bars: `(label, value, value as shown)`.
pub fn bars(id: &str, title: &str, items: &[(String, f64, String)]) -> Markup {
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
    let row = 34.0;
    let height = row * items.len() as f64 + 8.0;
    let (label_w, value_w) = (130.0, 120.0);
    let room = WIDTH - label_w - value_w;
    let described: Vec<String> = items.iter().map(|(l, _, s)| format!("{l}: {s}")).collect();
    html! {
        svg.chart.bars id=(id) role="img" aria-labelledby={ (id) "-title " (id) "-desc" }
            viewBox={ "0 0 " (WIDTH) " " (height) } width="100%" {
            title id={ (id) "-title" } { (title) }
            desc id={ (id) "-desc" } { (described.join("; ")) }
            @for (i, (label, value, shown)) in items.iter().enumerate() {
                @let y = 4.0 + row * i as f64;
                @let w = (value.max(0.0) / max * room).max(if *value > 0.0 { 2.0 } else { 0.0 });
                g.mark {
                    title { (label) ": " (shown) }
                    text.label x="0" y=(y + row * 0.62) { (label) }
                    rect x=(label_w) y=(y + 4.0) width=(format!("{w:.1}")) height=(row - 10.0) rx="3" {}
                    text.value x=(label_w + w + 8.0) y=(y + row * 0.62) { (shown) }
                }
            }
        }
    }
}

/// The conversion funnel: one centred band per step, as wide as its count (`(label, count,
/// count as shown)`).
pub fn funnel(steps: &[(&str, f64, String)]) -> Markup {
    let max = steps.iter().map(|s| s.1).fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
    let row = 44.0;
    let height = row * steps.len() as f64;
    let (label_w, value_w) = (110.0, 110.0);
    let room = WIDTH - label_w - value_w;
    let centre = label_w + room / 2.0;
    let described: Vec<String> = steps.iter().map(|(l, _, shown)| format!("{l}: {shown}")).collect();
    html! {
        svg.chart.funnel id="funnel" role="img" aria-labelledby="funnel-title funnel-desc"
            viewBox={ "0 0 " (WIDTH) " " (height) } width="100%" {
            title id="funnel-title" { "Conversion funnel" }
            desc id="funnel-desc" { (described.join("; ")) }
            @for (i, (label, value, shown)) in steps.iter().enumerate() {
                @let y = row * i as f64;
                @let w = (value.max(0.0) / max * room).max(if *value > 0.0 { 2.0 } else { 0.0 });
                g.mark {
                    title { (label) ": " (shown) }
                    text.label x="0" y=(y + row * 0.6) { (label) }
                    rect x=(format!("{:.1}", centre - w / 2.0)) y=(y + 4.0) width=(format!("{w:.1}")) height=(row - 8.0) rx="4" {}
                    text.value x=(WIDTH - value_w + 10.0) y=(y + row * 0.6) { (shown) }
                }
            }
        }
    }
}

/// Lines over time: `(bucket start, one value per series)`.
pub fn timeline(title: &str, points: &[(String, Vec<f64>)], series: &[&str]) -> Markup {
    let height = 260.0;
    let (left, right, top, bottom) = (56.0, 48.0, 12.0, 40.0);
    let (w, h) = (WIDTH - left - right, height - top - bottom);
    let max = points.iter().flat_map(|p| p.1.iter().copied()).fold(0.0_f64, f64::max).max(1.0);
    let step = if points.len() > 1 { w / (points.len() - 1) as f64 } else { 0.0 };
    let x = |i: usize| left + step * i as f64;
    let y = |v: f64| top + h - v.max(0.0) / max * h;
    let every = points.len().div_ceil(6).max(1);
    html! {
        svg.chart.timeline id="timeline" role="img" aria-labelledby="timeline-title timeline-desc"
            viewBox={ "0 0 " (WIDTH) " " (height) } width="100%" {
            title id="timeline-title" { (title) }
            desc id="timeline-desc" { (points.len()) " buckets; the table below lists every value." }
            line.axis x1=(left) y1=(top + h) x2=(left + w) y2=(top + h) {}
            line.axis x1=(left) y1=(top) x2=(left) y2=(top + h) {}
            text.tick x=(left - 6.0) y=(top + 4.0) text-anchor="end" { (max) }
            text.tick x=(left - 6.0) y=(top + h) text-anchor="end" { "0" }
            @for (i, (start, _)) in points.iter().enumerate() {
                @if i % every == 0 {
                    text.tick x=(x(i)) y=(top + h + 16.0) text-anchor="middle" { (start.get(..16).unwrap_or(start).replace('T', " ")) }
                }
            }
            @for (s, name) in series.iter().enumerate() {
                @let path: Vec<String> = points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1.get(s).copied().unwrap_or(0.0)))).collect();
                polyline class={ "series s" (s) } points=(path.join(" ")) {}
                // A dot per bucket (its value on hover) while they are few enough to tell apart.
                @for (i, p) in points.iter().enumerate().filter(|_| points.len() <= 120) {
                    circle class={ "s" (s) } cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(p.1.get(s).copied().unwrap_or(0.0)))) r="2.5" {
                        title { (name) ", " (p.0) ": " (p.1.get(s).copied().unwrap_or(0.0)) }
                    }
                }
                g.legend {
                    rect class={ "s" (s) } x=(left + 130.0 * s as f64) y=(height - 14.0) width="12" height="12" {}
                    text x=(left + 18.0 + 130.0 * s as f64) y=(height - 4.0) { (name) }
                }
            }
        }
    }
}
