//! Restricted figures never reach an anonymous user (issue 15's "done when"), through the
//! binary: load public demo files and a restricted table with distinctive values
//! (`data/50140NED_restricted_fixture.csv`: every value reads 98765x.y), compute the risk model,
//! serve with `--auth`, then walk every route of the OpenAPI document (JSON and CSV) and every
//! page link as an anonymous user and as an analyst with an API token. Anonymous: no response
//! contains one of the values, no rank or risk run computed with them, and no audit entry is
//! written. Analyst: the values are there, and every request that returned restricted figures
//! wrote exactly one audit entry.
//!
//! On SQLite always; on PostgreSQL too when `KWM_TEST_POSTGRES` is set (see postgres_e2e.rs).

use std::collections::{BTreeSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use kwm_testkit::{database_url, http_get, repo, run_ok, serve_command, spawn_server, Server};
use serde_json::Value;

/// Public files: regions, boundaries, and the CBS key figures of 2024 (gemeenten, wijken).
const PUBLIC_FILES: &[&str] = &[
    "codelists/gemeenten_2019.csv",
    "boundaries/gemeente_2023_cartomap_wgs84.topojson",
    "boundaries/gemeente_2024_pdok_gegeneraliseerd.geojson",
    "kwb/85984NED_DataProperties.json",
    "kwb/kwb_2024_85984NED_gemeente_wijk_basis.csv",
];

/// A gemeente with restricted figures in the fixture.
const REGION: &str = "GM0358";
/// An indicator of the fixture with figures for it.
const INDICATOR: &str = "jv_beperkt_postcovid";

/// A value of the fixture as any response could write it: JSON/CSV `987653.4`, Dutch
/// `987.653,4`, English `987,653.4`, rounded or not — not preceded by a digit or a point, so
/// coordinates are not mistaken for one.
fn leaked(body: &str) -> Option<String> {
    let re = regex_lite::Regex::new(r"(^|[^0-9.])(987[.,]?65[0-9])").unwrap();
    re.captures(body).map(|c| {
        let m = c.get(2).unwrap();
        let from = m.start().saturating_sub(60);
        let to = (m.end() + 60).min(body.len());
        body.get(from..to).unwrap_or(m.as_str()).to_string()
    })
}

fn kwm(args: &[&str]) -> String {
    run_ok(env!("CARGO_BIN_EXE_kwm"), args)
}

/// `kwm serve --auth` on `db`, ready once it has said which access it enforces.
fn serve(db: &str, auth: &Path) -> Server {
    let mut command = serve_command(env!("CARGO_BIN_EXE_kwm"), db);
    command.arg("--auth").arg(auth);
    let server = spawn_server(command, |line| line.starts_with("access:"));
    assert!(
        server.ready_line.contains("API tokens"),
        "{}",
        server.ready_line
    );
    server
}

/// `GET path` with a token or anonymous: status and body (lossy UTF-8: PDFs).
fn get(server: &Server, path: &str, token: Option<&str>) -> (u16, String) {
    let auth: Vec<String> = token
        .map(|t| format!("Authorization: Bearer {t}"))
        .into_iter()
        .collect();
    let (status, body) = http_get(&server.addr, path, &auth);
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// A value for a parameter of the OpenAPI document, where the walk knows one.
fn value_for(name: &str, schema: &Value, required: bool) -> Option<String> {
    let known = match name {
        "code" | "region" => Some(REGION.to_string()),
        "indicator" => Some(INDICATOR.to_string()),
        "level" => Some("gemeente".into()),
        "period" => Some("2024".into()),
        "layout" => Some("2024".into()),
        "q" => Some("Aalsmeer".into()),
        _ => None,
    };
    if known.is_some() || !required {
        return known;
    }
    schema
        .get("default")
        .or(schema.get("example"))
        .or(schema.get("enum").and_then(|e| e.get(0)))
        .or(schema.get("minimum"))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
}

/// Every request the walk makes from the OpenAPI document: each GET path with the parameters
/// it knows, as JSON and (where the operation has `format`) as CSV.
fn api_requests(server: &Server) -> Vec<String> {
    let (status, body) = get(server, "/api/openapi.json", None);
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let mut path = path.clone();
        if path.contains("{id}") {
            // An id from the list beside it (/api/agenda, /api/groups).
            let list = path.trim_end_matches("/{id}");
            let (_, body) = get(server, list, None);
            let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let id = find_id(&v).unwrap_or_else(|| panic!("no id in {list}"));
            path = path.replace("{id}", &id);
        }
        let mut query = Vec::new();
        let mut has_format = false;
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap_or_default();
            let required = p["required"].as_bool().unwrap_or(false);
            if name == "format" {
                has_format = true;
                continue;
            }
            let Some(value) = value_for(name, &p["schema"], required) else {
                continue;
            };
            match p["in"].as_str() {
                Some("path") => path = path.replace(&format!("{{{name}}}"), &value),
                _ => query.push(format!("{name}={value}")),
            }
        }
        let with = |extra: Option<&str>| {
            let mut q = query.clone();
            q.extend(extra.map(str::to_string));
            if q.is_empty() {
                path.clone()
            } else {
                format!("{path}?{}", q.join("&"))
            }
        };
        out.push(with(None));
        if has_format {
            out.push(with(Some("format=csv")));
        }
    }
    // Every restricted indicator's table, and the profile of every fixture region.
    for id in [INDICATOR, "jv_heeft_schulden", "jv_eenzaam"] {
        out.push(format!(
            "/api/observations?indicator={id}&level=gemeente&period=2024"
        ));
        out.push(format!(
            "/api/observations?indicator={id}&level=land&period=2024&format=csv"
        ));
    }
    for code in ["GM0358", "GM1680", "GM0363", "NL01"] {
        out.push(format!("/api/regions/{code}?period=2024"));
        out.push(format!("/api/regions/{code}/themes?period=2024"));
    }
    out
}

