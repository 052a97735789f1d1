"""网格: the schematic outlines (streets inside their districts, no overlaps), the grid cells
generated from them (inside their street, no overlaps, one per part of a split clip), the
idempotent loader, and ``locate`` (inside, outside, on a clipped cell, on a shared edge, after
a cell moved)."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from shapely.geometry import Point, Polygon, box, shape

from shuzheng.foundation import access
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.governance.grid import services
from shuzheng.governance.grid.models import Boundary, GridCell

TOLERANCE = 1e-6  # degrees (~0.1 m): coordinates are stored rounded


def _outlines():
    return services.outlines()["districts"]


def _geometry(row) -> object:
    return shape({"type": row.geometry_type, "coordinates": row.geometry})


# --- the outline file ------------------------------------------------------------------------


def test_outline_file_is_marked_schematic_and_covers_three_districts_at_least():
    data = services.outlines()
    assert data["source"] == "示意轮廓（简化）"
    assert data["schematic"] is True
    names = {d["name"] for d in data["districts"]}
    assert {"香洲区", "斗门区", "金湾区", "横琴粤澳深度合作区"} <= names


def test_every_street_outline_lies_inside_its_district_outline():
    for district in _outlines():
        outline = shape(district["geometry"])
        assert outline.is_valid, district["name"]
        for street in district["streets"]:
            geometry = shape(street["geometry"])
            assert geometry.is_valid, street["name"]
            assert geometry.within(outline.buffer(TOLERANCE)), street["name"]


def test_street_outlines_do_not_overlap_and_stay_simple():
    streets = [(s["name"], shape(s["geometry"])) for d in _outlines() for s in d["streets"]]
    for i, (name, geometry) in enumerate(streets):
        rings = [geometry] if geometry.geom_type == "Polygon" else list(geometry.geoms)
        assert all(4 <= len(p.exterior.coords) <= 21 for p in rings), name
        for other, second in streets[i + 1 :]:
            assert geometry.intersection(second).area < 1e-10, (name, other)


def test_districts_do_not_overlap():
    areas = [(d["name"], shape(d["geometry"])) for d in _outlines()]
    for i, (name, geometry) in enumerate(areas):
        for other, second in areas[i + 1 :]:
            assert geometry.intersection(second).area < 1e-10, (name, other)


def test_every_certain_street_and_town_of_the_reference_file_has_an_outline():
    from shuzheng.foundation.identity.demo import DATA

    reference = json.loads(DATA.read_text(encoding="utf-8"))
    wanted = {
        town["name"]
        for area in reference["districts"]
        for town in area.get("streets_towns", [])
        if not town.get("uncertain")
    }
    drawn = {s["name"] for d in _outlines() for s in d["streets"]}
    assert wanted <= drawn
    assert "西城街道" not in drawn  # unverified: no invented outline


def test_positions_are_roughly_right():
    centre = {s["name"]: shape(s["geometry"]).centroid for d in _outlines() for s in d["streets"]}
    gongbei, hengqin = centre["拱北街道"], centre["横琴镇"]
    assert 113.53 < gongbei.x < 113.57 and 22.20 < gongbei.y < 22.24
    assert hengqin.y < gongbei.y  # the island lies south of 拱北
    assert centre["井岸镇"].x < centre["拱北街道"].x  # 斗门 is west
    assert centre["三灶镇"].y < centre["井岸镇"].y  # 金湾 is south of 斗门


# --- tiling ----------------------------------------------------------------------------------


def test_tiles_cover_the_area_exactly_without_overlaps():
    area = shape(
        next(s for d in _outlines() for s in d["streets"] if s["name"] == "拱北街道")["geometry"]
    )
    cells = services.tile(area)
    assert sum(c.area for c in cells) == pytest.approx(area.area, rel=1e-9)
    for i, cell in enumerate(cells):
        assert cell.within(area.buffer(1e-9))
        for other in cells[i + 1 :]:
            assert cell.intersection(other).area < 1e-12


def test_a_clip_that_falls_apart_gives_one_cell_per_part():
    # a slot from the top splits the square (0.01..0.02)² into two parts
    narrow = Polygon(
        [(0.0, 0.0), (0.03, 0.0), (0.03, 0.0195), (0.0165, 0.0195), (0.0165, 0.003),
         (0.0135, 0.003), (0.0135, 0.0195), (0.0, 0.0195)]
    )  # fmt: skip
    clip = narrow.intersection(box(0.01, 0.01, 0.02, 0.02))
    assert clip.geom_type == "MultiPolygon"
    cells = services.tile(narrow)
    assert all(c.geom_type == "Polygon" for c in cells)
    assert sum(c.area for c in cells) == pytest.approx(narrow.area, rel=1e-9)
    in_square = [c for c in cells if c.representative_point().within(box(0.01, 0.01, 0.02, 0.02))]
    assert len(in_square) >= 2  # the two sides of the slot are two cells


# --- load_demo -------------------------------------------------------------------------------


@pytest.fixture
def loaded(tree):
    counts = services.load_demo(access.SYSTEM)
    return tree, counts


def test_load_demo_creates_outlines_and_cells_for_the_organisations_in_the_tree(loaded):
    tree, counts = loaded
    outlined = set(Boundary.objects.values_list("organisation__name", flat=True))
    assert outlined == {"香洲区", "拱北街道", "斗门区", "井岸镇"}
    assert counts["boundaries"] == 4
    assert "唐家湾镇" in counts["skipped"] and "金湾区" in counts["skipped"]
    assert all(b.schematic and b.source == "示意轮廓（简化）" for b in Boundary.objects.all())
    gongbei = GridCell.objects.filter(street=tree.gongbei)
    assert gongbei.count() >= 5
    assert set(gongbei.values_list("district", flat=True)) == {tree.xiangzhou.pk}
    assert set(GridCell.objects.filter(street=tree.jingan).values_list("district", flat=True)) == {
        tree.doumen.pk
    }
    assert counts["cells"] == GridCell.objects.count()
    first = gongbei.order_by("code").first()
    assert first.code == "440402005-01" and first.name == "拱北街道第1网格"
    assert AuditRecord.objects.filter(action="grid.load_demo").count() == 1


def test_load_demo_is_idempotent(loaded):
    tree, first = loaded
    cells = {c.code: (c.pk, c.geometry) for c in GridCell.objects.all()}
    outlines = dict(Boundary.objects.values_list("organisation", "pk"))
    again = services.load_demo(access.SYSTEM)
    assert again["cells"] == first["cells"]
    assert again["cells_created"] == again["cells_updated"] == again["cells_retired"] == 0
    assert again["boundaries_changed"] == 0
    assert {c.code: (c.pk, c.geometry) for c in GridCell.objects.all()} == cells
    assert dict(Boundary.objects.values_list("organisation", "pk")) == outlines


def test_loaded_cells_lie_inside_their_street_and_do_not_overlap(loaded):
    streets = {b.organisation_id: _geometry(b) for b in Boundary.objects.all()}
    districts = streets  # districts are outlined too
    cells = list(GridCell.objects.all())
    shapes = [services.cell_geometry(c.geometry) for c in cells]
    for cell, geometry in zip(cells, shapes, strict=True):
        assert geometry.is_valid, cell.code
        assert geometry.within(streets[cell.street_id].buffer(TOLERANCE)), cell.code
        assert geometry.within(districts[cell.district_id].buffer(TOLERANCE)), cell.code
        assert cell.min_lng <= cell.centre_lng <= cell.max_lng
        assert geometry.contains(Point(cell.centre_lng, cell.centre_lat)), cell.code
    for i, geometry in enumerate(shapes):
        for other in shapes[i + 1 :]:
            assert geometry.intersection(other).area < 1e-10


def test_loaded_street_outlines_lie_inside_their_district_outlines(loaded):
    tree, _ = loaded
    rows = {b.organisation_id: _geometry(b) for b in Boundary.objects.all()}
    for street, district in ((tree.gongbei, tree.xiangzhou), (tree.jingan, tree.doumen)):
        assert rows[street.pk].within(rows[district.pk].buffer(TOLERANCE))


def test_load_demo_is_refused_to_staff_without_grid_manage(tree, make_staff):
    clerk = make_staff(tree.gongbei, "grid-officer")
    with pytest.raises(PermissionDenied):
        services.load_demo(clerk)
    assert not Boundary.objects.exists() and not GridCell.objects.exists()
    assert not AuditRecord.objects.filter(action="grid.load_demo").exists()


def test_grid_load_command_loads_as_the_installation(tree):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("grid_load", stdout=out)
    assert "cells:" in out.getvalue()
    assert GridCell.objects.filter(street=tree.jingan).exists()


# --- locate ----------------------------------------------------------------------------------


def test_locate_finds_the_cell_of_a_point_inside(hl):
    from tests.governance.conftest import IN_GONGBEI, IN_JINGAN

    assert services.locate(*IN_GONGBEI).code == "440402005-01"
    cell = services.locate(*IN_JINGAN)
    assert cell.code == "440403100-01"
    assert services.district_of(cell) == hl.tree.doumen
    assert services.district_of(None) is None


def test_locate_outside_every_cell_and_bad_numbers_give_none(hl):
    from tests.governance.conftest import NOWHERE

    assert services.locate(*NOWHERE) is None
    assert services.locate("abc", 113.5) is None
    assert services.locate(float("nan"), 113.5) is None
    assert services.locate(95, 113.5) is None
    assert services.locate(None, None) is None


def test_a_point_on_a_shared_edge_belongs_to_the_lower_code(hl):
    # 拱北一网格 and 拱北二网格 share the meridian 113.55
    assert services.locate(22.22, 113.55).code == "440402005-01"


def test_inactive_cells_are_not_found(hl):
    from tests.governance.conftest import IN_GONGBEI

    GridCell.objects.filter(code="440402005-01").update(is_active=False)
    assert services.locate(*IN_GONGBEI) is None


def test_locate_on_a_clipped_cell_uses_the_polygon_not_its_box(loaded):
    tree, _ = loaded
    street = _geometry(Boundary.objects.get(organisation=tree.gongbei))
    clipped = None
    for cell in GridCell.objects.filter(street=tree.gongbei):
        geometry = services.cell_geometry(cell.geometry)
        outside = box(cell.min_lng, cell.min_lat, cell.max_lng, cell.max_lat).difference(
            street.buffer(1e-4)
        )
        if geometry.area < 0.9e-4 and outside.area > 1e-7:
            clipped = (cell, geometry, outside)
            break
    assert clipped is not None
    cell, geometry, outside = clipped
    inside = geometry.representative_point()
    assert services.locate(inside.y, inside.x) == cell
    beyond = outside.representative_point()  # in the cell's box, outside the street
    found = services.locate(beyond.y, beyond.x)
    assert found is None or found.street_id != tree.gongbei.pk


def test_locate_sees_a_moved_cell_at_once(hl):
    from tests.governance.conftest import IN_GONGBEI

    assert services.locate(*IN_GONGBEI).code == "440402005-01"  # now prepared in this process
    cell = GridCell.objects.get(code="440402005-01")
    ring = [[113.40, 22.40], [113.41, 22.40], [113.41, 22.41], [113.40, 22.41], [113.40, 22.40]]
    cell.geometry = [ring]
    cell.min_lng, cell.max_lng, cell.min_lat, cell.max_lat = 113.40, 113.41, 22.40, 22.41
    cell.save()
    assert services.locate(*IN_GONGBEI) is None
    assert services.locate(22.405, 113.405) == cell
    # a change that bypasses the model's signals (a bulk update elsewhere) moves the box too
    back = [
        [113.54, 22.215],
        [113.55, 22.215],
        [113.55, 22.224],
        [113.54, 22.224],
        [113.54, 22.215],
    ]
    GridCell.objects.filter(pk=cell.pk).update(
        geometry=[back], min_lng=113.54, max_lng=113.55, min_lat=22.215, max_lat=22.224
    )
    assert services.locate(*IN_GONGBEI) == cell


def test_area_at_names_the_district_of_a_point_in_no_cell(loaded):
    tree, _ = loaded
    baijiao = services.random_point("白蕉镇", __import__("random").Random(1))
    street, district = services.area_at(*baijiao)
    assert street is None and district == tree.doumen
    assert services.locate(*baijiao) is None
    assert services.area_at(22.6, 113.9) == (None, None)


def test_random_point_lies_in_the_named_outline():
    import random

    rng = random.Random(7)
    outline = shape(
        next(s for d in _outlines() for s in d["streets"] if s["name"] == "井岸镇")["geometry"]
    )
    for _ in range(20):
        lat, lng = services.random_point("井岸镇", rng)
        assert outline.contains(Point(lng, lat))
    assert services.random_point("不存在的街道", rng) is None


def test_the_demo_tree_gets_every_outline_and_cells_in_every_street(db):
    from shuzheng.foundation.identity import demo

    demo.load_organisations()
    counts = services.load_demo(access.SYSTEM)
    drawn = [s["name"] for d in _outlines() for s in d["streets"]] + [
        d["name"] for d in _outlines()
    ]
    assert counts["skipped"] == []
    assert counts["boundaries"] == len(drawn)
    streets = GridCell.objects.values("street").distinct().count()
    assert streets == sum(len(d["streets"]) for d in _outlines())
    tangjia = GridCell.objects.filter(street__name="唐家湾镇").first()
    assert tangjia.district.name == "珠海高新技术产业开发区 (珠海高新区)"  # the zone runs it
    assert services.locate(22.2195, 113.545).street.name == "拱北街道"
