//! `import`: CSV files of the six tables load all or nothing. A valid set lands whole and its
//! figures equal what the files hold; bad rows in several files are all reported with their
//! file, line and column and nothing is written; references must resolve to the files or the
//! database; a second import of the same files is refused as duplicates. Also through the
//! real binary.

use crate::common::*;
use campaign_performance::analytics::rollups;
use campaign_performance::import::{ImportError, Imported, Problem, Table, import};
use entity::enums::{Region, SendStatus, UserType};
use entity::{campaigns, crm_conversions, ecommerce_orders, email_campaigns, email_sends, users};
use sea_orm::{EntityTrait, IdenStatic, Iterable, PaginatorTrait};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_campaign-performance");

/// A folder of CSV files for one test.
struct Csvs(tempfile::TempDir);

impl Csvs {
    fn new() -> Csvs {
        Csvs(tempfile::tempdir().expect("temp dir"))
    }

    /// Writes `<table>.csv` with these lines.
    fn with(self, table: &str, lines: &[&str]) -> Csvs {
        std::fs::write(self.0.path().join(format!("{table}.csv")), lines.join("\n") + "\n").expect("write csv");
        self
    }

    fn dir(&self) -> PathBuf {
        self.0.path().to_path_buf()
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const BRAND: u128 = 0x1000_0001;
const RETAILER_A: u128 = 0x1000_0002;
const RETAILER_B: u128 = 0x1000_0003;
const CAMPAIGN: u128 = 0x2000_0001;
const EMAIL_1: u128 = 0x3000_0001;
const EMAIL_2: u128 = 0x3000_0002;

/// Three users, one campaign, two emails, eight sends, two conversions, three orders.
fn valid_set() -> Csvs {
    let (b, ra, rb, c, e1, e2) = (id(BRAND), id(RETAILER_A), id(RETAILER_B), id(CAMPAIGN), id(EMAIL_1), id(EMAIL_2));
    let s = |n: u128| id(0x4000_0000 + n);
    Csvs::new()
        .with(
            "users",
            &[
                "id,email,name,user_type,region,is_active",
                &format!("{b},Marketing@Brand.example,The Brand,brand,,true"),
                &format!("{ra},a@retailer.example,\"Retailer A, East\",retailer,East,true"),
                &format!("{rb},b@retailer.example,Retailer B,retailer,west,1"),
            ],
        )
        .with(
            "campaigns",
            &[
                "id,name,description,status,start_date,end_date,budget_allocated,budget_spent,created_by",
                &format!("{c},Spring Import,\"Two lines,"),
                &format!("with a comma\",active,2025-01-14,2025-02-14T00:00:00Z,75000,1000.5,{b}"),
            ],
        )
        .with(
            "email_campaigns",
            &[
                "id,campaign_id,subject,sender_email,sent_at",
                &format!("{e1},{c},Hello,news@brand.example,2025-01-14T15:00:00Z"),
                &format!("{e2},{c},Again,news@brand.example,2025-01-21 15:00:00+00"),
            ],
        )
        .with(
            "email_sends",
            &[
                "id,email_campaign_id,retailer_id,recipient_email,sent_at,delivered_at,opened_at,clicked_at,status,bounce_reason",
                &format!("{},{e1},{ra},c1@client.example,2025-01-14T15:00:00Z,2025-01-14T15:01:00Z,2025-01-14T16:00:00Z,2025-01-14T17:00:00Z,delivered,", s(1)),
                &format!("{},{e1},{ra},c2@client.example,2025-01-14T15:00:00Z,2025-01-14T15:01:00Z,2025-01-14T16:00:00Z,,delivered,", s(2)),
                &format!("{},{e1},{rb},c3@client.example,2025-01-14T15:00:00Z,2025-01-14T15:01:00Z,,,delivered,", s(3)),
                &format!("{},{e1},{rb},c4@client.example,2025-01-14T15:00:00Z,,,,bounced,550 mailbox unavailable", s(4)),
                &format!("{},{e2},{ra},c5@client.example,2025-01-21T15:00:00Z,2025-01-21T15:01:00Z,,,delivered,", s(5)),
                &format!("{},{e2},{rb},c6@client.example,2025-01-21T15:00:00Z,,,,sent,", s(6)),
                &format!("{},{e2},{rb},c7@client.example,2025-01-21T15:00:00Z,,,,failed,\"rejected, \"\"spam\"\"\"", s(7)),
                // No status: the open proves delivery.
                &format!("{},{e2},{ra},C8@Client.example,2025-01-21T15:00:00Z,,2025-01-22T08:00:00+01:00,,,", s(8)),
            ],
        )
        .with(
            "crm_conversions",
            &[
                "id,campaign_id,retailer_id,email_send_id,conversion_type,conversion_value,conversion_date,product_category",
                &format!("{},{c},{ra},{},sale,2500.00,2025-01-15T10:00:00Z,Rings", id(0x5000_0001), s(1)),
                &format!("{},{c},{rb},,lead,750.5,2025-01-16T10:00:00Z,necklaces", id(0x5000_0002)),
            ],
        )
        .with(
            "ecommerce_orders",
            &[
                "id,campaign_id,retailer_id,order_value,order_date,product_count,order_status,attributed_to_email",
                &format!("{},{c},{ra},1200.00,2025-01-17T10:00:00Z,2,completed,true", id(0x6000_0001)),
                &format!("{},{c},{rb},300,2025-01-18T10:00:00Z,1,pending,false", id(0x6000_0002)),
                &format!("{},{c},{rb},99.99,2025-01-19T10:00:00Z,1,refunded,yes", id(0x6000_0003)),
            ],
        )
}

/// Rows in each of the six tables, in foreign-key order.
async fn counts(db: &sea_orm::DatabaseConnection) -> [u64; 6] {
    [
        users::Entity::find().count(db).await.unwrap(),
        campaigns::Entity::find().count(db).await.unwrap(),
        email_campaigns::Entity::find().count(db).await.unwrap(),
        email_sends::Entity::find().count(db).await.unwrap(),
        crm_conversions::Entity::find().count(db).await.unwrap(),
        ecommerce_orders::Entity::find().count(db).await.unwrap(),
    ]
}

fn problems(result: Result<Imported, ImportError>) -> Vec<Problem> {
    match result {
        Err(ImportError::Invalid(problems)) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

/// (file, line, column) of each problem.
fn places(problems: &[Problem]) -> Vec<(String, Option<u64>, Option<String>)> {
    problems.iter().map(|p| (p.file.clone(), p.line, p.column.clone())).collect()
}

fn place(file: &str, line: u64, column: Option<&str>) -> (String, Option<u64>, Option<String>) {
    (file.to_owned(), Some(line), column.map(str::to_owned))
}

#[test]
fn the_tables_columns_are_the_entities_columns() {
    fn names<C: Iterable + IdenStatic>() -> Vec<&'static str> {
        C::iter().map(|c| c.as_str()).collect()
    }
    let entities = [
        names::<users::Column>(),
        names::<campaigns::Column>(),
        names::<email_campaigns::Column>(),
        names::<email_sends::Column>(),
        names::<crm_conversions::Column>(),
        names::<ecommerce_orders::Column>(),
    ];
    for (table, columns) in Table::ALL.into_iter().zip(entities) {
        assert_eq!(table.columns(), columns.as_slice(), "{table}");
    }
}

db_test!(a_valid_set_of_six_files_imports_whole_and_its_figures_equal_the_files, |db| {
    let files = valid_set();
    let done = import(&db, &[files.dir()]).await.unwrap();
    assert_eq!(done.rows, [3, 1, 2, 8, 2, 3]);
    assert_eq!(done.total(), 19);
    assert_eq!(counts(&db).await, done.rows);
    assert_eq!(rollups::verify(&*db).await.unwrap(), vec![], "the triggers kept the rollups right");

    let data = gql(
        &db,
        "query($id: UUID!) { campaign(id: $id) { name description budgetSpent budgetAllocated utmCode
            emailCampaigns { subject totalRecipients }
            performance { totalEmailsSent emailsDelivered emailsOpened emailsClicked emailsBounced
                          totalRevenue conversionRevenue orderRevenue pendingRevenue } } }",
        json!({ "id": id(CAMPAIGN) }),
    )
    .await;
    assert_eq!(
        data["campaign"],
        json!({
            "name": "Spring Import", "description": "Two lines,\nwith a comma",
            "budgetSpent": "1000.50", "budgetAllocated": "75000.00", "utmCode": "spring-import",
            "emailCampaigns": [ { "subject": "Hello", "totalRecipients": 4 }, { "subject": "Again", "totalRecipients": 4 } ],
            "performance": {
                "totalEmailsSent": 8, "emailsDelivered": 5, "emailsOpened": 3, "emailsClicked": 1, "emailsBounced": 2,
                "totalRevenue": "4450.50", "conversionRevenue": "3250.50", "orderRevenue": "1200.00",
                "pendingRevenue": "300.00" } })
    );

    // Values as the schema keeps them: emails lowercased, enums in their canonical case,
    // times in UTC, defaults for what the files leave out.
    let brand = users::Entity::find_by_id(id(BRAND)).one(&*db).await.unwrap().unwrap();
    assert_eq!(
        (brand.email.as_str(), brand.user_type, brand.region),
        ("marketing@brand.example", UserType::Brand, None)
    );
    let b = users::Entity::find_by_id(id(RETAILER_B)).one(&*db).await.unwrap().unwrap();
    assert_eq!((b.region, b.is_active), (Some(Region::West), true));
    let eighth = email_sends::Entity::find_by_id(id(0x4000_0008)).one(&*db).await.unwrap().unwrap();
    assert_eq!(eighth.recipient_email, "c8@client.example");
    assert_eq!(eighth.status, SendStatus::Delivered);
    assert_eq!(eighth.opened_at, Some(at(2025, 1, 22, 7)));
    assert_eq!(eighth.human_opened_at, eighth.opened_at);
    let seventh = email_sends::Entity::find_by_id(id(0x4000_0007)).one(&*db).await.unwrap().unwrap();
    assert_eq!(seventh.bounce_reason.as_deref(), Some("rejected, \"spam\""));
    let email_2 = email_campaigns::Entity::find_by_id(id(EMAIL_2)).one(&*db).await.unwrap().unwrap();
    assert_eq!(email_2.sent_at, Some(at(2025, 1, 21, 15)));
    let campaign = campaigns::Entity::find_by_id(id(CAMPAIGN)).one(&*db).await.unwrap().unwrap();
    assert_eq!(campaign.start_date, Some(at(2025, 1, 14, 0)));
});

db_test!(bad_rows_in_several_files_are_all_reported_and_nothing_is_written, |db| {
    let stored_retailer = retailer("Stored", Region::East).insert(&*db).await;
    campaign("Stored campaign").insert(&*db).await;
    let before = counts(&db).await;

    let (u1, u2, u3) = (id(0x11), id(0x12), id(0x13));
    let (c1, c2, c3) = (id(0x21), id(0x22), id(0x23));
    let e1 = id(0x31);
    let (s1, s2, s3, s5) = (id(0x41), id(0x42), id(0x43), id(0x45));
    let files = Csvs::new()
        .with(
            "users",
            &[
                "id,email,name,user_type,region",
                &format!("{u1},ok@retailer.example,Fine,retailer,East"),
                &format!("{u2},not-an-email,Bad Email,retailer,East"),
                &format!("{u3},x@retailer.example,Bad Type,vip,Mars"),
            ],
        )
        .with(
            "campaigns",
            &[
                "id,name,description,status,start_date,end_date,budget_allocated,budget_spent",
                &format!("{c1},Fine,\"a description"),
                "over two lines\",active,2025-01-01,2025-02-01,100.00,10.00",
                &format!("{c2},Negative,,active,2025-01-01,2025-02-01,100.00,-5.00"),
                &format!("{c3},Precise,,launched,2025-03-01,2025-02-01,12.345,"),
            ],
        )
        .with(
            "email_campaigns",
            &["id,campaign_id,subject,sender_email", &format!("{e1},{c1},Hello,news@brand.example")],
        )
        .with(
            "email_sends",
            &[
                "id,email_campaign_id,retailer_id,recipient_email,sent_at,status",
                &format!("{s1},{e1},{u1},a@client.example,2025-01-14T15:00:00Z,sent"),
                &format!("{s2},{e1},{u1},b@client.example,2024-13-01,sent"),
                &format!("{s3},{e1},{},,2025-01-14T15:00:00Z,opened", stored_retailer.id),
                &format!("{s1},{e1},{u1},c@client.example,2025-01-14T15:00:00Z,sent"),
                &format!("{s5},{e1},{u1},d@client.example"),
            ],
        )
        .with(
            "crm_conversions",
            // u3 has problems of its own: the reference resolves, the problem is told once.
            &["id,campaign_id,retailer_id,conversion_value", &format!("{},{c1},{u3},abc", id(0x51))],
        )
        .with(
            "ecommerce_orders",
            &[
                "id,campaign_id,retailer_id,order_value,product_count,attributed_to_email,colour",
                &format!("{},{c2},{u1},10.00,-1,maybe,red", id(0x61)),
            ],
        );

    let problems = problems(import(&db, &[files.dir()]).await);
    let mut found = places(&problems);
    let in_file_and_line_order = {
        let mut sorted = found.clone();
        sorted.sort_by_key(|(file, line, _)| (Table::ALL.iter().position(|t| t.file_name() == *file), *line));
        sorted == found
    };
    assert!(in_file_and_line_order, "{problems:#?}");
    found.sort();
    let mut expected = vec![
        place("users.csv", 3, Some("email")),
        place("users.csv", 4, Some("user_type")),
        place("users.csv", 4, Some("region")),
        place("campaigns.csv", 4, Some("budget_spent")),
        place("campaigns.csv", 5, Some("status")),
        place("campaigns.csv", 5, Some("end_date")),
        place("campaigns.csv", 5, Some("budget_allocated")),
        place("email_sends.csv", 3, Some("sent_at")),
        place("email_sends.csv", 4, Some("recipient_email")),
        place("email_sends.csv", 4, Some("status")),
        place("email_sends.csv", 5, Some("id")),
        place("email_sends.csv", 6, None),
        place("crm_conversions.csv", 2, Some("conversion_value")),
        place("ecommerce_orders.csv", 1, Some("colour")),
        place("ecommerce_orders.csv", 2, Some("product_count")),
        place("ecommerce_orders.csv", 2, Some("attributed_to_email")),
    ];
    expected.sort();
    assert_eq!(found, expected, "{problems:#?}");

    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    for wanted in [
        r#"users.csv:3: email: "not-an-email" is not an email address"#,
        r#"users.csv:4: region: "Mars" is not one of East, West, Central, North, South"#,
        "campaigns.csv:4: budget_spent: -5.00 is negative",
        "campaigns.csv:5: budget_allocated: 12.345 has more than 2 decimal places",
        "campaigns.csv:5: end_date: 2025-02-01T00:00:00+00:00 is before start_date 2025-03-01T00:00:00+00:00",
        r#"email_sends.csv:3: sent_at: "2024-13-01" is not a date-time"#,
        "email_sends.csv:4: recipient_email: is required",
        r#"email_sends.csv:4: status: "opened" is not one of sent, delivered, bounced, failed"#,
        &format!("email_sends.csv:5: id: {s1} appears twice in email_sends.csv (first on line 2)"),
        "email_sends.csv:6: has 4 field(s) where the header has 6",
        r#"crm_conversions.csv:2: conversion_value: "abc" is not a decimal amount"#,
        "ecommerce_orders.csv:1: colour: is not a column of ecommerce_orders",
        "ecommerce_orders.csv:2: product_count: -1 is negative",
        r#"ecommerce_orders.csv:2: attributed_to_email: "maybe" is not true or false"#,
    ] {
        assert!(text.iter().any(|t| t.starts_with(wanted)), "no problem reads {wanted:?} in {text:#?}");
    }
    assert_eq!(counts(&db).await, before, "nothing was written");
    assert_eq!(rollups::verify(&*db).await.unwrap(), vec![]);
});

db_test!(a_row_referring_to_an_unknown_id_is_refused_and_known_ones_may_be_stored_rows, |db| {
    let stored_retailer = retailer("Stored", Region::East).insert(&*db).await;
    let brand = retailer("Brand", Region::East).user_type(UserType::Brand).insert(&*db).await;
    let stored_campaign = campaign("Stored campaign").insert(&*db).await;
    let stored_email = email_campaign(&*db, &stored_campaign, "Stored email").await;
    let before = counts(&db).await;
    let (unknown_email, unknown_campaign) = (id(0xdead_0001), id(0xdead_0002));
    let (s1, s2, s3) = (id(0x41), id(0x42), id(0x43));

    let sends_header = "id,email_campaign_id,retailer_id,recipient_email";
    let good_send = format!("{s1},{},{},a@client.example", stored_email.id, stored_retailer.id);
    let good_conversion = format!("{},{},{},{s1},100.00", id(0x51), stored_campaign.id, stored_retailer.id);
    let files = Csvs::new()
        .with(
            "email_sends",
            &[
                sends_header,
                &good_send,
                &format!("{s2},{unknown_email},{},b@client.example", stored_retailer.id),
                &format!("{s3},{},{},c@client.example", stored_email.id, brand.id),
            ],
        )
        .with(
            "crm_conversions",
            &[
                "id,campaign_id,retailer_id,email_send_id,conversion_value",
                &good_conversion,
                &format!("{},{unknown_campaign},{},,5.00", id(0x52), stored_retailer.id),
            ],
        );
    let problems = problems(import(&db, &[files.dir()]).await);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            format!(
                "email_sends.csv:3: email_campaign_id: no email campaign has the id {unknown_email}: it is neither in email_campaigns.csv nor in the database"
            ),
            format!("email_sends.csv:4: retailer_id: user {} is a brand, not a retailer", brand.id),
            format!(
                "crm_conversions.csv:3: campaign_id: no campaign has the id {unknown_campaign}: it is neither in campaigns.csv nor in the database"
            ),
        ]
    );
    assert_eq!(counts(&db).await, before, "nothing was written");

