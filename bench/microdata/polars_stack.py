"""The benchmark aggregation in Polars: leaf counts by gemeente × age class × SES class ×
stacking count with a lazy scan, then every margin (Polars has no CUBE), counts 1..9
suppressed (primary suppression only), written as the same long CSV as `kwm microdata stack`.

The stacking count is top-coded like kwm's default profile (0, 1, 2, 3plus, total), or with
`full` as kwm's `--stack-detail all` (0..12, and the 3plus node from the leaf table).

Usage: polars_stack.py PERSONS.parquet OUT.csv [top|full]"""
import itertools
import sys
import time

import polars as pl

from common import AGE_CLASSES, CHARACTERISTICS, MIN_COUNT, SES_CLASSES, TOP

started = time.perf_counter()
src, out = sys.argv[1], sys.argv[2]
full = len(sys.argv) > 3 and sys.argv[3] == "full"
age = pl.when(pl.col("age") < AGE_CLASSES[1][0]).then(pl.lit(AGE_CLASSES[0][1]))
for (lb, lab), (nxt, _) in zip(AGE_CLASSES[1:], AGE_CLASSES[2:]):
    age = age.when(pl.col("age") < nxt).then(pl.lit(lab))
age = age.otherwise(pl.lit(AGE_CLASSES[-1][1]))
ses = pl.when(pl.col("income_decile") <= SES_CLASSES[0][0]).then(pl.lit(SES_CLASSES[0][1]))
for ub, lab in SES_CLASSES[1:-1]:
    ses = ses.when(pl.col("income_decile") <= ub).then(pl.lit(lab))
ses = ses.otherwise(pl.lit(SES_CLASSES[-1][1]))
leaf = (
    pl.scan_parquet(src)
    .select(
        pl.col("year"),
        (pl.lit("GM") + pl.col("region").str.slice(2, 4)).alias("gm"),
        age.alias("age_class"),
        ses.alias("ses_class"),
        pl.sum_horizontal([pl.col(c).cast(pl.Int32) for c in CHARACTERISTICS]).alias("k"),
    )
    .group_by(["year", "gm", "age_class", "ses_class", "k"])
    .agg(pl.len().alias("n"))
    .collect()
)
if full:
    leaf = leaf.with_columns(pl.col("k").cast(pl.Utf8))
    plus = (
        leaf.filter(pl.col("k").cast(pl.Int32) >= TOP)
        .group_by(["year", "gm", "age_class", "ses_class"])
        .agg(pl.col("n").sum())
        .with_columns(pl.lit(f"{TOP}plus").alias("k"))
        .select(leaf.columns)
    )
    base = pl.concat([leaf, plus])
else:
    leaf = (
        leaf.with_columns(
            pl.when(pl.col("k") >= TOP).then(pl.lit(f"{TOP}plus")).otherwise(pl.col("k").cast(pl.Utf8)).alias("k")
        )
        .group_by(["year", "gm", "age_class", "ses_class", "k"])
        .agg(pl.col("n").sum())
    )
    base = leaf
keys = ["gm", "age_class", "ses_class", "k"]
parts = []
for r in range(len(keys) + 1):
    for kept in itertools.combinations(keys, r):
        dropped = [c for c in keys if c not in kept]
        src_tab = base if "k" in kept else leaf  # 3plus rows must not double-count totals
        g = src_tab.group_by(["year", *kept]).agg(pl.col("n").sum())
        parts.append(g.with_columns([pl.lit(None, dtype=pl.Utf8).alias(c) for c in dropped]).select(["year", *keys, "n"]))
cube = pl.concat(parts).with_columns(
    pl.when((pl.col("n") > 0) & (pl.col("n") < MIN_COUNT)).then(None).otherwise(pl.col("n")).alias("value")
)
totals = cube.filter(pl.col("k").is_null()).select(["year", "gm", "age_class", "ses_class", pl.col("value").alias("persons")])
result = (
    cube.join(totals, on=["year", "gm", "age_class", "ses_class"], how="left", nulls_equal=True)
    .select(
        pl.col("gm").fill_null("NL01").alias("region"),
        pl.col("year").alias("period"),
        pl.when(pl.col("k").is_null()).then(pl.lit("mds_persons")).otherwise(pl.lit("mds_stack_") + pl.col("k")).alias("indicator"),
        pl.col("value"),
        pl.col("persons").alias("n"),
        pl.concat_str(
            [pl.lit("age_class=") + pl.col("age_class"), pl.lit("ses_class=") + pl.col("ses_class")],
            separator=";", ignore_nulls=True,
        ).alias("breakdown"),
    )
)
result.write_csv(out)
print(f"polars {pl.__version__}: {result.height} rows in {time.perf_counter() - started:.2f} s")
