"""`manage.py demo` gives the service network something to show: demo staff hold their roles
city-wide and cases stand in every stage, made through the real use cases; twice = once."""

from io import StringIO

from django.core.management import call_command

from shuzheng.foundation.access.models import RoleGrant
from shuzheng.services.cases.models import Case
from shuzheng.services.catalogue.models import ServiceItem


def test_demo_loads_catalogue_grants_and_cases_in_every_stage_once(db):
    out = StringIO()
    call_command("demo", stdout=out)
    assert ServiceItem.objects.filter(current__isnull=False).count() >= 60
    states = set(Case.objects.values_list("state", flat=True))
    assert {"submitted", "accepted", "review", "correction", "delivered"} <= states
    assert Case.objects.filter(owner__username="citizen").exists()
    assert all(c.number for c in Case.objects.exclude(state="draft"))
    city_wide = RoleGrant.objects.filter(
        user__username="clerk", role__code="window-clerk", organisation__parent__isnull=True
    )
    assert city_wide.count() == 1  # 无差别综合窗口
    cases = Case.objects.count()
    call_command("demo", stdout=StringIO())
    assert Case.objects.count() == cases
    assert city_wide.count() == 1
