"""Store benchmark: size, ingest rate, buurt-level compute and serving latency of the monitor's
store on SQLite and PostgreSQL, with DuckDB beside it on the same long table. One run, ratios
and sizes in one table (bench/store/RESULTS.md). Not a test: nothing here asserts a time.

Datasets:
  (a) the real national demo set (`kwm demo`'s files: RIVM 50090NED 2012/2016/2020 adults and
      2016/2020 elderly down to buurt, KWB 2020 per gemeente, KWB 2024 all levels, wijk
      boundaries 2022, code lists, change table; CBS/RIVM open data, CC BY 4.0);
  (b) SYNTHETIC scale-up: the 2020 buurt codes x YEARS years x INDICATORS indicators of random
      values (long CSV, one file per year, generated in target/bench-store; never committed).
      Thirteen of the indicators carry the real RIVM ids, so the risk model has something to
      compute at buurt level.

Run through bench/store/run.sh (builds the release binary, makes the Python venv, starts a
throwaway PostgreSQL server when KWM_TEST_POSTGRES is unset).
"""

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "bench-store"
KWM = ROOT / "target" / "release" / "kwm"
DEMO_DIR = ROOT / "data"


def demo_files():
    src = (ROOT / "crates/cli/src/monitor_cmds.rs").read_text()
    block = src.split("const DEMO_FILES: &[&str] = &[", 1)[1].split("];", 1)[0]
    # Only the string literals at the start of a line: comments quote page names too.
    return [str(DEMO_DIR / f) for f in re.findall(r'^\s*"([^"]+/[^"]+)",', block, re.M)]


def run(cmd, **kw):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return dt, p.stdout


def psql(url, sql):
    return subprocess.run(["psql", "-qAt", url, "-c", sql], capture_output=True, text=True, check=True).stdout.strip()


class Backend:
    def __init__(self, name, make_location):
        self.name = name
        self.make_location = make_location


def sqlite_location(tag):
    path = OUT / f"{tag}.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return str(path)


