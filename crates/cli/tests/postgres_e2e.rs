//! Server mode end to end, through the binary: `kwm ingest` the real demo files into a
//! PostgreSQL database and into a SQLite file, serve the database from two `kwm serve`
//! processes and the file from a third, and require the same bytes from every API answer.
//!
//! Needs `KWM_TEST_POSTGRES` (a database on a server whose user may create databases):
//! `eval "$(scripts/start-postgres.sh)"`, or scripts/test, which starts one. Without it this
//! test fails.

use std::time::Instant;

use kwm_testkit::{database_url, http_get, run, run_ok, serve_command, spawn_server, Server};
use serde_json::Value;

const HOW_TO: &str = "KWM_TEST_POSTGRES is not set, and the server-mode test needs a PostgreSQL \
server: start a throwaway one with `eval \"$(scripts/start-postgres.sh)\"` (needs Debian's \
postgresql package: `apt-get install -y postgresql`), or run scripts/test, which does both";

/// The demo files in `kwm demo`'s order.
const DEMO_FILES: &[&str] = kwm_testkit::CORE_DEMO_FILES;

/// A fresh database on the test server, dropped when this is.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    fn create(tag: &str) -> Database {
        let admin_url = std::env::var("KWM_TEST_POSTGRES").expect(HOW_TO);
        let name = format!("kwm_e2e_{}_{tag}", std::process::id());
        let mut admin =
            postgres::Client::connect(&admin_url, postgres::NoTls).unwrap_or_else(|e| {
                panic!("cannot connect to KWM_TEST_POSTGRES={admin_url}: {e}\n{HOW_TO}")
            });
        // A Dutch linguistic default collation, so that any ordering left to the database's
        // locale would show as a difference from SQLite.
        if admin
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'nl-NL'"
            ))
            .is_err()
        {
            admin
                .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
                .unwrap();
        }
        let url = database_url(&admin_url, &name);
        Database {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn kwm(args: &[&str]) -> std::process::Output {
    run(env!("CARGO_BIN_EXE_kwm"), args)
}

fn ingest(db: &str) -> String {
    let files: Vec<String> = kwm_testkit::data_files(DEMO_FILES)
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let mut args = vec!["ingest", "--db", db];
    args.extend(files.iter().map(String::as_str));
    run_ok(env!("CARGO_BIN_EXE_kwm"), &args)
}

/// `kwm serve` on `db`, ready once it has said where it listens.
fn serve(db: &str) -> Server {
    spawn_server(serve_command(env!("CARGO_BIN_EXE_kwm"), db), |line| {
        line.contains("http://")
    })
}

/// `GET path`: status and body (which must be UTF-8).
fn get(server: &Server, path: &str) -> (u16, String) {
    let (status, body) = http_get(&server.addr, path, &[]);
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn postgres_server_mode_answers_exactly_like_the_embedded_store() {
    let db = Database::create("demo");
    let dir = std::env::temp_dir().join(format!("kwm-pg-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = dir.join("demo.sqlite");
    let sqlite = sqlite.to_str().unwrap();

    // The same report, file for file: formats, counts, new and replaced figures, load ids.
    let started = Instant::now();
    let pg_report = ingest(&db.url);
    let pg_time = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let sqlite_report = ingest(sqlite);
    println!(
        "kwm ingest (debug build): {pg_time:.1} s into PostgreSQL, {:.1} s into SQLite",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(pg_report, sqlite_report);
    assert!(pg_report.contains("loaded as statline"), "{pg_report}");
    let again = ingest(&db.url);
    assert_eq!(
        again.matches("already loaded").count(),
        DEMO_FILES.len() - 1,
        "{again}"
    );

    // Harmonising and computing the risk model write through the same trait: both backends
    // must then answer the series, change, warning and stacking endpoints identically too.
    for store in [db.url.as_str(), sqlite] {
        for args in [
            vec!["harmonise", "--db", store],
            vec!["compute", "--db", store],
        ] {
            let out = kwm(&args);
            assert!(
                out.status.success(),
                "kwm {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // Two stateless server processes share the database.
    let pg = [serve(&db.url), serve(&db.url)];
    let reference = serve(sqlite);

    let mut paths: Vec<String> = vec![
        "/api/indicators".into(),
        "/api/indicators?format=csv".into(),
        "/".into(),
        "/regio/GM0363".into(),
    ];
    let (status, indicators) = get(&reference, "/api/indicators");
    assert_eq!(status, 200);
    let indicators: Value = serde_json::from_str(&indicators).unwrap();
    let mut region_periods = std::collections::BTreeSet::new();
    for i in indicators.as_array().unwrap() {
        let id = i["id"].as_str().unwrap();
        for level in i["levels"].as_array().unwrap() {
            for period in i["periods"].as_array().unwrap() {
                region_periods.insert((
                    level.as_str().unwrap().to_string(),
                    period.as_i64().unwrap(),
                ));
                paths.push(format!(
                    "/api/observations?indicator={id}&level={}&period={period}",
                    level.as_str().unwrap()
                ));
            }
        }
    }
    for (level, period) in &region_periods {
        let path = format!("/api/regions?level={level}&period={period}");
        let (status, body) = get(&reference, &path);
        paths.push(path);
        if status != 200 {
            continue;
        }
        let regions: Value = serde_json::from_str(&body).unwrap();
        let regions = regions["regions"].as_array().cloned().unwrap_or_default();
        // Profiles of a spread of regions per level and period, the first and last included:
        // each profile is one region's every indicator, ranked among its level.
        let step = (regions.len() / 8).max(1);
        let picked = regions
            .iter()
            .step_by(step)
            .chain(regions.last())
            .map(|r| r["code"].as_str().unwrap().to_string())
            .collect::<std::collections::BTreeSet<_>>();
        for code in picked {
            paths.push(format!("/api/regions/{code}?period={period}"));
        }
    }
    paths.push("/api/regions/GM0363".into());
    paths.push("/api/regions/GM9999".into());
    for extra in [
        "/api/changes",
        "/api/changes?from=2019&to=2024&level=gemeente",
        "/api/regions/GM1979/series?indicator=kwb_aantal_inwoners&layout=2024",
        "/api/regions/GM0363/series?indicator=kwb_aantal_inwoners&layout=2024",
        "/api/warnings?level=wijk&period=2019",
        "/api/warnings?level=buurt&period=2019",
        "/api/stacking?level=gemeente&period=2024",
        "/api/regions/GM0917/themes?period=2024",
        "/api/coverage",
        "/api/composite?level=gemeente&period=2024",
        "/api/clusters?level=gemeente&period=2024&variable=stacking&statistic=lisa",
        "/api/clusters?level=gemeente&period=2024&variable=stacking&statistic=gistar&fdr=true",
        "/methodevergelijking",
        "/clusters",
        "/stapeling",
        "/signalen",
    ] {
        paths.push(extra.into());
    }

    let observations = paths
        .iter()
        .filter(|p| p.starts_with("/api/observations"))
        .count();
    let profiles = paths
        .iter()
        .filter(|p| p.starts_with("/api/regions/"))
        .count();
    // Times of loading, computing and harmonising differ between the two runs; nothing else may.
    let mask = |body: String| {
        let mut v: Value = serde_json::from_str(&body).unwrap();
        fn walk(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m.iter_mut() {
                        if matches!(k.as_str(), "loaded_at" | "computed_at" | "created_at") {
                            *x = Value::Null;
                        } else {
                            walk(x);
                        }
                    }
                }
                Value::Array(a) => a.iter_mut().for_each(walk),
                _ => {}
            }
        }
        walk(&mut v);
        v
    };
    let started = Instant::now();
    let mut checked = 0;
    for (i, path) in paths.iter().enumerate() {
        let expected = get(&reference, path);
        let answer = get(&pg[i % 2], path);
        if path.starts_with("/api/") && expected.0 == 200 && !path.contains("format=csv") {
            assert_eq!(answer.0, expected.0, "GET {path} (PostgreSQL vs SQLite)");
            assert_eq!(
                mask(answer.1),
                mask(expected.1.clone()),
                "GET {path} (PostgreSQL vs SQLite)"
            );
        } else {
            assert_eq!(answer, expected, "GET {path} (PostgreSQL vs SQLite)");
        }
        if expected.0 == 200 {
            checked += 1;
        }
    }
    println!(
        "{} answers identical ({observations} observation tables, {profiles} region profiles; {checked} of them 200 OK) in {:.1} s",
        paths.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        observations > 100 && profiles > 20 && checked > 150,
        "too few answers compared"
    );

    // Loads: the same provenance, apart from the time of loading.
    let (status, expected) = get(&reference, "/api/loads");
    assert_eq!(status, 200);
    let (status, answer) = get(&pg[1], "/api/loads");
    assert_eq!(status, 200);
    assert_eq!(mask(answer), mask(expected));
}
