"""The benchmark aggregation in DuckDB: persons by stacking count per gemeente × age class ×
SES class with all margins (GROUP BY CUBE over the leaf counts), counts 1..9 suppressed (primary
suppression only: DuckDB has no secondary suppression or attacker check), written as the same
long CSV as `kwm microdata stack`.

The stacking count is top-coded like kwm's default profile (0, 1, 2, 3plus, total), or with
`full` as kwm's `--stack-detail all` (0..12, 3plus, total).

Usage: duckdb_stack.py PERSONS.parquet OUT.csv [top|full]"""
import sys
import time

import duckdb

from common import AGE_CLASSES, CHARACTERISTICS, MIN_COUNT, SES_CLASSES, TOP

started = time.perf_counter()
src, out = sys.argv[1], sys.argv[2]
full = len(sys.argv) > 3 and sys.argv[3] == "full"
age = "CASE " + " ".join(f"WHEN age < {nxt} THEN '{lab}'" for (lb, lab), (nxt, _) in zip(AGE_CLASSES, AGE_CLASSES[1:])) + f" ELSE '{AGE_CLASSES[-1][1]}' END"
ses = "CASE " + " ".join(f"WHEN income_decile <= {ub} THEN '{lab}'" for ub, lab in SES_CLASSES[:-1]) + f" ELSE '{SES_CLASSES[-1][1]}' END"
k = " + ".join(f"{c}::INTEGER" for c in CHARACTERISTICS)
if not full:
    k = f"CASE WHEN ({k}) >= {TOP} THEN '{TOP}plus' ELSE CAST(({k}) AS VARCHAR) END"
# Without top-coding, the 3plus node is added from the detailed leaves.
PLUS = f"""UNION ALL
    SELECT year, gm, age_class, ses_class, '{TOP}plus' AS k, sum(n) AS n
    FROM leaf WHERE k >= {TOP} GROUP BY year, CUBE (gm, age_class, ses_class)"""
con = duckdb.connect()
con.execute(f"""
CREATE TEMP TABLE leaf AS
SELECT 'GM' || substr(region, 3, 4) AS gm, {age} AS age_class, {ses} AS ses_class, {k} AS k, year, count(*) AS n
FROM read_parquet('{src}')
GROUP BY ALL;
""")
con.execute(f"""
COPY (
  WITH cube AS (
    SELECT year, gm, age_class, ses_class, CAST(k AS VARCHAR) AS k, sum(n) AS n
    FROM leaf GROUP BY year, CUBE (gm, age_class, ses_class, k)
    {PLUS if full else ""}
  ),
  published AS (
    SELECT *, CASE WHEN n > 0 AND n < {MIN_COUNT} THEN NULL ELSE n END AS value FROM cube
  )
  SELECT coalesce(c.gm, 'NL01') AS region, c.year AS period,
         CASE WHEN c.k IS NULL THEN 'mds_persons' ELSE 'mds_stack_' || c.k END AS indicator,
         c.value, t.value AS n,
         concat_ws(';', CASE WHEN c.age_class IS NOT NULL THEN 'age_class=' || c.age_class END,
                        CASE WHEN c.ses_class IS NOT NULL THEN 'ses_class=' || c.ses_class END) AS breakdown
  FROM published c
  JOIN published t ON t.k IS NULL AND t.year = c.year
       AND t.gm IS NOT DISTINCT FROM c.gm AND t.age_class IS NOT DISTINCT FROM c.age_class
       AND t.ses_class IS NOT DISTINCT FROM c.ses_class
) TO '{out}' (HEADER, DELIMITER ',');
""")
rows = con.execute(f"SELECT count(*) FROM read_csv('{out}')").fetchone()[0]
print(f"duckdb {duckdb.__version__}: {rows} rows in {time.perf_counter() - started:.2f} s")