fn find_id(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| m.values().find_map(find_id)),
        Value::Array(a) => a.iter().find_map(find_id),
        _ => None,
    }
}

/// Page addresses to start from: the dashboard with a restricted indicator, the fixture
/// region's pages and downloads (regiobeeld as HTML, SVG, PDF and CSV), search.
fn page_seeds() -> Vec<String> {
    let r = REGION;
    vec![
        "/".into(),
        format!("/?indicator={INDICATOR}&level=gemeente&period=2024"),
        format!("/regio/{r}"),
        format!("/regio/{r}?period=2024"),
        format!("/regio/{r}/themas"),
        format!("/regio/{r}/profiel.svg"),
        format!("/regio/{r}/themas.svg"),
        format!("/regio/{r}/regiobeeld"),
        format!("/regio/{r}/regiobeeld.svg"),
        format!("/regio/{r}/regiobeeld.pdf"),
        format!("/regio/{r}/regiobeeld.csv"),
        format!("/regio/{r}/trend?indicator={INDICATOR}"),
        format!("/regio/{r}/wijzigingen"),
        "/zoeken?q=Aalsmeer".into(),
        "/stapeling?level=gemeente&period=2024".into(),
        "/methodevergelijking?level=gemeente&period=2024".into(),
        "/clusters?level=gemeente&period=2024".into(),
        "/stapeling-personen".into(),
        "/groepen".into(),
        "/methode".into(),
        "/dekking".into(),
        "/signalen".into(),
        "/radar".into(),
        "/agenda".into(),
        "/indicatoren".into(),
        "/bronnen".into(),
        "/over".into(),
        "/toegankelijkheid".into(),
    ]
}

/// The route a page address is an instance of: region codes and query values left out, so the
/// walk spreads over routes instead of following one page's hundred links.
fn route_of(path: &str) -> String {
    let re = regex_lite::Regex::new(r"(NL|PV|GG|GM|WK|BU)[0-9]{2,8}|=[^&]*").unwrap();
    re.replace_all(path, "").into_owned()
}

/// Same-site links of a page (`href="/…"`), without static files.
fn links(body: &str) -> Vec<String> {
    let re = regex_lite::Regex::new(r##"href="(/[^"#]*)"##).unwrap();
    re.captures_iter(body)
        .map(|c| c[1].replace("&amp;", "&"))
        .filter(|l| !l.starts_with("/static/") && !l.starts_with("/favicon"))
        .collect()
}

/// Pages reached from the seeds, breadth first, at most `limit` of them (as the anonymous user
/// sees them, so the analyst walk visits the same addresses).
fn page_requests(server: &Server, limit: usize) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = page_seeds().into();
    let mut out = Vec::new();
    let mut per_route: std::collections::HashMap<String, usize> = Default::default();
    while let Some(path) = queue.pop_front() {
        if out.len() >= limit {
            break;
        }
        if !seen.insert(path.clone()) {
            continue;
        }
        let n = per_route.entry(route_of(&path)).or_default();
        *n += 1;
        if *n > 6 {
            continue;
        }
        let (_, body) = get(server, &path, None);
        for l in links(&body) {
            if !seen.contains(&l) {
                queue.push_back(l);
            }
        }
        out.push(path);
    }
    out
}

