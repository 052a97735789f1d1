"""The work calendar table: the days on which China's working pattern departs from
"Monday to Friday is a working day".

A row overrides the built-in pattern for its date: 法定节假日 and 临时停工 make a day
non-working, 调休上班 and 临时加班 make it a working day. Rows come from the seed (the
``holidays`` package: statutory holidays and the State Council's 调休 arrangement) or from an
administrator (a typhoon closure, next year's arrangement once it is published).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

ADMIN_SOURCE = "admin"
"""``source`` of a row an administrator entered or edited; the seed never touches these."""


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日")
    ADJUSTED_WORKDAY = "adjusted_workday", _("调休上班")
    CLOSURE = "closure", _("临时停工")
    EXTRA_WORKDAY = "extra_workday", _("临时加班")


WORKING_KINDS = frozenset({DayKind.ADJUSTED_WORKDAY, DayKind.EXTRA_WORKDAY})
"""Kinds that make their day a working day (the others make it a day off)."""


class CalendarDay(models.Model):
    """One date whose status differs from (or confirms) the Monday–Friday default."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=DayKind.choices)
    name = models.CharField(
        _("名称"), max_length=60, blank=True, help_text=_("如 春节、国庆节、台风停工")
    )
    source = models.CharField(
        _("来源"),
        max_length=60,
        default=ADMIN_SOURCE,
        editable=False,
        help_text=_("admin 表示管理员录入；其他为初始化数据所用的软件包及版本"),
    )
    provisional = models.BooleanField(
        _("待核实"),
        default=False,
        editable=False,
        help_text=_("国务院尚未公布该年放假安排，按法定假日与周末补假推算"),
    )
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".rstrip()

    def clean(self) -> None:
        if self.kind == DayKind.ADJUSTED_WORKDAY and self.date and self.date.weekday() < 5:
            raise ValidationError({"kind": _("调休上班只能是周六或周日")}, code="weekday")

    @property
    def is_working(self) -> bool:
        return self.kind in WORKING_KINDS

    @property
    def from_admin(self) -> bool:
        return self.source == ADMIN_SOURCE


class CalendarYear(models.Model):
    """A year copied into the table by the seed. For such a year the table alone decides
    (an administrator may delete a seeded day); a year never seeded falls back on the
    package's data under the table's rows."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=60)
    provisional = models.BooleanField(
        _("待核实"), default=False, help_text=_("国务院尚未公布该年放假安排，按法定假日推算")
    )
    seeded_at = models.DateTimeField(_("初始化时间"), auto_now=True)

    class Meta:
        verbose_name = _("已初始化年份")
        verbose_name_plural = _("已初始化年份")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)
