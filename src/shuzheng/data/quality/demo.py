"""Demo 数据要素 I — data quality: rules on five of the demo data sets, written by their
departments' data administrators through the quality use cases, and a first check of each.

The synthetic rows carry deliberate defects (``shuzheng.data.synthetic``), so the first
checks find real problems and send them back to their owners: in 人口基础信息 a wrong check
character, a missing name, a duplicated ID number and a sex code outside GB/T 2261.1; in
企业纳税信用等级信息 two taxpayers unknown to 法人基础信息 (a reference the 税务局 may check
because the sharing demo granted it 法人基础信息) and a grade outside A/B/M/C/D; in
法人基础信息 a wrong USCC check character; in 空气质量实时监测数据 a missing PM2.5, a negative PM10 and an AQI above 500. 社会保险参保信息
comes out clean. Idempotent: nothing is done once a rule of these data sets exists.
"""

from __future__ import annotations

from django.db import transaction

MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"

# entry key → [(item, kind, params, severity, description)]; "@key" in params names the
# 信息资源代码 of another demo entry
RULES = {
    "population": [
        (
            "id_number",
            "id_number",
            {},
            "error",
            "公民身份号码应符合 GB 11643（地址码、出生日期、校验位）",
        ),
        ("id_number", "unique", {}, "error", "同一公民身份号码只应登记一次"),
        ("name", "required", {}, "error", "姓名不能为空"),
        (
            "sex",
            "value_set",
            {"values": ["0", "1", "2", "9"]},
            "error",
            "性别代码应符合 GB/T 2261.1（0 未知，1 男，2 女，9 未说明）",
        ),
        ("phone", "pattern", {"pattern": MOBILE_PATTERN}, "warning", "联系电话应为 11 位手机号码"),
        ("", "timeliness", {}, "warning", "平台库数据应按更新周期（每日）汇聚"),
    ],
    "legal_person": [
        (
            "uscc",
            "id_number",
            {"type": "uscc"},
            "error",
            "统一社会信用代码应符合 GB 32100（字符集、结构与校验码）",
        ),
        ("uscc", "unique", {}, "error", "统一社会信用代码不能重复"),
        ("name", "required", {}, "error", "企业名称不能为空"),
        ("registered_capital", "range", {"min": 0}, "error", "注册资本不能为负数"),
    ],
    "tax_credit": [
        (
            "uscc",
            "reference",
            {"entry": "@legal_person", "item": "uscc"},
            "error",
            "纳税人应为法人基础信息中已登记的市场主体",
        ),
        (
            "credit_grade",
            "value_set",
            {"values": ["A", "B", "M", "C", "D"]},
            "error",
            "纳税信用级别应为 A、B、M、C、D",
        ),
        ("score", "range", {"min": 0, "max": 100}, "error", "评价得分应在 0–100 之间"),
    ],
    "air_quality": [
        ("pm25", "required", {}, "error", "PM2.5 不能缺测"),
        ("pm25", "range", {"min": 0, "max": 1000}, "error", "PM2.5 应在 0–1000 μg/m³ 之间"),
        ("pm10", "range", {"min": 0, "max": 1000}, "error", "PM10 应在 0–1000 μg/m³ 之间"),
        ("aqi", "range", {"min": 0, "max": 500}, "error", "AQI 应在 0–500 之间"),
        ("", "timeliness", {}, "warning", "实时数据应每日汇聚"),
    ],
    "social_insurance": [
        ("id_number", "id_number", {}, "error", "公民身份号码应符合 GB 11643"),
        (
            "status",
            "value_set",
            {"values": ["参保缴费", "暂停缴费", "终止参保"]},
            "error",
            "参保状态应为参保缴费、暂停缴费或终止参保",
        ),
        ("contribution_base", "range", {"min": 0}, "error", "缴费基数不能为负数"),
    ],
}


def load_demo(stdout=None) -> int:
    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.quality.models import QualityRule

    entries = {key: catalog_demo.find(key) for key in RULES}
    entries = {key: e for key, e in entries.items() if e is not None}
    if not entries or QualityRule.objects.filter(entry__in=entries.values()).exists():
        return 0
    rules = _rules(catalog_demo, entries)
    runs = _first_checks(catalog_demo, entries)
    if stdout is not None:
        scores = ", ".join(
            f"{run.entry.name} {run.score}（{run.failures} 项不合格）" for run in runs
        )
        stdout.write(f"数据质量: {rules} rules on {len(entries)} data sets; first checks: {scores}")
    return rules + len(runs)


def _params(params: dict, catalog_demo) -> dict:
    out = {}
    for name, value in params.items():
        if isinstance(value, str) and value.startswith("@"):
            ref = catalog_demo.find(value[1:])
            value = ref.code if ref else value
        out[name] = value
    return out


@transaction.atomic
def _rules(catalog_demo, entries) -> int:
    from shuzheng.data.quality import services

    made = 0
    for key, entry in entries.items():
        admin = catalog_demo.admin_of(entry.provider.name)
        if admin is None:
            continue
        for item, kind, params, severity, description in RULES[key]:
            services.create_rule(
                admin,
                entry=entry,
                kind=kind,
                item_code=item,
                params=_params(params, catalog_demo),
                severity=severity,
                description=description,
            )
            made += 1
    return made


def _first_checks(catalog_demo, entries) -> list:
    from shuzheng.data.quality import services

    runs = []
    for entry in entries.values():
        admin = catalog_demo.admin_of(entry.provider.name)
        if admin is not None and entry.quality_rules.exists():
            runs.append(services.run_check(admin, entry))
    return runs
