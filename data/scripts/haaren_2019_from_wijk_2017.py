#!/usr/bin/env python3
"""Builds data/boundaries/gemeente_2019_haaren_cbs_wijk2017.geojson: the boundary of gemeente
Haaren (GM0788, dissolved on 1 January 2021) in the 2019 layout, as the four CBS wijken of Haaren
in the Wijk- en Buurtkaart 2017 (WK078801 Haaren, WK078802 Helvoirt, WK078803 Esch,
WK078804 Biezenmortel). Geometry is copied unchanged (one MultiPolygon of the four wijk polygons);
only the properties are set to the gemeente. Assumes Haaren's outer boundary did not change
between 2017 and 2019 (no change to Haaren is listed for those years). Run from the repository root:

    python3 data/scripts/haaren_2019_from_wijk_2017.py \
        ../shared/data/boundaries_amsterdam/wijk_2017_nl_cbs_gegeneraliseerd.geojson
"""
import json
import sys

src = json.load(open(sys.argv[1], encoding="utf-8"))
wijken = sorted(
    (f for f in src["features"] if f["properties"]["statcode"].startswith("WK0788")),
    key=lambda f: f["properties"]["statcode"],
)
assert [f["properties"]["statcode"] for f in wijken] == ["WK078801", "WK078802", "WK078803", "WK078804"]
polygons = []
for f in wijken:
    g = f["geometry"]
    polygons.extend([g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"])
out = {
    "type": "FeatureCollection",
    "features": [{
        "type": "Feature",
        "id": "GM0788",
        "properties": {
            "statcode": "GM0788",
            "statnaam": "Haaren",
            "jrstatcode": "2019GM0788",
            "bron": "CBS Wijk- en Buurtkaart 2017: wijken " + ", ".join(
                f"{f['properties']['statcode']} {f['properties']['statnaam']}" for f in wijken),
        },
        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
    }],
}
with open("data/boundaries/gemeente_2019_haaren_cbs_wijk2017.geojson", "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=False, separators=(",", ":"))
    f.write("\n")
print(f"{len(polygons)} polygons")
