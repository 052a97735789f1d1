"""Reads of the grid: cells and outlines for the people who manage them (scoped by
``grid.view``), and the map layer (``geojson``) — the schematic outlines and cell shapes are
city-wide reference data that every map shows, including the portal's location picker, so
that layer carries no per-user scope (it holds no order and no person)."""

from django.db.models import Count, Max, Sum

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import OrgKind
from shuzheng.governance.grid.models import Boundary, GridCell

AREA_KINDS = (OrgKind.DISTRICT, OrgKind.ZONE)


def cells(user, *, district=None, street=None):
    """Active grid cells the user may see, by code."""
    qs = access.scope(user, GridCell.objects.filter(is_active=True), "grid.view")
    if district is not None:
        qs = qs.filter(district=district)
    if street is not None:
        qs = qs.filter(street=street)
    return qs.select_related("street", "district").order_by("code")


def boundaries(user):
    """Outlines of the districts, zones, streets and towns the user may see."""
    qs = access.scope(user, Boundary.objects.all(), "grid.view")
    return qs.select_related("organisation").order_by("organisation__path")


def fingerprint() -> str:
    """Changes whenever an outline or an active cell is added, removed or moved: the ETag of
    the map layer, and the key it is cached under in each process."""
    parts = []
    for qs in (Boundary.objects.all(), GridCell.objects.filter(is_active=True)):
        row = qs.aggregate(
            n=Count("pk"),
            top=Max("pk"),
            a=Sum("min_lng"),
            b=Sum("min_lat"),
            c=Sum("max_lng"),
            d=Sum("max_lat"),
        )
        sums = [row[k] or 0 for k in "abcd"]
        parts.append(f"{row['n']}.{row['top']}." + ".".join(f"{v:.6f}" for v in sums))
    return "-".join(parts)


def _feature(geometry_type: str, coordinates, properties: dict) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": geometry_type, "coordinates": coordinates},
        "properties": properties,
    }


def geojson(*, with_cells: bool = True, district=None) -> dict:
    """A GeoJSON FeatureCollection (lng, lat) of the outlines (``kind`` "district" for
    districts and zones, "street" for streets and towns) and, unless ``with_cells`` is False,
    the active grid cells (``kind`` "cell"). ``district`` limits it to one district or zone."""
    features = []
    outlines = Boundary.objects.select_related("organisation", "organisation__parent")
    if district is not None:
        outlines = outlines.filter(organisation__path__startswith=district.path)
    for b in outlines.order_by("organisation__path"):
        org = b.organisation
        area = org.kind in AREA_KINDS
        features.append(
            _feature(
                b.geometry_type,
                b.geometry,
                {
                    "kind": "district" if area else "street",
                    "name": org.name,
                    "org": org.pk,
                    "parent": org.parent.name if org.parent_id and not area else "",
                    "schematic": b.schematic,
                    "source": b.source,
                },
            )
        )
    if with_cells:
        qs = GridCell.objects.filter(is_active=True)
        if district is not None:
            qs = qs.filter(district=district)
        rows = qs.order_by("code").values_list(
            "code", "name", "geometry", "street__name", "district__name"
        )
        for code, name, rings, street, area in rows:
            features.append(
                _feature(
                    "Polygon",
                    rings,
                    {
                        "kind": "cell",
                        "code": code,
                        "name": name,
                        "street": street,
                        "district": area,
                    },
                )
            )
    return {"type": "FeatureCollection", "features": features}
