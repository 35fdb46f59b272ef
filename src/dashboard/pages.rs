//! The pages and CSV downloads. Each runs operations of `tests/operations/` through the API
//! (`Api`, with the signed-in caller's scope and loaders, reading where a query reads) and
//! renders the answer: no figure is computed here.
//!
//! Every figure shown carries `data-figure` (its JSON pointer in the operation's answer) and
//! `data-value` (the answer's value as the API gave it), so a test (or a script) can hold the
//! page to the API; the text shown is the same value, formatted (thousands separators, `%`).

use super::charts;
use super::html;
use super::session::{self, HOME};
use crate::AppState;
use crate::graphql::{has_internal_error, prepare_request};
use crate::http::gate::Admitted;
use crate::loaders::Source;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html as markup};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

const OVERVIEW: &str = include_str!("../../tests/operations/overview.graphql");
const PORTFOLIO: &str = include_str!("../../tests/operations/portfolio.graphql");
const CAMPAIGN: &str = include_str!("../../tests/operations/campaign_dashboard.graphql");

/// A campaign that does not exist or that the caller may not see: the same answer for both.
const NOT_SEEN: &str = "No such campaign, or not one you can see.";

const STATUSES: [&str; 4] = ["ACTIVE", "PAUSED", "COMPLETED", "DRAFT"];
const INTERVALS: [&str; 3] = ["HOUR", "DAY", "WEEK"];
/// Time zones offered in the timeline's menu (any IANA name works in the URL).
const ZONES: [&str; 6] =
    ["UTC", "Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata"];

