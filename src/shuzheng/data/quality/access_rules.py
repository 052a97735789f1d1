"""Capabilities of data quality: the providing department keeps its rules and fixes its
problems; the data authority (grant on the city) sees every scorecard."""

from django.utils.translation import gettext_lazy as _

from shuzheng.data.quality.models import QualityIssue, QualityRule, QualityRun
from shuzheng.foundation import access
from shuzheng.foundation.access import roles

access.capability("dataquality.manage", _("维护质量规则、发起检查、整改质量问题"))
access.capability("dataquality.view", _("查看数据质量评分与问题"))

roles.extend_builtin_role("data-admin", ["dataquality.manage", "dataquality.view"])
roles.extend_builtin_role("data-authority", ["dataquality.manage", "dataquality.view"])
roles.extend_builtin_role("department-head", ["dataquality.view"])

access.rule(QualityRule, org="entry__provider")
access.rule(QualityRun, org="entry__provider")
access.rule(QualityIssue, org="owner")
