"""The work calendar in the Django admin (the system administrator's configuration tool).

Every change goes through :mod:`.services`, so a typhoon closure declared here is one audit
record like any other. Seeded days can be edited (they then become the administrator's and
the seed leaves them alone) or deleted (for a seeded year the table alone decides)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.workflow.calendar import selectors, services
from shuzheng.foundation.workflow.calendar.models import CalendarDay, CalendarYear

WEEKDAYS = (_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日"))


def _may_configure(request) -> bool:
    return access.holds(request.user, services.MANAGE)


class YearFilter(admin.SimpleListFilter):
    title = _("年份")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


class ConfigureOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return _may_configure(request)

    def has_view_permission(self, request, obj=None):
        return _may_configure(request)

    def has_add_permission(self, request):
        return _may_configure(request)

    def has_change_permission(self, request, obj=None):
        return _may_configure(request)

    def has_delete_permission(self, request, obj=None):
        return _may_configure(request)


@admin.register(CalendarDay)
class CalendarDayAdmin(ConfigureOnly):
    list_display = ("date", "weekday", "kind", "name", "source", "provisional", "created_by")
    list_filter = ("kind", YearFilter, "provisional", "source")
    search_fields = ("name", "note")
    date_hierarchy = "date"
    ordering = ("-date",)
    fields = ("date", "kind", "name", "note", "source", "provisional", "created_by", "updated_at")
    readonly_fields = ("source", "provisional", "created_by", "updated_at")

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]

    def get_readonly_fields(self, request, obj=None):
        # A day is edited in place; another date is another row.
        return (*self.readonly_fields, "date") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        day = services.declare_day(
            request.user,
            date=obj.date,
            kind=obj.kind,
            name=obj.name,
            note=obj.note,
            request=request,
        )
        obj.pk = day.pk
        obj.refresh_from_db()

    def changelist_view(self, request, extra_context=None):
        # This year or next not seeded, or only estimated (no 调休 published yet): say so
        # where the administrator would fix it.
        if request.method == "GET":
            for warning in selectors.year_warnings():
                self.message_user(request, warning.message, messages.WARNING)
        return super().changelist_view(request, extra_context)

    def delete_model(self, request, obj):
        services.remove_day(request.user, obj, request=request)

    def delete_queryset(self, request, queryset):
        for day in queryset:
            services.remove_day(request.user, day, request=request)


@admin.register(CalendarYear)
class CalendarYearAdmin(ConfigureOnly):
    list_display = ("year", "source", "provisional", "seeded_at")
    list_filter = ("provisional",)

    def has_add_permission(self, request):
        return False  # years are seeded by `manage.py seedcalendar`

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
