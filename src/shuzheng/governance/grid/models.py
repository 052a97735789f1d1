"""网格: the grid cells (单元网格) that city management and the 12345 hotline use to place a
report, and the outlines of the districts and streets they tile.

Polygons are GeoJSON coordinates (longitude, latitude; WGS-84) in a JSON column so that the
embedded SQLite default needs no spatial extension; each row keeps its bounding box in
indexed columns, so finding the cell of a point is an indexed box query and then an exact
point-in-polygon test (shapely) on the few candidates.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Boundary(models.Model):
    """The outline of a district, zone or street (区 / 合作区 / 街道 / 镇) on the offline map."""

    organisation = models.OneToOneField(
        "identity.Organisation",
        verbose_name=_("机构"),
        on_delete=models.CASCADE,
        related_name="boundary",
    )
    geometry = models.JSONField(_("边界（GeoJSON 坐标）"), help_text=_("Polygon 或 MultiPolygon"))
    geometry_type = models.CharField(_("几何类型"), max_length=12, default="Polygon")
    min_lng = models.FloatField(_("最小经度"))
    min_lat = models.FloatField(_("最小纬度"))
    max_lng = models.FloatField(_("最大经度"))
    max_lat = models.FloatField(_("最大纬度"))
    source = models.CharField(_("来源"), max_length=200, blank=True)
    schematic = models.BooleanField(
        _("示意边界"), default=True, help_text=_("简化的示意轮廓，不是测绘成果")
    )

    class Meta:
        verbose_name = _("行政区边界")
        verbose_name_plural = _("行政区边界")

    def __str__(self) -> str:
        return str(self.organisation)


class GridCell(models.Model):
    """单元网格: the smallest unit of grid management, inside one street or town."""

    code = models.CharField(_("网格编码"), max_length=24, unique=True)
    name = models.CharField(_("网格名称"), max_length=80)
    street = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("所属街道/镇"),
        on_delete=models.PROTECT,
        related_name="grid_cells",
    )
    district = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("所属区"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    geometry = models.JSONField(_("网格范围（GeoJSON Polygon 坐标）"))
    min_lng = models.FloatField(_("最小经度"))
    min_lat = models.FloatField(_("最小纬度"))
    max_lng = models.FloatField(_("最大经度"))
    max_lat = models.FloatField(_("最大纬度"))
    centre_lng = models.FloatField(_("中心经度"))
    centre_lat = models.FloatField(_("中心纬度"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("网格员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_cells",
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("单元网格")
        verbose_name_plural = _("单元网格")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["min_lng", "max_lng", "min_lat", "max_lat"], name="grid_bbox")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"
