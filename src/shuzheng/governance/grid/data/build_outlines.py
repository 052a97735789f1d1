"""Builds ``outlines.json``: the schematic (hand-made, simplified — NOT survey data) outlines of
Zhuhai's districts, zones, streets and towns used by the offline map.

Each district or zone is a hand-drawn outline (WGS-84 lng/lat, 8–20 vertices) placed roughly
where it lies; its streets and towns are the Voronoi cells of one hand-placed seed per street
(near the street's real centre) clipped to the district outline, so the streets tile their
district without gaps or overlaps. Run it again after editing the outlines or seeds:

    .venv/bin/python src/shuzheng/governance/grid/data/build_outlines.py
"""

import json
from pathlib import Path

import shapely
from shapely import MultiPoint, MultiPolygon, Point, Polygon, voronoi_polygons
from shapely.geometry import shape

SOURCE = "示意轮廓（简化）"
GRID = 1e-5  # every overlay on one precision grid: streets tile districts exactly
OUT = Path(__file__).with_name("outlines.json")

GAOXIN = "珠海高新技术产业开发区 (珠海高新区)"
HENGQIN = "横琴粤澳深度合作区"
WANSHAN = "珠海万山海洋开发试验区 (万山区)"

# name → (outline, {street: seed}); outlines of earlier entries are cut out of later ones
DISTRICTS = [
    (
        GAOXIN,
        [
            (113.500, 22.330),
            (113.515, 22.352),
            (113.520, 22.380),
            (113.540, 22.405),
            (113.575, 22.425),
            (113.605, 22.418),
            (113.618, 22.392),
            (113.602, 22.366),
            (113.608, 22.342),
            (113.588, 22.320),
            (113.560, 22.315),
            (113.530, 22.316),
        ],
        {"唐家湾镇": (113.565, 22.370)},
    ),
    (
        "香洲区",
        [
            (113.468, 22.298),
            (113.500, 22.330),
            (113.530, 22.316),
            (113.560, 22.315),
            (113.588, 22.320),
            (113.592, 22.300),
            (113.580, 22.282),
            (113.592, 22.262),
            (113.586, 22.240),
            (113.566, 22.226),
            (113.556, 22.212),
            (113.540, 22.204),
            (113.532, 22.186),
            (113.514, 22.180),
            (113.494, 22.194),
            (113.470, 22.204),
            (113.458, 22.230),
            (113.470, 22.262),
        ],
        {
            "凤山街道": (113.512, 22.300),
            "香湾街道": (113.568, 22.302),
            "翠香街道": (113.560, 22.278),
            "梅华街道": (113.535, 22.272),
            "狮山街道": (113.553, 22.256),
            "吉大街道": (113.576, 22.246),
            "前山街道": (113.520, 22.246),
            "拱北街道": (113.548, 22.224),
            "湾仔街道": (113.526, 22.200),
            "南屏镇": (113.484, 22.226),
        },
    ),
    (
        HENGQIN,
        [
            (113.472, 22.140),
            (113.490, 22.156),
            (113.515, 22.162),
            (113.536, 22.158),
            (113.549, 22.150),
            (113.553, 22.134),
            (113.546, 22.114),
            (113.535, 22.096),
            (113.515, 22.086),
            (113.494, 22.090),
            (113.479, 22.105),
            (113.468, 22.124),
        ],
        {"横琴镇": (113.512, 22.124)},
    ),
    (
        "斗门区",
        [
            (113.150, 22.300),
            (113.168, 22.360),
            (113.200, 22.400),
            (113.240, 22.420),
            (113.280, 22.410),
            (113.302, 22.380),
            (113.330, 22.342),
            (113.360, 22.300),
            (113.380, 22.250),
            (113.386, 22.200),
            (113.372, 22.166),
            (113.330, 22.150),
            (113.290, 22.142),
            (113.240, 22.136),
            (113.200, 22.140),
            (113.166, 22.170),
            (113.150, 22.230),
        ],
        {
            "莲洲镇": (113.235, 22.355),
            "斗门镇": (113.188, 22.236),
            "乾务镇": (113.240, 22.168),
            "井岸镇": (113.288, 22.214),
            "白蕉镇": (113.325, 22.282),
            "白藤街道": (113.352, 22.186),
        },
    ),
    (
        "金湾区",
        [
            (113.170, 22.120),
            (113.200, 22.140),
            (113.240, 22.136),
            (113.290, 22.142),
            (113.330, 22.150),
            (113.372, 22.166),
            (113.410, 22.140),
            (113.420, 22.100),
            (113.410, 22.040),
            (113.390, 22.000),
            (113.350, 21.985),
            (113.300, 21.990),
            (113.272, 21.942),
            (113.240, 21.922),
            (113.210, 21.950),
            (113.200, 22.000),
            (113.176, 22.060),
        ],
        {
            "平沙镇": (113.215, 22.080),
            "南水镇": (113.256, 21.972),
            "红旗镇": (113.360, 22.124),
            "三灶镇": (113.368, 22.040),
        },
    ),
]
# 万山群岛: three island towns, each a small hand-drawn island; the zone is their union
ISLANDS = {
    "桂山镇": [
        (113.808, 22.130),
        (113.822, 22.146),
        (113.845, 22.148),
        (113.858, 22.136),
        (113.846, 22.121),
        (113.824, 22.118),
    ],
    "万山镇": [
        (113.700, 21.930),
        (113.716, 21.946),
        (113.736, 21.946),
        (113.752, 21.934),
        (113.740, 21.920),
        (113.714, 21.918),
    ],
    "担杆镇": [
        (114.198, 22.030),
        (114.230, 22.051),
        (114.270, 22.061),
        (114.292, 22.055),
        (114.272, 22.039),
        (114.230, 22.026),
    ],
}
# 西城街道 (金湾区) is flagged uncertain in zhuhai-orgs.json with no position in any source:
# it gets no outline rather than an invented one.
NOTE = (
    "示意轮廓：手绘简化多边形（WGS-84 经纬度），各街道/镇为区轮廓内按大致中心点划分的示意范围，"
    "不是测绘成果，不能用于确定行政区界线。西城街道（待核实）无轮廓。"
)