    // The good rows alone refer to stored rows and to each other: they import, and the
    // stored email's recipients grow by its new send (errata E3).
    let files = Csvs::new()
        .with("email_sends", &[sends_header, &good_send])
        .with("crm_conversions", &["id,campaign_id,retailer_id,email_send_id,conversion_value", &good_conversion]);
    let files_given_one_by_one = [files.dir().join("email_sends.csv"), files.dir().join("crm_conversions.csv")];
    let done = import(&db, &files_given_one_by_one).await.unwrap();
    assert_eq!(done.rows, [0, 0, 0, 1, 1, 0]);
    let email = email_campaigns::Entity::find_by_id(stored_email.id).one(&*db).await.unwrap().unwrap();
    assert_eq!(email.total_recipients, stored_email.total_recipients + 1);
    assert_eq!(rollups::verify(&*db).await.unwrap(), vec![]);
});

db_test!(importing_the_same_files_twice_is_refused_as_duplicates_the_second_time, |db| {
    let files = valid_set();
    let first = import(&db, &[files.dir()]).await.unwrap();
    let after_first = counts(&db).await;

    let problems = problems(import(&db, &[files.dir()]).await);
    assert_eq!(problems.len() as u64, first.total(), "every row is a duplicate: {problems:#?}");
    for p in &problems {
        assert_eq!(p.column.as_deref(), Some("id"), "{p}");
        assert!(p.message.ends_with(&format!("is already stored in {}", p.file.trim_end_matches(".csv"))), "{p}");
    }
    assert_eq!(
        problems[0].to_string(),
        format!("users.csv:2: id: {} is already stored in users", id(BRAND)),
        "the first problem is the first row of the first file"
    );
    assert_eq!(counts(&db).await, after_first, "nothing was written the second time");
    assert_eq!(rollups::verify(&*db).await.unwrap(), vec![]);
});

