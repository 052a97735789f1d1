"""网格 use cases: where a point lies (``locate``), and loading the schematic outlines of
Zhuhai's districts and streets with the grid cells that tile them (``load_demo``).

Outlines are hand-made schematic polygons (``data/outlines.json``, built by
``data/build_outlines.py``), not survey data: every Boundary row they create says so
(``schematic=True``, source "示意轮廓（简化）").

``locate`` is an indexed bounding-box query followed by an exact point-in-polygon test with
shapely on the few candidates; the prepared geometries are kept per process, keyed by cell id
and checked against the row's bounding box, and dropped when a cell is saved or deleted.
"""

import json
import math
import random
import threading
from functools import lru_cache
from pathlib import Path

import shapely
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from shapely.geometry import Point, Polygon, box, shape

from shuzheng.foundation import access, events
from shuzheng.foundation.identity.models import Organisation, OrgKind
from shuzheng.foundation.trust import audit
from shuzheng.governance.grid.models import Boundary, GridCell

DATA = Path(__file__).with_name("data") / "outlines.json"
SOURCE = "示意轮廓（简化）"
CELL_SIZE = 0.01  # degrees; cells are aligned to one city-wide lattice
SLIVER = 0.2  # a clipped piece smaller than this share of a full cell joins its neighbour
DIGITS = 6  # ~0.1 m: stored coordinates
AREA_KINDS = (OrgKind.DISTRICT, OrgKind.ZONE)
STREET_KINDS = (OrgKind.STREET, OrgKind.TOWN)


# --- locate ------------------------------------------------------------------------------


class _Prepared:
    """Prepared cell geometries of this process: {cell id: (bbox, geometry)}."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: dict[int, tuple[tuple, object]] = {}

    def get(self, pk: int, bbox: tuple):
        item = self._items.get(pk)
        if item is not None and item[0] == bbox:
            return item[1]
        return None

    def put(self, pk: int, bbox: tuple, geometry) -> None:
        shapely.prepare(geometry)
        with self._lock:
            self._items[pk] = (bbox, geometry)

    def drop(self, pk=None) -> None:
        with self._lock:
            if pk is None:
                self._items.clear()
            else:
                self._items.pop(pk, None)


_prepared = _Prepared()


def forget(pk: int | None = None) -> None:
    """Drop the prepared geometry of one cell (or of all) in this process."""
    _prepared.drop(pk)


def _on_cell_change(sender, instance, **kwargs) -> None:
    _prepared.drop(instance.pk)


post_save.connect(_on_cell_change, sender=GridCell, dispatch_uid="grid.cell.saved")
post_delete.connect(_on_cell_change, sender=GridCell, dispatch_uid="grid.cell.deleted")


def cell_geometry(cell_geometry_json) -> Polygon:
    """A shapely Polygon from a cell's stored rings ([exterior, *holes])."""
    rings = cell_geometry_json
    return Polygon(rings[0], rings[1:])


def valid_point(lat, lng) -> tuple[float, float] | None:
    """(lat, lng) as finite floats within the earth's ranges, else None."""
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def locate(lat, lng) -> GridCell | None:
    """单元网格 of a point (WGS-84), or None when it lies in no active cell (or is not a
    valid coordinate). A point on the edge shared by two cells belongs to the one with the
    lowest code, so the answer never depends on the order rows come back in."""
    point = valid_point(lat, lng)
    if point is None:
        return None
    lat, lng = point
    candidates = list(
        GridCell.objects.filter(
            is_active=True,
            min_lng__lte=lng,
            max_lng__gte=lng,
            min_lat__lte=lat,
            max_lat__gte=lat,
        )
        .order_by("code")
        .values_list("pk", "min_lng", "min_lat", "max_lng", "max_lat")
    )
    if not candidates:
        return None
    missing = [row[0] for row in candidates if _prepared.get(row[0], tuple(row[1:])) is None]
    if missing:
        rings = dict(GridCell.objects.filter(pk__in=missing).values_list("pk", "geometry"))
        for row in candidates:
            if row[0] in rings:
                _prepared.put(row[0], tuple(row[1:]), cell_geometry(rings[row[0]]))
    xy = Point(lng, lat)
    for row in candidates:
        geometry = _prepared.get(row[0], tuple(row[1:]))
        if geometry is not None and geometry.covers(xy):
            return GridCell.objects.select_related("street", "district").get(pk=row[0])
    return None