def pg_location(base_url, tag):
    db = f"kwm_bench_{tag}"
    psql(base_url, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(base_url, f"CREATE DATABASE {db}")
    return re.sub(r"/[^/?]+(\?|$)", f"/{db}\\1", base_url, count=1) if "/" in base_url.split("@")[-1] else base_url + "/" + db


def figures_and_size(location):
    """(figures, bytes of the whole store, bytes of the figure tables and their indexes)."""
    if location.startswith("postgres"):
        figures = int(psql(location, "SELECT count(*) FROM figures"))
        total = int(psql(location, "SELECT pg_database_size(current_database())"))
        tables = int(psql(location, "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['figures','figure_series','figure_regions','figure_coverage']::regclass[]) c"))
        ranks = int(psql(location, "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['figure_ranks','figure_stats']::regclass[]) c"))
        return figures, total, tables, ranks
    con = sqlite3.connect(location)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    figures = con.execute("SELECT count(*) FROM figures").fetchone()[0]
    try:
        sizes = dict(con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
    except sqlite3.OperationalError:
        sizes = {}
    con.close()
    total = os.path.getsize(location)
    tables = sum(v for k, v in sizes.items() if k.startswith(("figures", "figure_series", "figure_regions", "figure_coverage", "sqlite_autoindex_figure_series", "sqlite_autoindex_figure_regions")))
    ranks = sum(v for k, v in sizes.items() if k.startswith(("figure_ranks", "figure_stats")))
    return figures, total, tables, ranks


def ingest(location, files):
    dt, out = run([KWM, "ingest", "--db", location, *files])
    return dt


def compute(location, level, period):
    dt, _ = run([KWM, "compute", "--db", location, "--level", level, "--period", str(period)])
    return dt


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def ab(url, n, c):
    p = subprocess.run(["ab", "-q", "-n", str(n), "-c", str(c), url], capture_output=True, text=True)
    out = p.stdout
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", out, re.M))
    rps = re.search(r"Requests per second:\s+([\d.]+)", out)
    failed = re.search(r"Failed requests:\s+(\d+)", out)
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", out)
    return {
        "p50": int(pct.get("50", -1)),
        "p99": int(pct.get("99", -1)),
        "rps": float(rps.group(1)) if rps else 0.0,
        "failed": int(failed.group(1)) if failed else -1,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def serve(location, port):
    # No rate limit: the benchmark is one client sending thousands of requests on purpose.
    proc = subprocess.Popen([KWM, "serve", "--db", location, "--addr", f"127.0.0.1:{port}", "--rate-limit", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/indicators", timeout=5)
            return proc
        except Exception:
            time.sleep(0.5)
    proc.kill()
    sys.exit("server did not start")


def serving(location, port, urls, requests, memory_requests):
    proc = serve(location, port)
    results = {}
    try:
        for name, path in urls:
            url = f"http://127.0.0.1:{port}{path}"
            urllib.request.urlopen(url, timeout=120).read()  # warm
            # The stacking page lists every region of the level (14,000 buurten, 4.7 MB): fewer.
            n = requests if name != "/stapeling" else max(requests // 10, 10)
            for c in (1, 16):
                t = time.perf_counter()
                results[(name, c)] = ab(url, n if c == 1 else n * 4, c)
                print(f"   {name} c={c}: {results[(name, c)]} ({time.perf_counter() - t:.0f} s)", flush=True)
        profile = f"http://127.0.0.1:{port}" + dict(urls)["/api/regions/{code}"]
        before = rss_kb(proc.pid)
        mem = ab(profile, memory_requests, 16)
        after = rss_kb(proc.pid)
        mem2 = ab(profile, memory_requests, 16)
        after2 = rss_kb(proc.pid)
        results["memory"] = {"requests": memory_requests, "before_kb": before, "after_1_kb": after, "after_2_kb": after2, "rps": mem["rps"], "rps2": mem2["rps"]}
        print(f"   memory {results['memory']}", flush=True)
    finally:
        proc.terminate()
        proc.wait()
    return results


def generate_synthetic(years, indicators):
    """Long CSV per year over the 2020 buurt codes; returns (files, figures)."""
    d = OUT / f"synthetic_{years}y_{indicators}i"
    d.mkdir(parents=True, exist_ok=True)
    codes = []
    with open(DEMO_DIR / "rivm/50090NED_2020_18plus.csv", encoding="utf-8") as f:
        for line in f:
            m = re.search(r'"?(BU\d{8})\s*"?', line)
            if m:
                codes.append(m.group(1))
    codes = sorted(set(codes))
    real = ["vo_beperkt_door_gezondheid_18plus", "vo_eenzaam_18plus", "vo_ernstig_eenzaam_18plus", "vo_goed_ervaren_gezondheid_18plus",
            "vo_hoog_risico_angst_depressie_18plus", "vo_langdurige_aandoening_18plus", "vo_lichamelijke_beperking_18plus",
            "vo_mantelzorger_18plus", "vo_moeite_met_rondkomen_18plus", "vo_sociaal_eenzaam_18plus", "vo_veel_stress_18plus",
            "vo_vrijwilligerswerk_18plus", "vo_wekelijkse_sporters_18plus"]
    ids = real + [f"syn_indicator_{i:03d}" for i in range(indicators - len(real))]
    files = []
    rng = random.Random(2026)
    for y in range(years):
        period = 2020 - y
        path = d / f"synthetic_{period}.csv"
        files.append(str(path))
        if path.exists():
            continue
        with open(path, "w", encoding="utf-8") as f:
            f.write("region,period,indicator,value\n")
            for ind in ids:
                for code in codes:
                    f.write(f"{code},{period},{ind},{rng.random() * 100:.1f}\n")
    return files, len(codes) * years * len(ids), len(codes)


def duckdb_side(sqlite_path, ind, region, period):
    import duckdb
    path = OUT / "figures.duckdb"
    path.unlink(missing_ok=True)
    con = sqlite3.connect(sqlite_path)
    rows = con.execute(
        "SELECT s.indicator, r.code, f.period, s.breakdown, f.value, f.lower, f.upper, f.n, f.status, f.load_id "
        "FROM figures f JOIN figure_series s ON s.id = f.series JOIN figure_regions r ON r.id = f.region")
    d = duckdb.connect(str(path))
    d.execute("CREATE TABLE figures (indicator VARCHAR, region VARCHAR, period INTEGER, breakdown VARCHAR, value DOUBLE, lower DOUBLE, upper DOUBLE, n DOUBLE, status TINYINT, load_id INTEGER)")
    t = time.perf_counter()
    while True:
        chunk = rows.fetchmany(500_000)
        if not chunk:
            break
        import pandas as pd
        df = pd.DataFrame(chunk, columns=["indicator", "region", "period", "breakdown", "value", "lower", "upper", "n", "status", "load_id"])
        d.execute("INSERT INTO figures SELECT * FROM df")
    d.execute("CHECKPOINT")
    load = time.perf_counter() - t
    size = os.path.getsize(path)
    q1 = "SELECT region, value FROM figures WHERE indicator = ? AND period = ? AND breakdown = '' AND region LIKE 'BU%' ORDER BY region"
    q2 = "SELECT indicator, value FROM figures WHERE region = ? AND period = ? AND breakdown = '' ORDER BY indicator"
    times = {}
    for name, q, args in (("one indicator, all buurten", q1, (ind, period)), ("one region, all indicators", q2, (region, period))):
        ts = []
        for _ in range(15):
            t = time.perf_counter()
            d.execute(q, args).fetchall()
            ts.append(time.perf_counter() - t)
        times[name] = statistics.median(ts) * 1000
    # The same two reads on the monitor's SQLite store, in-process (its own SQL).
    s1 = ("SELECT r.code, f.value FROM figure_series s CROSS JOIN figures f CROSS JOIN figure_regions r "
          "WHERE f.series = s.id AND f.region = r.id AND s.indicator = ? AND s.level = 'buurt' AND s.breakdown = '' AND f.period = ? ORDER BY r.code")
    s2 = ("SELECT s.indicator, f.value FROM figure_regions r CROSS JOIN figures f CROSS JOIN figure_series s "
          "WHERE f.series = s.id AND f.region = r.id AND r.code = ? AND f.period = ? AND s.breakdown = '' ORDER BY s.indicator")
    stimes = {}
    for name, q, args in (("one indicator, all buurten", s1, (ind, period)), ("one region, all indicators", s2, (region, period))):
        ts = []
        for _ in range(15):
            t = time.perf_counter()
            con.execute(q, args).fetchall()
            ts.append(time.perf_counter() - t)
        stimes[name] = statistics.median(ts) * 1000
    n = d.execute("SELECT count(*) FROM figures").fetchone()[0]
    return {"size": size, "figures": n, "load_s": load, "duckdb_ms": times, "sqlite_ms": stimes, "version": duckdb.__version__}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--indicators", type=int, default=100)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--memory-requests", type=int, default=10_000, help="profile requests per memory reading (SQLite; PostgreSQL a fifth)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    pg = os.environ.get("KWM_TEST_POSTGRES")
    backends = [] if args.skip_sqlite else [("SQLite", lambda tag: sqlite_location(tag))]
    if pg and not args.skip_postgres:
        backends.append(("PostgreSQL", lambda tag: pg_location(pg, tag)))

    # Results accumulate over runs (one row per dataset and backend, the newest wins), so a part
    # can be measured again alone.
    path = OUT / "results.json"
    report = json.loads(path.read_text()) if path.exists() else {"rows": []}
    report.update({"machine": os.uname().nodename, "cores": os.cpu_count()})
    datasets = [] if args.skip_real else [("a", "national demo (real)", demo_files(), "buurt", 2020, "vo_eenzaam_18plus", "GM0363", 2020)]
    if not args.skip_synthetic:
        files, n, buurten = generate_synthetic(args.years, args.indicators)
        datasets.append(("b", f"synthetic {buurten} buurten x {args.years} years x {args.indicators} indicators ({n:,} figures)", files, "buurt", 2020, "vo_eenzaam_18plus", "BU03630000", 2020))
    port = 18700
    for tag, label, files, level, period, ind, region, rperiod in datasets:
        for backend, make in backends:
            location = make(f"{tag}_{backend.lower()}")
            print(f"== {label} on {backend}", flush=True)
            t_ingest = ingest(location, files) if tag == "a" else sum(ingest(location, [f]) for f in files)
            figures, total, tables, ranks = figures_and_size(location)
            print(f"   ingest {t_ingest:.1f} s, {figures:,} figures, {total / 1e6:.1f} MB", flush=True)
            t_compute = compute(location, level, period)
            print(f"   compute {t_compute:.1f} s", flush=True)
            port += 1
            urls = [
                ("/api/observations", f"/api/observations?indicator={ind}&level={level}&period={period}"),
                ("/api/regions/{code}", f"/api/regions/{region}?period={rperiod}"),
                ("/regio/{code}", f"/regio/{region}?period={rperiod}"),
                ("/stapeling", f"/stapeling?level={level}&period={period}"),
            ]
            memory_requests = args.memory_requests if backend == "SQLite" else args.memory_requests // 5
            served = serving(location, port, urls, args.requests, memory_requests)
            row = {"dataset": label, "backend": backend, "figures": figures, "store_bytes": total, "figure_bytes": tables, "rank_bytes": ranks,
                   "ingest_s": t_ingest, "compute_s": t_compute,
                   "serving": {f"{k[0]} c={k[1]}": v for k, v in served.items() if isinstance(k, tuple)}, "memory": served["memory"]}
            report["rows"] = [r for r in report["rows"] if (r["dataset"], r["backend"]) != (label, backend)] + [row]
            if backend == "SQLite":
                report.setdefault("duckdb", {})[label] = duckdb_side(location, ind, region, rperiod)
                print(json.dumps(report["duckdb"][label], indent=1), flush=True)
            path.write_text(json.dumps(report, indent=1))
            write_markdown(report)


def write_markdown(report):
    lines = ["# Store benchmark", "", "Made by `bash bench/store/run.sh` (bench/store/run.py); raw numbers in `target/bench-store/results.json`.",
             f"Machine: {report['cores']} cores, shared with other work while it ran (latencies are indicative, sizes exact).", ""]
    lines += ["## Size and load", "", "| dataset | backend | figures | whole store | bytes/figure (whole store) | figure tables | bytes/figure (figure tables) | stored ranks | ingest | figures/s | buurt `kwm compute` |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["rows"]:
        f = max(r["figures"], 1)
        lines.append(f"| {r['dataset']} | {r['backend']} | {r['figures']:,} | {r['store_bytes'] / 1e6:.1f} MB | {r['store_bytes'] / f:.0f} | {r['figure_bytes'] / 1e6:.1f} MB | {r['figure_bytes'] / f:.0f} | {r['rank_bytes'] / 1e6:.1f} MB | {r['ingest_s']:.1f} s | {r['figures'] / r['ingest_s']:,.0f} | {r['compute_s']:.1f} s |")
    lines += ["", "## Serving (ab on loopback; ms)", "", "| dataset | backend | request | c=1 p50 | c=1 p99 | c=1 req/s | c=16 p50 | c=16 p99 | c=16 req/s | failed |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["rows"]:
        names = sorted({k.rsplit(" c=", 1)[0] for k in r["serving"]})
        for n in names:
            a, b = r["serving"][f"{n} c=1"], r["serving"][f"{n} c=16"]
            lines.append(f"| {r['dataset']} | {r['backend']} | `{n}` | {a['p50']} | {a['p99']} | {a['rps']:.0f} | {b['p50']} | {b['p99']} | {b['rps']:.0f} | {a['failed'] + b['failed'] + a['non2xx'] + b['non2xx']} |")
    lines += ["", "## Resident memory of `kwm serve` under sustained profile requests (c=16)", "",
              "Read after the serving runs above (which include the stacking page of every buurt), then after N and 2N more `/api/regions/{code}` requests.", "",
              "| dataset | backend | N | before | after N | after 2N |", "|---|---|---:|---:|---:|---:|"]
    for r in report["rows"]:
        m = r["memory"]
        lines.append(f"| {r['dataset']} | {r['backend']} | {m['requests']:,} | {m['before_kb'] / 1024:.0f} MB | {m['after_1_kb'] / 1024:.0f} MB | {m['after_2_kb'] / 1024:.0f} MB |")
    if report.get("duckdb"):
        lines += ["", "## DuckDB beside it (the same long table; in-process, median of 15, ms)", "",
                  "| dataset | DuckDB size | bytes/figure | kwm SQLite figure tables bytes/figure | read | DuckDB | kwm SQLite (its SQL) | ratio SQLite/DuckDB |", "|---|---:|---:|---:|---|---:|---:|---:|"]
        for label, d in report["duckdb"].items():
            sq = next(r for r in report["rows"] if r["dataset"] == label and r["backend"] == "SQLite")
            for q in d["duckdb_ms"]:
                lines.append(f"| {label} | {d['size'] / 1e6:.1f} MB | {d['size'] / max(d['figures'], 1):.0f} | {sq['figure_bytes'] / max(sq['figures'], 1):.0f} | {q} | {d['duckdb_ms'][q]:.2f} | {d['sqlite_ms'][q]:.2f} | {d['sqlite_ms'][q] / d['duckdb_ms'][q]:.2f} |")
        lines.append(f"\nDuckDB {next(iter(report['duckdb'].values()))['version']} (PyPI).")
    (ROOT / "bench/store/RESULTS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