fn audit_reads(store: &dyn kwm_store::Store) -> Vec<kwm_store::AuditEntry> {
    store
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "read_restricted")
        .collect()
}

fn leak_walk(db: &str, dir: &Path) {
    let data = repo().join("data");
    let files: Vec<String> = PUBLIC_FILES
        .iter()
        .map(|f| data.join(f).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["ingest", "--db", db];
    args.extend(files.iter().map(String::as_str));
    kwm(&args);
    let fixture = repo().join("crates/cli/tests/data/50140NED_restricted_fixture.csv");
    let report = kwm(&[
        "ingest",
        "--db",
        db,
        "--restricted",
        "--reason",
        "test fixture: embargoed figures",
        fixture.to_str().unwrap(),
    ]);
    assert!(report.contains("load 5"), "{report}");
    kwm(&["harmonise", "--db", db]);
    kwm(&["compute", "--db", db, "--level", "gemeente"]);
    let token = kwm(&[
        "tokens",
        "create",
        "--db",
        db,
        "--role",
        "analyst",
        "--name",
        "leak-test",
    ]);
    let token = token.trim();
    assert!(token.starts_with("kwm_") && token.len() == 68, "{token}");
    let auth = dir.join("auth.toml");
    std::fs::write(&auth, "[tokens]\nenabled = true\n").unwrap();
    let server = serve(db, &auth);
    let audit = kwm_store::StoreLocation::parse(db).open().unwrap();

    // A wrong token is refused, never served as anonymous.
    let (status, body) = get(&server, "/api/indicators", Some("kwm_not-a-token"));
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("\"error\""), "{body}");

    let mut requests = api_requests(&server);
    let api = requests.len();
    requests.extend(page_requests(&server, 300));
    let before = audit_reads(&*audit).len();

    // Anonymous: nothing restricted, and so nothing audited.
    let mut ok = 0;
    for path in &requests {
        let (status, body) = get(&server, path, None);
        assert!(status < 500, "anonymous {path}: {status} {body}");
        if std::env::var_os("KWM_LEAK_VERBOSE").is_some() {
            println!(
                "{status} {path}: {}",
                body.chars().take(160).collect::<String>()
            );
        }
        if status == 200 {
            ok += 1;
        }
        if let Some(context) = leaked(&body) {
            panic!("anonymous {path} ({status}) shows a restricted value: …{context}…");
        }
    }
    assert_eq!(
        audit_reads(&*audit).len(),
        before,
        "anonymous reads were audited"
    );
    println!(
        "{db}: {} requests ({api} from the OpenAPI document), {ok} answered 200, no restricted value",
        requests.len()
    );

    // No rank or national value computed with the restricted figures: the profile does not
    // list the fixture's indicators (all their figures are restricted), and the risk run of
    // gemeenten in 2024 (computed with them) is not there.
    let (_, body) = get(&server, &format!("/api/regions/{REGION}?period=2024"), None);
    let profile: Value = serde_json::from_str(&body).unwrap();
    let mut jv_rows = 0;
    for row in profile["indicators"].as_array().unwrap() {
        let text = row.to_string();
        if text.contains("\"jv_") {
            jv_rows += 1;
            for key in ["value", "rank", "percentile"] {
                let v = row.get(key).cloned().unwrap_or(Value::Null);
                assert!(v.is_null(), "anonymous profile row has {key}: {text}");
            }
        }
    }
    assert_eq!(
        jv_rows, 0,
        "restricted indicators listed in the anonymous profile"
    );
    let (status, _) = get(&server, "/api/stacking?level=gemeente&period=2024", None);
    assert_eq!(
        status, 404,
        "a risk run computed with restricted figures is public"
    );

    // Analyst: the same walk finds the values; each request that returned restricted figures
    // wrote one audit entry, naming the path.
    let mut found = 0;
    let mut audited = 0;
    for path in &requests {
        let n = audit_reads(&*audit).len();
        let (status, body) = get(&server, path, Some(token));
        assert!(status < 500, "analyst {path}: {status} {body}");
        let after = audit_reads(&*audit);
        assert!(after.len() <= n + 1, "more than one audit entry for {path}");
        let shown = leaked(&body).is_some();
        if shown {
            found += 1;
            assert_eq!(after.len(), n + 1, "analyst read of {path} not audited");
        }
        if after.len() == n + 1 {
            audited += 1;
            let e = after.last().unwrap();
            assert_eq!(e.actor, "leak-test");
            assert_eq!(e.via, "token");
            let bare = path.split('?').next().unwrap();
            assert!(e.origin.ends_with(bare), "{} for {path}", e.origin);
            assert!(!e.subject.is_empty());
        }
    }
    println!("{db}: analyst saw restricted values in {found} responses, {audited} audit entries");
    assert!(
        found > 10,
        "the analyst walk found restricted values in only {found} responses"
    );

    // The audit page: admins only.
    let admin = kwm(&[
        "tokens",
        "create",
        "--db",
        db,
        "--role",
        "admin",
        "--name",
        "leak-test-admin",
    ]);
    let admin = admin.trim();
    let (status, _) = get(&server, "/beheer/audit", Some(token));
    assert_eq!(status, 403, "an analyst reads the audit log");
    let (status, _) = get(&server, "/beheer/audit", None);
    assert_eq!(status, 403, "an anonymous user reads the audit log");
    let (status, page) = get(&server, "/beheer/audit", Some(admin));
    assert_eq!(status, 200);
    assert!(page.contains("inzage afgeschermde cijfers") && page.contains("leak-test"));
    let (status, csv) = get(&server, "/beheer/audit?format=csv", Some(admin));
    assert_eq!(status, 200);
    assert!(
        csv.starts_with("id,at,actor,via,action,subject,origin"),
        "{csv}"
    );
    kwm(&["tokens", "revoke", "--db", db, "1"]);
    let (status, _) = get(&server, "/api/indicators", Some(token));
    assert_eq!(status, 401, "a revoked token still works");

    // The access change is recorded and applies to the next request: made public, the values
    // are there for everyone.
    kwm(&[
        "access",
        "--db",
        db,
        "--load",
        "5",
        "--public",
        "--reason",
        "published",
    ]);
    let (_, body) = get(
        &server,
        &format!("/api/observations?indicator={INDICATOR}&level=gemeente&period=2024"),
        None,
    );
    assert!(
        leaked(&body).is_some(),
        "public again but not shown: {body}"
    );
    let log = kwm(&["audit", "--db", db, "--format", "csv"]);
    assert!(log.contains("access_change"), "{log}");
    assert!(log.contains("token_create"), "{log}");
    assert!(log.contains("restricted"), "{log}");
}