def area_at(lat, lng) -> tuple[Organisation | None, Organisation | None]:
    """(street or town, district or zone) whose outline holds the point — for a point in
    no grid cell (outlines without cells); (None, None) when none does."""
    point = valid_point(lat, lng)
    if point is None:
        return None, None
    lat, lng = point
    rows = Boundary.objects.filter(
        min_lng__lte=lng, max_lng__gte=lng, min_lat__lte=lat, max_lat__gte=lat
    ).select_related("organisation", "organisation__parent")
    xy = Point(lng, lat)
    street = district = None
    for row in rows.order_by("organisation__path"):
        geometry = shape({"type": row.geometry_type, "coordinates": row.geometry})
        if not geometry.covers(xy):
            continue
        org = row.organisation
        if org.kind in AREA_KINDS:
            district = district or org
        elif org.kind in STREET_KINDS:
            street = street or org
    if street is not None and district is None:
        district = area_of(street)
    return street, district


def district_of(cell) -> Organisation | None:
    """The district or zone (区 / 功能区 / 合作区) of a grid cell, or of a street/town
    Organisation; None for None."""
    if cell is None:
        return None
    if isinstance(cell, GridCell):
        return cell.district
    return area_of(cell)


def area_of(org: Organisation) -> Organisation | None:
    """The nearest district or zone at or above ``org`` in the tree."""
    node = org
    while node is not None and node.kind not in AREA_KINDS:
        node = node.parent
    return node


# --- outline data ------------------------------------------------------------------------


@lru_cache(maxsize=4)
def outlines(path: str | None = None) -> dict:
    """The schematic outline file: {"source", "note", "districts": [{"name", "geometry",
    "streets": [{"name", "geometry"}]}]} with GeoJSON geometries (lng, lat)."""
    return json.loads(Path(path or DATA).read_text(encoding="utf-8"))


def random_point(name: str, rng: random.Random | None = None) -> tuple[float, float] | None:
    """A random (lat, lng) inside the schematic outline of the street, town, district or
    zone called ``name`` (for synthetic demo data), or None for an unknown name."""
    rng = rng or random.Random()
    for district in outlines()["districts"]:
        for area in [district, *district["streets"]]:
            if area["name"] == name:
                geometry = shape(area["geometry"])
                minx, miny, maxx, maxy = geometry.bounds
                for _ in range(1000):
                    x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                    if geometry.contains(Point(x, y)):
                        return round(y, 6), round(x, 6)
                point = geometry.representative_point()
                return point.y, point.x
    return None


# --- tiling ------------------------------------------------------------------------------


def _polygons(geometry) -> list[Polygon]:
    if geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [p for g in geometry.geoms for p in _polygons(g)]
    return []