db_test!(a_file_that_names_no_table_and_a_missing_path_are_refused, |db| {
    let files = valid_set().with("notes", &["a,b", "1,2"]);
    let missing = files.dir().join("nowhere");
    let problems = problems(import(&db, &[files.dir(), missing.clone()]).await);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let notes = files.dir().join("notes.csv");
    assert_eq!(
        text,
        vec![
            format!(
                "{}: is not named after a table: the files are users.csv, campaigns.csv, email_campaigns.csv, email_sends.csv, crm_conversions.csv, ecommerce_orders.csv",
                notes.display()
            ),
            format!("{}: no such file or folder", missing.display()),
        ]
    );
    assert_eq!(counts(&db).await, [0; 6]);
});

db_test!(a_header_problem_is_told_once_for_its_file_not_for_every_row, |db| {
    let (u1, u2, c1) = (id(0x11), id(0x12), id(0x21));
    let files = Csvs::new()
        .with("users", &["id,name,name,", &format!("{u1},One,Again,"), &format!("{u2},Two,Again,")])
        // No id column: what refers to its campaigns cannot be checked, and is not blamed.
        .with("campaigns", &["name,budget_spent", "Somewhere,10.00"])
        .with(
            "email_campaigns",
            &["id,campaign_id,subject,sender_email", &format!("{},{c1},Hello,news@brand.example", id(0x31))],
        )
        .with("email_sends", &["id,retailer_id,recipient_email", &format!("{},{u2},a@client.example", id(0x41))]);
    let problems = problems(import(&db, &[files.dir()]).await);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "users.csv:1: name: appears twice in the header",
            "users.csv:1: column 4 has no name",
            "users.csv:1: email: is required but missing from the header",
            "campaigns.csv:1: id: is required but missing from the header",
        ]
    );
    assert_eq!(counts(&db).await, [0; 6]);
});