def _round(geom, digits=5):
    def ring(coords):
        return [[round(x, digits), round(y, digits)] for x, y in coords]

    def poly(p):
        return [ring(p.exterior.coords)] + [ring(i.coords) for i in p.interiors]

    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": poly(geom)}
    return {"type": "MultiPolygon", "coordinates": [poly(p) for p in geom.geoms]}


def build() -> dict:
    taken = None  # the area of the districts built so far
    built = []  # every street built so far: a later street never overlaps an earlier one
    districts = []
    for name, outline, seeds in DISTRICTS:
        area = shapely.set_precision(Polygon(outline), GRID)
        if taken is not None:
            area = shapely.difference(area, taken, grid_size=GRID)
        names = list(seeds)
        if len(names) == 1:
            parts = {names[0]: area}
        else:
            cells = voronoi_polygons(
                MultiPoint([seeds[n] for n in names]), extend_to=area.envelope.buffer(0.2)
            )
            parts = {}
            for n in names:
                cell = next(c for c in cells.geoms if c.contains(Point(seeds[n])))
                parts[n] = shapely.intersection(cell, area, grid_size=GRID)
        streets = []
        for n, g in parts.items():
            for _, earlier in built:
                if shapely.intersection(g, earlier).area > 0:
                    g = shapely.difference(g, earlier, grid_size=GRID)
            built.append((name, g))
            streets.append(n)
        taken = shapely.union_all([g for _, g in built], grid_size=GRID)
        districts.append({"name": name, "streets": streets})
    # a vertex of one street on the edge of its neighbour cannot lie exactly on that edge
    # after rounding: give the neighbour the same vertex, so shared edges match exactly
    geoms = [g for _, g in built]
    for _ in range(2):
        for i in range(len(geoms)):
            for j in range(len(geoms)):
                if i != j and geoms[i].distance(geoms[j]) < 2 * GRID:
                    geoms[i] = shapely.snap(geoms[i], geoms[j], 2 * GRID)
    names = [n for d in districts for n in d["streets"]]
    streets = dict(zip(names, geoms, strict=True))
    for d in districts:
        members = [streets[n] for n in d["streets"]]
        d["geometry"] = _round(shapely.union_all(members))  # the district is its streets
        d["streets"] = [{"name": n, "geometry": _round(streets[n])} for n in d["streets"]]
    islands = {n: shapely.set_precision(Polygon(c), GRID) for n, c in ISLANDS.items()}
    districts.append(
        {
            "name": WANSHAN,
            "geometry": _round(MultiPolygon(list(islands.values()))),
            "streets": [{"name": n, "geometry": _round(g)} for n, g in islands.items()],
        }
    )
    return {"source": SOURCE, "schematic": True, "note": NOTE, "districts": districts}


if __name__ == "__main__":
    data = build()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for d in data["districts"]:
        g = shape(d["geometry"])
        print(d["name"], g.geom_type, len(g.exterior.coords) if g.geom_type == "Polygon" else "")
        for s in d["streets"]:
            sg = shape(s["geometry"])
            n = len(sg.exterior.coords) if sg.geom_type == "Polygon" else sg.geom_type
            print("   ", s["name"], n, round(sg.area / 1e-4, 1), "cells(0.01°)", sg.covered_by(g))
