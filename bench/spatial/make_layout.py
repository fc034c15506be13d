"""Builds the ~14,000-polygon benchmark layout for `kwm spatial` vs esda (see README.md).

Every one of the 3,070 real CBS 2017 wijken (generalised, all of NL) is cut into Voronoi cells of
random points inside it, clipped to the wijk: ~14,000 buurt-sized polygons that tile each wijk
exactly and keep the real outer wijk boundaries. The number of cells per wijk grows with the
square root of its area (large rural wijken get more, but not proportionally more, as with real
buurten). Values are a smooth field over the country plus noise, rounded to one decimal like a
StatLine percentage, so that clusters exist and ties occur as in real data.

Usage: make_layout.py WIJK_GEOJSON OUT_DIR [TARGET]
"""

import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

wijk_path, out_dir = sys.argv[1], sys.argv[2]
target = int(sys.argv[3]) if len(sys.argv) > 3 else 14000
rng = np.random.default_rng(2024)

wijken = gpd.read_file(wijk_path).to_crs(28992)
wijken["geometry"] = shapely.make_valid(wijken.geometry)
weight = np.sqrt(wijken.area.values)
cells = np.maximum(1, np.round(target * weight / weight.sum())).astype(int)
cells = np.minimum(cells, 99)  # two digits for the buurt number

codes, geoms = [], []
for code, geom, k in zip(wijken["statcode"], wijken.geometry, cells):
    parts = [geom]
    if k > 1:
        minx, miny, maxx, maxy = geom.bounds
        points = []
        while len(points) < k:
            xy = rng.uniform([minx, miny], [maxx, maxy], size=(4 * k, 2))
            inside = shapely.contains_xy(geom, xy[:, 0], xy[:, 1])
            points.extend(xy[inside][: k - len(points)].tolist())
        voronoi = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=geom)
        parts = [shapely.intersection(cell, geom) for cell in voronoi.geoms]
        parts = [p for p in parts if not p.is_empty and p.area > 0]
    for j, part in enumerate(parts):
        polys = [g for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"]
        if not polys:
            continue
        codes.append(f"BU{code[2:]}{j + 1:02d}")
        geoms.append(shapely.MultiPolygon(polys))

out = gpd.GeoDataFrame({"statcode": codes, "jrstatcode": [f"2017{c}" for c in codes]}, geometry=geoms, crs=28992)
out.to_crs(4326).to_file(f"{out_dir}/buurten_14k.geojson", driver="GeoJSON")

c = out.geometry.representative_point()
x, y = (c.x.values - 155000) / 1000, (c.y.values - 463000) / 1000
field = 25 + 6 * np.sin(x / 35) * np.cos(y / 50) + 8 * np.exp(-((x + 40) ** 2 + (y - 20) ** 2) / 900)
value = np.clip(np.round(field + rng.normal(0, 3, len(out)), 1), 0, None)
pd.DataFrame({"code": codes, "value": value}).to_csv(f"{out_dir}/values_14k.csv", index=False)
print(f"{len(out)} polygons from {len(wijken)} wijken, {int(out.geometry.apply(lambda g: shapely.get_num_coordinates(g)).sum())} vertices")
