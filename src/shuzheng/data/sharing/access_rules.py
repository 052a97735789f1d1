"""Capabilities of data sharing. A request is filed by the requesting department and decided
by the provider; both see it. The data authority (grant on the city) checks compliance and
coordinates disputes. A grant is seen by both sides and revoked by the provider or the
authority."""

from django.utils.translation import gettext_lazy as _

from shuzheng.data.sharing.models import Grant, SharingRequest
from shuzheng.foundation import access
from shuzheng.foundation.access import roles

access.capability("datasharing.request", _("为本部门提出数据共享申请"))
access.capability("datasharing.view", _("查看共享申请与授权"))
access.capability("datasharing.check", _("共享申请合规审查"))
access.capability("datasharing.decide", _("提供方审核共享申请"))
access.capability("datasharing.coordinate", _("共享争议协调"))
access.capability("datasharing.revoke", _("撤销共享授权"))

roles.extend_builtin_role(
    "data-admin",
    ["datasharing.request", "datasharing.view", "datasharing.decide", "datasharing.revoke"],
)
roles.extend_builtin_role(
    "data-authority",
    ["datasharing.view", "datasharing.check", "datasharing.coordinate", "datasharing.revoke"],
)
roles.extend_builtin_role("data-user", ["datasharing.request", "datasharing.view"])
roles.extend_builtin_role("department-head", ["datasharing.view", "datasharing.decide"])

access.rule(
    SharingRequest,
    org="requester",
    by_perm={"datasharing.view": ("requester", "provider"), "datasharing.decide": "provider"},
)
access.rule(
    Grant,
    org="consumer",
    by_perm={"datasharing.view": ("consumer", "provider"), "datasharing.revoke": "provider"},
)