def _merge_slivers(pieces: list[tuple[tuple, Polygon]], full: float) -> list[Polygon]:
    """Join each piece smaller than SLIVER × a full cell to the neighbouring piece it shares
    the longest edge with, when the union stays one polygon (else it stays a small cell).
    ``pieces``: ((row, col) of the lattice square, polygon); neighbours are looked up among
    the pieces of the 3 × 3 squares around it (a merged piece answers for both squares)."""
    shapes = [polygon for _, polygon in pieces]
    alive = [True] * len(shapes)
    at: dict[tuple, set[int]] = {}
    for i, (key, _) in enumerate(pieces):
        at.setdefault(key, set()).add(i)
    threshold = SLIVER * full
    for i in sorted(range(len(shapes)), key=lambda k: shapes[k].area):
        if not alive[i] or shapes[i].area >= threshold:
            continue
        (row, col), sliver = pieces[i][0], shapes[i]
        near = set()
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                near |= at.get((row + dr, col + dc), set())
        best, best_len = None, 1e-9
        for j in sorted(near - {i}):
            if alive[j]:
                shared = sliver.intersection(shapes[j]).length
                if shared > best_len:
                    best, best_len = j, shared
        if best is None:
            continue
        union = shapely.union(sliver, shapes[best])
        if union.geom_type != "Polygon":
            continue
        shapes[best] = union
        alive[i] = False
        for ids in at.values():
            if i in ids:
                ids.discard(i)
                ids.add(best)
    return [shape for shape, keep in zip(shapes, alive, strict=True) if keep]


def tile(area, size: float = CELL_SIZE) -> list[Polygon]:
    """Grid cells covering ``area`` (a shapely Polygon/MultiPolygon): the squares of a
    ``size``° lattice clipped to the area, one cell per part when a clip falls apart, slivers
    joined to a neighbour; ordered north to south, then west to east."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    pieces = []
    for row in range(math.ceil(maxy / size) - 1, math.floor(miny / size) - 1, -1):
        for col in range(math.floor(minx / size), math.ceil(maxx / size)):
            square = box(col * size, row * size, (col + 1) * size, row * size + size)
            if not area.intersects(square):
                continue
            if area.contains(square):
                pieces.append(((row, col), square))
                continue
            for part in _polygons(area.intersection(square)):
                if part.area > 0:
                    pieces.append(((row, col), part))
    merged = _merge_slivers(pieces, size * size)

    def order(p: Polygon):
        c = p.representative_point()
        return (-math.floor(c.y / size), math.floor(c.x / size), c.x)

    return sorted(merged, key=order)


def _rings(polygon: Polygon) -> list:
    def ring(coords):
        return [[round(x, DIGITS), round(y, DIGITS)] for x, y in coords]

    return [ring(polygon.exterior.coords)] + [ring(r.coords) for r in polygon.interiors]


def _coordinates(geometry) -> tuple[str, list]:
    if geometry.geom_type == "Polygon":
        return "Polygon", _rings(geometry)
    return "MultiPolygon", [_rings(p) for p in _polygons(geometry)]


def _bbox(geometry) -> dict:
    minx, miny, maxx, maxy = geometry.bounds
    return {"min_lng": minx, "min_lat": miny, "max_lng": maxx, "max_lat": maxy}


def cell_prefix(street: Organisation) -> str:
    """The code prefix of a street's cells: its 9-digit township code, else "O<id>"."""
    code = (street.division_code or "").strip()
    if len(code) == 12 and code.endswith("000"):
        return code[:9]
    return code or f"O{street.pk}"


# --- load_demo ---------------------------------------------------------------------------


def _find(name: str, kinds) -> Organisation | None:
    orgs = Organisation.objects.filter(kind__in=kinds, is_active=True).order_by("path")
    return orgs.filter(name=name).first() or orgs.filter(short_name=name).first()


def _save_boundary(org: Organisation, geometry, source: str) -> bool:
    """Create or update the outline of ``org``; True when it changed."""
    kind, coordinates = _coordinates(geometry)
    fields = {
        "geometry": coordinates,
        "geometry_type": kind,
        "source": source,
        "schematic": True,
        **_bbox(geometry),
    }
    current = Boundary.objects.filter(organisation=org).first()
    if current is None:
        Boundary.objects.create(organisation=org, **fields)
        return True
    if all(getattr(current, k) == v for k, v in fields.items()):
        return False
    for k, v in fields.items():
        setattr(current, k, v)
    current.save()
    return True