/// The page around a body: header with the signed-in person and sign-out, styles, script.
pub fn layout(title: &str, who: Option<&str>, body: Markup) -> Markup {
    markup! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Campaign performance" }
                link rel="stylesheet" href="/dashboard/assets/dashboard.css";
                script src="/dashboard/assets/live.js" defer {}
            }
            body {
                header.top {
                    a.brand href=(HOME) { "Campaign performance" }
                    nav {
                        a href=(HOME) { "Campaigns" }
                        a href="/graphql" { "GraphiQL" }
                        @if let Some(who) = who {
                            span.who { (who) }
                            form method="post" action="/dashboard/sign-out" {
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// `GET /` and `GET /dashboard`: to the campaigns when signed in, else a page with the ways in.
pub async fn home(headers: HeaderMap) -> Response {
    if session::token(&headers).is_some() {
        return Redirect::to(HOME).into_response();
    }
    html(layout(
        "Welcome",
        None,
        markup! {
            section.signin {
                h1 { "Campaign performance" }
                p { "How the brand's campaigns perform, from the email sent to the order, and whether the spend came back." }
                ul.ways {
                    li { a href="/dashboard/sign-in" { "Sign in to the dashboard" } }
                    li { a href="/graphql" { "Explore the API in GraphiQL" } }
                }
            }
        },
    ))
}

/// Runs `operation` with `variables` as the signed-in caller; the answer's `data`, or the
/// page that says what went wrong (the API's own message and code).
async fn run(state: &AppState, admitted: &Admitted, operation: &str, variables: Value) -> Result<Value, Response> {
    let caller = admitted.viewer.caller().ok().map(|c| c.user.id);
    let source = state.sources.reading_for(caller);
    let window = Duration::from_millis(state.limits.batch_window_ms);
    let execute = |source: Source| {
        let request =
            async_graphql::Request::new(operation).variables(async_graphql::Variables::from_json(variables.clone()));
        let request = prepare_request(request, &source, admitted.viewer.clone(), window);
        async move { async_graphql::Executor::execute(&state.api, request).await }
    };
    // As `POST /graphql` does: read again on the primary when a replica goes away under the read.
    let answer = async {
        let response = execute(source.clone()).await;
        match source.replica {
            Some(i) if has_internal_error(&response) && !state.sources.replicas.recheck(i).await => {
                execute(state.sources.primary()).await
            }
            _ => response,
        }
    };
    let timeout = Duration::from_secs(state.limits.request_timeout_secs);
    let response = match tokio::time::timeout(timeout, answer).await {
        Ok(response) => response,
        Err(_) => return Err(problem(StatusCode::SERVICE_UNAVAILABLE, "The page took too long to read; try again.")),
    };
    if let Some(error) = response.errors.first() {
        let code = error.extensions.as_ref().and_then(|x| x.get("code")).map(|c| c.to_string()).unwrap_or_default();
        let status = match code.trim_matches('"') {
            "NOT_FOUND" => StatusCode::NOT_FOUND,
            "FORBIDDEN" => StatusCode::FORBIDDEN,
            "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        return Err(problem(status, &error.message));
    }
    Ok(response.data.into_json().unwrap_or(Value::Null))
}

fn problem(status: StatusCode, message: &str) -> Response {
    let mut response = html(layout(
        "Not shown",
        None,
        markup! { section.signin { h1 { "Not shown" } p.note role="alert" { (message) } p { a href=(HOME) { "Back to the campaigns" } } } },
    ));
    *response.status_mut() = status;
    response
}

fn who(admitted: &Admitted) -> String {
    admitted.viewer.caller().map(|c| c.user.name.clone()).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct OverviewQuery {
    status: Option<String>,
}

/// `GET /dashboard/brand-performance/campaigns[?status=ACTIVE]`: the overview.
pub async fn overview(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Query(query): Query<OverviewQuery>,
) -> Response {
    let admitted = match session::caller(&state, &extensions, &headers).await {
        Ok(a) => a,
        Err(to) => return to,
    };
    let status = query.status.map(|s| s.to_ascii_uppercase()).filter(|s| STATUSES.contains(&s.as_str()));
    let variables = json!({ "status": status.as_ref().map(|s| vec![s.clone()]) });
    let (cards, summary) = match tokio::try_join!(
        run(&state, &admitted, OVERVIEW, variables.clone()),
        run(&state, &admitted, PORTFOLIO, variables)
    ) {
        Ok(both) => both,
        Err(page) => return page,
    };
    let summary = &summary["portfolioSummary"];
    let brand = admitted.viewer.caller().is_ok_and(|c| c.user.user_type == entity::enums::UserType::Brand);
    let edges = cards["campaigns"]["edges"].as_array().cloned().unwrap_or_default();
    html(layout(
        "Campaigns",
        Some(&who(&admitted)),
        markup! {
            h1 { "Campaigns" }
            section.summary aria-label="Performance summary" {
                (tile("Campaigns", &summary["campaignCount"], "/portfolioSummary/campaignCount", Kind::Count))
                @if brand {
                    (tile("Average ROI", &summary["averageRoi"], "/portfolioSummary/averageRoi", Kind::Percent))
                    (tile("Overall ROI", &summary["overallRoi"], "/portfolioSummary/overallRoi", Kind::Percent))
                }
                (tile("Revenue", &summary["totalRevenue"], "/portfolioSummary/totalRevenue", Kind::Money))
                div.top {
                    h2 { "Top performers" }
                    ol {
                        @for (i, c) in summary["topCampaigns"].as_array().into_iter().flatten().enumerate() {
                            li {
                                a href={ (HOME) "/" (text(&c["id"])) } { (text(&c["name"])) }
                                " · ROI " (figure(&c["performance"]["roiPercentage"], &format!("/portfolioSummary/topCampaigns/{i}/performance/roiPercentage"), Kind::Percent))
                            }
                        }
                    }
                }
            }
            nav.filters aria-label="Filter by status" {
                a href=(HOME) aria-current=[status.is_none().then_some("page")] { "All" }
                @for s in STATUSES {
                    @let count = summary["byStatus"].as_array().into_iter().flatten().find(|b| b["status"] == s).map(|b| b["count"].clone()).unwrap_or(Value::Null);
                    a href={ (HOME) "?status=" (s) } aria-current=[(status.as_deref() == Some(s)).then_some("page")] {
                        (title_case(s)) " (" (text(&count)) ")"
                    }
                }
            }
            section.cards {
                @if edges.is_empty() { p { "No campaign here." } }
                @for (i, edge) in edges.iter().enumerate() {
                    @let c = &edge["node"];
                    @let at = |field: &str| format!("/campaigns/edges/{i}/node/{field}");
                    article.card {
                        h2 { a href={ (HOME) "/" (text(&c["id"])) } { (text(&c["name"])) } }
                        p.meta {
                            span class={ "status " (text(&c["status"]).to_lowercase()) } { (title_case(&text(&c["status"]))) }
                            " " (dates(&c["startDate"], &c["endDate"]))
                        }
                        dl {
                            @if brand { dt { "ROI" } dd { (figure(&c["performance"]["roiPercentage"], &at("performance/roiPercentage"), Kind::Percent)) } }
                            dt { "Emails sent" } dd { (figure(&c["performance"]["totalEmailsSent"], &at("performance/totalEmailsSent"), Kind::Count)) }
                            dt { "Open rate" } dd { (figure(&c["performance"]["openRate"], &at("performance/openRate"), Kind::Percent)) }
                            dt { "Click rate" } dd { (figure(&c["performance"]["clickRate"], &at("performance/clickRate"), Kind::Percent)) }
                            dt { "Revenue" } dd { (figure(&c["performance"]["totalRevenue"], &at("performance/totalRevenue"), Kind::Money)) }
                            @if brand { dt { "Budget used" } dd { (figure(&c["budgetUtilization"], &at("budgetUtilization"), Kind::Percent)) } }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct CampaignQuery {
    interval: Option<String>,
    #[serde(rename = "timeZone")]
    time_zone: Option<String>,
}

impl CampaignQuery {
    fn variables(&self, id: &str) -> Value {
        let interval = self
            .interval
            .as_deref()
            .map(str::to_ascii_uppercase)
            .filter(|i| INTERVALS.contains(&i.as_str()))
            .unwrap_or_else(|| "DAY".into());
        let zone = self.time_zone.clone().filter(|z| !z.trim().is_empty()).unwrap_or_else(|| "UTC".into());
        json!({ "id": id, "interval": interval, "timeZone": zone })
    }
}

/// `GET /dashboard/brand-performance/campaigns/{id}`: one campaign.
pub async fn campaign(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<CampaignQuery>,
) -> Response {
    let admitted = match session::caller(&state, &extensions, &headers).await {
        Ok(a) => a,
        Err(to) => return to,
    };
    if uuid::Uuid::parse_str(&id).is_err() {
        return problem(StatusCode::NOT_FOUND, NOT_SEEN);
    }
    let variables = query.variables(&id);
    let data = match run(&state, &admitted, CAMPAIGN, variables.clone()).await {
        Ok(data) if data["campaign"].is_null() => return problem(StatusCode::NOT_FOUND, NOT_SEEN),
        Ok(data) => data,
        Err(page) => return page,
    };
    let brand = admitted.viewer.caller().is_ok_and(|c| c.user.user_type == entity::enums::UserType::Brand);
    html(layout(&text(&data["campaign"]["name"]), Some(&who(&admitted)), campaign_body(&data, &variables, brand)))
}

fn campaign_body(data: &Value, variables: &Value, brand: bool) -> Markup {
    let c = &data["campaign"];
    let p = &c["performance"];
    let perf = |field: &str, kind: Kind| figure(&p[field], &format!("/campaign/performance/{field}"), kind);
    let own = |field: &str, kind: Kind| figure(&c[field], &format!("/campaign/{field}"), kind);
    let id = text(&c["id"]);
    let (interval, zone) = (text(&variables["interval"]), text(&variables["timeZone"]));
    let revenue = number(&p["totalRevenue"]);
    let spent = number(&c["budgetSpent"]);
    markup! {
        section.header data-campaign=(id) {
            h1 { (text(&c["name"])) }
            p.meta {
                span class={ "status " (text(&c["status"]).to_lowercase()) } { (title_case(&text(&c["status"]))) }
                " " (dates(&c["startDate"], &c["endDate"]))
                span.live aria-live="polite" {}
            }
            @if let Some(d) = c["description"].as_str() { p.description { (d) } }
            dl.kpis {
                @if brand {
                    div { dt { "Budget" } dd { (own("budgetAllocated", Kind::Money)) } }
                    div { dt { "Spent" } dd { (own("budgetSpent", Kind::Money)) " (" (own("budgetUtilization", Kind::Percent)) ")" } }
                    div { dt { "ROI" } dd { (perf("roiPercentage", Kind::Percent)) } }
                    div { dt { "ROAS" } dd { (perf("roas", Kind::Ratio)) } }
                }
                div { dt { "Revenue" } dd { (perf("totalRevenue", Kind::Money)) } }
                div { dt { "Tier" } dd { (perf("performanceTier", Kind::Text)) } }
            }
        }
        section.grid {
            div.panel {
                h2 { "Email" }
                dl.kpis {
                    div { dt { "Sent" } dd { (perf("totalEmailsSent", Kind::Count)) } }
                    div { dt { "Delivered" } dd { (perf("emailsDelivered", Kind::Count)) " · " (perf("deliveryRate", Kind::Percent)) } }
                    div { dt { "Opened" } dd { (perf("emailsOpened", Kind::Count)) " · " (perf("openRate", Kind::Percent)) } }
                    div { dt { "Clicked" } dd { (perf("emailsClicked", Kind::Count)) " · " (perf("clickRate", Kind::Percent)) } }
                    div { dt { "Bounced" } dd { (perf("emailsBounced", Kind::Count)) } }
                    div { dt { "Click-to-open" } dd { (perf("clickToOpenRate", Kind::Percent)) } }
                }
            }
            div.panel {
                h2 { "Revenue" }
                dl.kpis {
                    div { dt { "From CRM conversions" } dd { (perf("conversionRevenue", Kind::Money)) } }
                    div { dt { "From completed orders" } dd { (perf("orderRevenue", Kind::Money)) } }
                    div { dt { "Pending orders" } dd { (perf("pendingRevenue", Kind::Money)) } }
                }
                @if brand {
                    h3 { "Revenue against spend" }
                    (charts::bars("revenue-vs-spend", "Revenue against spend", &[
                        ("Revenue".into(), revenue, money(&text(&p["totalRevenue"]))),
                        ("Spent".into(), spent, money(&text(&c["budgetSpent"]))),
                    ]))
                    @let net = &p["netReturn"];
                    @if !net.is_null() {
                        p.verdict {
                            @if text(net).starts_with('-') { "Loss: " } @else { "Profit: " }
                            (perf("netReturn", Kind::Money))
                        }
                    }
                }
            }
        }
        section.panel {
            h2 { "Conversion funnel" }
            (charts::funnel(&[("Sent", "sent"), ("Delivered", "delivered"), ("Opened", "opened"), ("Clicked", "clicked"), ("Converted", "converted")]
                .map(|(label, step)| (label, number(&c["funnel"][step]), thousands(&text(&c["funnel"][step]))))))
            table {
                caption { "Funnel steps" }
                thead { tr { th { "Step" } th.num { "Count" } th.num { "Rate from the step before" } } }
                tbody {
                    @for (label, count, rate) in [("Sent", "sent", None), ("Delivered", "delivered", Some("deliveryRate")), ("Opened", "opened", Some("openRate")), ("Clicked", "clicked", Some("clickThroughRate")), ("Converted", "converted", Some("conversionRate"))] {
                        tr {
                            td { (label) }
                            td.num { (figure(&c["funnel"][count], &format!("/campaign/funnel/{count}"), Kind::Count)) }
                            td.num { @if let Some(rate) = rate { (figure(&c["funnel"][rate], &format!("/campaign/funnel/{rate}"), Kind::Percent)) } @else { "—" } }
                        }
                    }
                }
            }
        }
        section.panel {
            h2 { "Email figures per subject line" }
            table {
                thead { tr { th { "Subject" } th { "Sender" } th.num { "Recipients" } th.num { "Delivered" } th.num { "Open rate" } th.num { "Click rate" } th.num { "Click-to-open" } } }
                tbody {
                    @for (i, e) in c["emailCampaigns"].as_array().into_iter().flatten().enumerate() {
                        @let at = |f: &str| format!("/campaign/emailCampaigns/{i}/performance/{f}");
                        tr {
                            td { (text(&e["subject"])) }
                            td { (text(&e["senderName"])) }
                            td.num { (figure(&e["totalRecipients"], &format!("/campaign/emailCampaigns/{i}/totalRecipients"), Kind::Count)) }
                            td.num { (figure(&e["performance"]["emailsDelivered"], &at("emailsDelivered"), Kind::Count)) }
                            td.num { (figure(&e["performance"]["openRate"], &at("openRate"), Kind::Percent)) }
                            td.num { (figure(&e["performance"]["clickRate"], &at("clickRate"), Kind::Percent)) }
                            td.num { (figure(&e["performance"]["clickToOpenRate"], &at("clickToOpenRate"), Kind::Percent)) }
                        }
                    }
                }
            }
        }
        section.panel {
            h2 { "Retailer leaderboard " a.download href={ (HOME) "/" (id) "/leaderboard.csv" } { "CSV" } }
            table {
                thead { tr { th.num { "#" } th { "Retailer" } th { "Region" } th.num { "Sent" } th.num { "Open rate" } th.num { "Click rate" } th.num { "Conversions" } th.num { "Orders" } th.num { "Revenue" } } }
                tbody {
                    @for (i, r) in c["retailerPerformance"].as_array().into_iter().flatten().enumerate() {
                        @let at = |f: &str| format!("/campaign/retailerPerformance/{i}/{f}");
                        tr {
                            td.num { (figure(&r["rank"], &at("rank"), Kind::Count)) }
                            td { (text(&r["retailer"]["name"])) }
                            td { (title_case(&text(&r["retailer"]["region"]))) }
                            td.num { (figure(&r["totalEmailsSent"], &at("totalEmailsSent"), Kind::Count)) }
                            td.num { (figure(&r["openRate"], &at("openRate"), Kind::Percent)) }
                            td.num { (figure(&r["clickRate"], &at("clickRate"), Kind::Percent)) }
                            td.num { (figure(&r["conversions"], &at("conversions"), Kind::Count)) }
                            td.num { (figure(&r["orders"], &at("orders"), Kind::Count)) }
                            td.num { (figure(&r["revenue"], &at("revenue"), Kind::Money)) }
                        }
                    }
                }
            }
        }
        @let regions = c["regionalPerformance"].as_array().cloned().unwrap_or_default();
        @if !regions.is_empty() {
            section.panel {
                h2 { "Regions" }
                (charts::bars("regions", "Revenue by region", &regions.iter().map(|r| (title_case(&text(&r["region"])), number(&r["revenue"]), money(&text(&r["revenue"])))).collect::<Vec<_>>()))
                table {
                    thead { tr { th { "Region" } th.num { "Retailers" } th.num { "Sent" } th.num { "Open rate" } th.num { "Click rate" } th.num { "Revenue" } } }
                    tbody {
                        @for (i, r) in regions.iter().enumerate() {
                            @let at = |f: &str| format!("/campaign/regionalPerformance/{i}/{f}");
                            tr {
                                td { (title_case(&text(&r["region"]))) }
                                td.num { (figure(&r["retailerCount"], &at("retailerCount"), Kind::Count)) }
                                td.num { (figure(&r["totalEmailsSent"], &at("totalEmailsSent"), Kind::Count)) }
                                td.num { (figure(&r["openRate"], &at("openRate"), Kind::Percent)) }
                                td.num { (figure(&r["clickRate"], &at("clickRate"), Kind::Percent)) }
                                td.num { (figure(&r["revenue"], &at("revenue"), Kind::Money)) }
                            }
                        }
                    }
                }
            }
        }
        section.panel {
            h2 { "Timeline " a.download href={ (HOME) "/" (id) "/timeline.csv?interval=" (interval) "&timeZone=" (zone) } { "CSV" } }
            form.choose method="get" {
                label { "Interval " select name="interval" { @for i in INTERVALS { option value=(i) selected[i == interval] { (title_case(i)) } } } }
                label { "Time zone " select name="timeZone" {
                    @for z in ZONES { option value=(z) selected[z == zone] { (z) } }
                    @if !ZONES.contains(&zone.as_str()) { option value=(zone) selected { (zone) } }
                } }
                button type="submit" { "Show" }
            }
            @let points = c["timeline"].as_array().cloned().unwrap_or_default();
            (charts::timeline(&format!("Activity per {} ({zone})", interval.to_lowercase()), &points.iter().map(|t| {
                (text(&t["bucketStart"]), vec![number(&t["emailsOpened"]), number(&t["emailsClicked"]), number(&t["conversions"])])
            }).collect::<Vec<_>>(), &["Opened", "Clicked", "Conversions"]))
            details {
                summary { "The timeline's figures" }
                table {
                    thead { tr { th { "From" } th.num { "Sent" } th.num { "Delivered" } th.num { "Opened" } th.num { "Clicked" } th.num { "Conversions" } th.num { "Revenue" } } }
                    tbody {
                        @for (i, t) in points.iter().enumerate() {
                            @let at = |f: &str| format!("/campaign/timeline/{i}/{f}");
                            tr {
                                td { (text(&t["bucketStart"])) }
                                td.num { (figure(&t["emailsSent"], &at("emailsSent"), Kind::Count)) }
                                td.num { (figure(&t["emailsDelivered"], &at("emailsDelivered"), Kind::Count)) }
                                td.num { (figure(&t["emailsOpened"], &at("emailsOpened"), Kind::Count)) }
                                td.num { (figure(&t["emailsClicked"], &at("emailsClicked"), Kind::Count)) }
                                td.num { (figure(&t["conversions"], &at("conversions"), Kind::Count)) }
                                td.num { (figure(&t["revenue"], &at("revenue"), Kind::Money)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A CSV download of a campaign page's table: the list it reads in the answer and its
/// columns (header, JSON pointer within a row), values as the API gave them.
struct Download {
    file: &'static str,
    list: &'static str,
    columns: &'static [(&'static str, &'static str)],
}

const DOWNLOADS: [Download; 2] = [
    Download {
        file: "leaderboard.csv",
        list: "retailerPerformance",
        columns: &[
            ("rank", "/rank"),
            ("retailer", "/retailer/name"),
            ("region", "/retailer/region"),
            ("emails_sent", "/totalEmailsSent"),
            ("delivered", "/emailsDelivered"),
            ("opened", "/emailsOpened"),
            ("clicked", "/emailsClicked"),
            ("open_rate", "/openRate"),
            ("click_rate", "/clickRate"),
            ("conversions", "/conversions"),
            ("orders", "/orders"),
            ("revenue", "/revenue"),
        ],
    },
    Download {
        file: "timeline.csv",
        list: "timeline",
        columns: &[
            ("bucket_start", "/bucketStart"),
            ("emails_sent", "/emailsSent"),
            ("delivered", "/emailsDelivered"),
            ("opened", "/emailsOpened"),
            ("clicked", "/emailsClicked"),
            ("conversions", "/conversions"),
            ("revenue", "/revenue"),
        ],
    },
];

/// `GET …/{id}/leaderboard.csv` and `…/{id}/timeline.csv?interval=…&timeZone=…`: the page's
/// tables, for spreadsheets.
pub async fn download(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
    Query(query): Query<CampaignQuery>,
) -> Response {
    let Some(download) = DOWNLOADS.iter().find(|d| d.file == file) else {
        return problem(StatusCode::NOT_FOUND, "No such download.");
    };
    let admitted = match session::caller(&state, &extensions, &headers).await {
        Ok(a) => a,
        Err(to) => return to,
    };
    if uuid::Uuid::parse_str(&id).is_err() {
        return problem(StatusCode::NOT_FOUND, NOT_SEEN);
    }
    let data = match run(&state, &admitted, CAMPAIGN, query.variables(&id)).await {
        Ok(data) if data["campaign"].is_null() => return problem(StatusCode::NOT_FOUND, NOT_SEEN),
        Ok(data) => data,
        Err(page) => return page,
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let rows = data["campaign"][download.list].as_array().cloned().unwrap_or_default();
    let written = writer.write_record(download.columns.iter().map(|(name, _)| *name)).and_then(|()| {
        rows.iter().try_for_each(|row| {
            // Text a spreadsheet would run as a formula is written as text (`'=…`).
            writer.write_record(download.columns.iter().map(|(_, at)| {
                let cell = row.pointer(at).map(text).unwrap_or_default();
                if cell.starts_with(['=', '+', '-', '@']) && cell.parse::<f64>().is_err() {
                    format!("'{cell}")
                } else {
                    cell
                }
            }))
        })
    });
    let body = match (written, writer.into_inner()) {
        (Ok(()), Ok(body)) => body,
        _ => return problem(StatusCode::INTERNAL_SERVER_ERROR, "The CSV could not be written."),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let name = format!("attachment; filename=\"campaign-{id}-{file}\"");
    if let Ok(value) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// How a figure is shown.
#[derive(Clone, Copy)]
pub enum Kind {
    Count,
    Money,
    Percent,
    Ratio,
    Text,
}

/// A figure: its value as the API gave it (`data-value`), where in the answer
/// (`data-figure`), and the value formatted.
fn figure(value: &Value, pointer: &str, kind: Kind) -> Markup {
    let raw = text(value);
    let shown = match (kind, value) {
        (_, Value::Null) => "—".to_owned(),
        (Kind::Count, _) => thousands(&raw),
        (Kind::Money, _) => money(&raw),
        (Kind::Percent, _) => format!("{raw}%"),
        (Kind::Ratio, _) => format!("{raw}×"),
        (Kind::Text, _) => title_case(&raw),
    };
    let kind = match kind {
        Kind::Count => "count",
        Kind::Money => "money",
        Kind::Percent => "percent",
        Kind::Ratio => "ratio",
        Kind::Text => "text",
    };
    markup! { span.figure data-figure=(pointer) data-value=(raw) data-kind=(kind) { (shown) } }
}

fn tile(label: &str, value: &Value, pointer: &str, kind: Kind) -> Markup {
    markup! { div.tile { span.label { (label) } span.big { (figure(value, pointer, kind)) } } }
}

/// A JSON value as text: strings as they are, numbers as JSON writes them.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// `27037` → `27,037`; the digits stay as they are.
fn thousands(raw: &str) -> String {
    let (sign, digits) = raw.strip_prefix('-').map_or(("", raw), |d| ("-", d));
    let (int, frac) = digits.split_once('.').map_or((digits, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// `41500.00` → `$41,500.00`; `-800.00` → `-$800.00`.
fn money(raw: &str) -> String {
    match raw.strip_prefix('-') {
        Some(amount) => format!("-${}", thousands(amount)),
        None => format!("${}", thousands(raw)),
    }
}

fn title_case(raw: &str) -> String {
    let lower = raw.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|f| f.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

fn dates(start: &Value, end: &Value) -> Markup {
    let day = |v: &Value| v.as_str().map(|s| s.get(..10).unwrap_or(s).to_owned());
    match (day(start), day(end)) {
        (Some(s), Some(e)) => markup! { time datetime=(s) { (s) } " – " time datetime=(e) { (e) } },
        (Some(s), None) => markup! { "from " time datetime=(s) { (s) } },
        (None, Some(e)) => markup! { "until " time datetime=(e) { (e) } },
        (None, None) => PreEscaped(String::new()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn figures_keep_their_digits_with_separators() {
        assert_eq!(super::thousands("27037"), "27,037");
        assert_eq!(super::thousands("1234567.50"), "1,234,567.50");
        assert_eq!(super::thousands("-1000"), "-1,000");
        assert_eq!(super::thousands("999"), "999");
        assert_eq!(super::money("41500.00"), "$41,500.00");
        assert_eq!(super::money("-800.00"), "-$800.00");
        assert_eq!(super::title_case("COMPLETED"), "Completed");
    }
}
