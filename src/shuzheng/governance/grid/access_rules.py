"""Grid cells and outlines are city-wide reference data: any grant of ``grid.view`` reads
them; only ``grid.manage`` (system administrators) changes them."""

from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.access import roles
from shuzheng.governance.grid.models import Boundary, GridCell

access.capability("grid.view", _("查看网格与地图"))
access.capability("grid.manage", _("维护网格与边界"))

roles.extend_builtin_role("system-admin", ["grid.view", "grid.manage"])
roles.extend_builtin_role("grid-officer", ["grid.view"])
roles.extend_builtin_role("ops-operator", ["grid.view"])

access.rule(GridCell, org="street")
access.rule(Boundary, org="organisation")