def _save_cells(street: Organisation, district: Organisation, area) -> dict:
    """Tile ``area`` and write the street's cells by code: new ones created, changed ones
    updated, codes no longer produced made inactive."""
    prefix = cell_prefix(street)
    wanted = {}
    for n, polygon in enumerate(tile(area), start=1):
        centre = polygon.centroid
        if not polygon.contains(centre):
            centre = polygon.representative_point()
        wanted[f"{prefix}-{n:02d}"] = {
            "name": f"{street.name}第{n}网格",
            "street": street,
            "district": district,
            "geometry": _rings(polygon),
            "centre_lng": round(centre.x, DIGITS),
            "centre_lat": round(centre.y, DIGITS),
            "is_active": True,
            **_bbox(polygon),
        }
    existing = {c.code: c for c in GridCell.objects.filter(code__in=list(wanted))}
    created, changed = [], []
    for code, fields in wanted.items():
        cell = existing.get(code)
        if cell is None:
            created.append(GridCell(code=code, **fields))
            continue
        differs = False
        for k, v in fields.items():
            current = getattr(cell, f"{k}_id") if k in ("street", "district") else getattr(cell, k)
            value = v.pk if k in ("street", "district") else v
            if current != value:
                setattr(cell, k, v)
                differs = True
        if differs:
            changed.append(cell)
    GridCell.objects.bulk_create(created)
    if changed:
        GridCell.objects.bulk_update(changed, [*next(iter(wanted.values())).keys()])
    retired = (
        GridCell.objects.filter(street=street, code__startswith=f"{prefix}-", is_active=True)
        .exclude(code__in=list(wanted))
        .update(is_active=False)
    )
    return {
        "total": len(wanted),
        "created": len(created),
        "updated": len(changed),
        "retired": retired,
    }


@transaction.atomic
def load_demo(actor, *, path: str | None = None) -> dict:
    """Load the schematic outlines and generate the grid cells, for the organisations of the
    tree that the outline file names (matched by name; names not in the tree are skipped).
    Idempotent: outlines by organisation and cells by code are created once and updated when
    the file changes. Returns counts: boundaries, cells (totals now loaded), created, updated,
    skipped (names not found)."""
    access.require(actor, "grid.manage")
    data = outlines(path)
    source = data.get("source") or SOURCE
    counts = {
        "boundaries": 0,
        "boundaries_changed": 0,
        "cells": 0,
        "cells_created": 0,
        "cells_updated": 0,
        "cells_retired": 0,
        "skipped": [],
    }
    for area in data["districts"]:
        district = _find(area["name"], AREA_KINDS)
        if district is None:
            counts["skipped"].append(area["name"])
        else:
            counts["boundaries"] += 1
            counts["boundaries_changed"] += _save_boundary(
                district, _valid(area["geometry"]), source
            )
        for item in area["streets"]:
            street = _find(item["name"], STREET_KINDS)
            if street is None:
                counts["skipped"].append(item["name"])
                continue
            geometry = _valid(item["geometry"])
            counts["boundaries"] += 1
            counts["boundaries_changed"] += _save_boundary(street, geometry, source)
            owner = area_of(street)
            if owner is None:
                continue
            done = _save_cells(street, owner, geometry)
            counts["cells"] += done["total"]
            counts["cells_created"] += done["created"]
            counts["cells_updated"] += done["updated"]
            counts["cells_retired"] += done["retired"]
    audit.record(
        actor,
        "grid.load_demo",
        "grid.gridcell",
        details={k: v for k, v in counts.items() if k != "skipped"}
        | {"skipped": len(counts["skipped"])},
    )
    events.publish(
        "governance.grid.loaded",
        {"boundaries": counts["boundaries"], "cells": counts["cells"]},
    )
    transaction.on_commit(forget)
    forget()
    return counts


def _valid(geojson):
    geometry = shape(geojson)
    return geometry if geometry.is_valid else geometry.buffer(0)