/// Runs the binary on the test's database.
async fn run(url: &str, args: Vec<String>) -> std::process::Output {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new(BIN).args(&args).env("DATABASE_URL", url).env("NO_COLOR", "1").output().expect("run the binary")
    })
    .await
    .unwrap()
}

fn path_arg(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

db_test!(the_binary_imports_prints_a_summary_and_lists_at_most_a_hundred_problems, |db| {
    let files = valid_set();
    let out = run(&db.url, vec!["import".into(), path_arg(&files.dir())]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("imported 19 rows into "), "{stdout}");
    for (table, rows) in [("users", 3), ("campaigns", 1), ("email_campaigns", 2), ("email_sends", 8)] {
        assert!(
            stdout.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == [table, &rows.to_string()]),
            "{table} {rows} in {stdout}"
        );
    }
    let out = run(&db.url, vec!["verify".into()]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // 130 users with a bad email: 100 listed, the rest counted, one `error:` line.
    let mut lines = vec!["id,email,name".to_owned()];
    lines.extend((0..130).map(|n| format!("{},bad-{n},User {n}", id(0x7000_0000 + n))));
    let bad = Csvs::new().with("users", &lines.iter().map(String::as_str).collect::<Vec<_>>());
    let out = run(&db.url, vec!["import".into(), path_arg(&bad.dir().join("users.csv"))]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    let listed: Vec<&str> = stderr.lines().filter(|l| l.starts_with("users.csv:")).collect();
    assert_eq!(listed.len(), 100, "{stderr}");
    assert_eq!(listed[0], r#"users.csv:2: email: "bad-0" is not an email address"#);
    assert!(stderr.contains("… and 30 more"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("130 problem(s) in the CSV files; nothing was imported"), "{stderr}");
    assert_eq!(counts(&db).await, [3, 1, 2, 8, 2, 3]);
});

db_test!(a_conversion_linked_to_another_retailers_send_and_a_delivered_send_without_a_time_are_refused, |db| {
    let (mine, other) =
        (retailer("Mine", Region::East).insert(&*db).await, retailer("Other", Region::East).insert(&*db).await);
    let stored_campaign = campaign("Stored campaign").insert(&*db).await;
    let stored_email = email_campaign(&*db, &stored_campaign, "Stored email").await;
    let stored_send = send(&*db, &stored_email, &other, SendOutcome::default()).await;
    let before = counts(&db).await;
    let (s1, s2) = (id(0x71), id(0x72));
    let files = Csvs::new()
        .with(
            "email_sends",
            &[
                "id,email_campaign_id,retailer_id,recipient_email,sent_at,status",
                &format!("{s1},{},{},a@client.example,2025-01-14T15:00:00Z,sent", stored_email.id, other.id),
                &format!("{s2},{},{},b@client.example,2025-01-14T15:00:00Z,delivered", stored_email.id, mine.id),
            ],
        )
        .with(
            "crm_conversions",
            &[
                "id,campaign_id,retailer_id,email_send_id,conversion_value",
                // Linked to a send of the file and to a stored one, both another retailer's.
                &format!("{},{},{},{s1},100.00", id(0x81), stored_campaign.id, mine.id),
                &format!("{},{},{},{},100.00", id(0x82), stored_campaign.id, mine.id, stored_send.id),
            ],
        );
    let text: Vec<String> = problems(import(&db, &[files.dir()]).await).iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        vec![
            "email_sends.csv:3: status: delivered needs the time it happened: delivered_at, opened_at or clicked_at"
                .to_owned(),
            format!(
                "crm_conversions.csv:2: email_send_id: send {s1} was sent for retailer {}, not for the conversion's retailer {}",
                other.id, mine.id
            ),
            format!(
                "crm_conversions.csv:3: email_send_id: send {} was sent for retailer {}, not for the conversion's retailer {}",
                stored_send.id, other.id, mine.id
            ),
        ]
    );
    assert_eq!(counts(&db).await, before, "nothing was written");
});