#[test]
fn restricted_figures_never_reach_anonymous_users_sqlite() {
    let dir = std::env::temp_dir().join(format!("kwm-access-leak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.sqlite");
    leak_walk(db.to_str().unwrap(), &dir);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restricted_figures_never_reach_anonymous_users_postgres() {
    let Ok(admin_url) = std::env::var("KWM_TEST_POSTGRES") else {
        eprintln!("KWM_TEST_POSTGRES not set: the PostgreSQL leak walk is skipped");
        return;
    };
    let name = format!("kwm_leak_{}", std::process::id());
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .unwrap();
    let url = database_url(&admin_url, &name);
    let dir = std::env::temp_dir().join(format!("kwm-access-leak-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let result = std::panic::catch_unwind(|| {
        leak_walk(&url, &dir);
        // Append-only: the database refuses to change or delete an audit entry.
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        assert!(c.batch_execute("UPDATE audit_log SET actor = 'x'").is_err());
        assert!(c.batch_execute("DELETE FROM audit_log").is_err());
        assert!(c.batch_execute("TRUNCATE audit_log").is_err());
    });
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Without `--auth` the server says, in its second line, that it is public only.
#[test]
fn serve_without_auth_says_it_is_public_only() {
    let dir = std::env::temp_dir().join(format!("kwm-access-public-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.sqlite");
    kwm(&["init", "--db", db.to_str().unwrap()]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_kwm"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("http://127.0.0.1:"), "{first}");
    assert!(second.starts_with("access: public only"), "{second}");
    let _ = std::fs::remove_dir_all(&dir);
}
