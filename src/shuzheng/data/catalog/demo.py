"""Demo 数据要素 I — the catalogue: the classification tree, a data administrator for every
providing department and the data authority's reviewer, the entries of
``data/entries.yaml`` created by their department, graded, submitted and published by the
authority through the catalogue's use cases, and the synthetic rows of
``shuzheng.data.synthetic`` loaded into the platform store (encrypted at rest).

Idempotent: accounts are created once, and the entries only if none of them exists yet
(the whole catalogue is one transaction, so a failed load leaves nothing half-made).
The sharing, exchange and quality demos (loaded after this one) find entries with
:func:`find`.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role, RoleGrant
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.demo import DEMO_PASSWORD
from shuzheng.foundation.identity.models import Organisation, User

ENTRIES = Path(__file__).with_name("data") / "entries.yaml"
AUTHORITY = "sjju"
CITY = "440400"

# (username, name, organisation, position, role, granted on ("root" = the city))
ACCOUNTS = [
    ("gadata", "陈卫东", "珠海市公安局", "科技信息化支队 数据管理员", "data-admin", None),
    ("wjdata", "林晓彤", "珠海市卫生健康局", "规划发展与信息化科 数据管理员", "data-admin", None),
    (AUTHORITY, "黄嘉明", "珠海市政务服务数据管理局", "数据资源科 科长", "data-authority", "root"),
    ("scjgdata", "梁志坚", "珠海市市场监督管理局", "信息化科 数据管理员", "data-admin", None),
]
# the data administrator of every other providing department
PROVIDER_ADMINS = {
    "珠海市政务服务数据管理局": ("sjjdata", "吴颖琪", "数据资源科 数据管理员"),
    "珠海市不动产登记中心": ("bdcdata", "邓伟强", "信息科 数据管理员"),
    "珠海市自然资源局": ("zrzydata", "冯嘉欣", "信息中心 数据管理员"),
    "珠海市社会保险基金管理中心": ("sbdata", "何丽华", "信息科 数据管理员"),
    "珠海市人力资源和社会保障局": ("rsdata", "周浩然", "信息科 数据管理员"),
    "珠海市医疗保障局": ("ybdata", "谢婉婷", "规划财务和法规科 数据管理员"),
    "珠海市住房公积金管理中心": ("gjjdata", "罗俊辉", "信息技术科 数据管理员"),
    "珠海市民政局": ("mzdata", "郑秀英", "办公室 数据管理员"),
    "珠海市交通运输局": ("jtdata", "曾志宏", "信息中心 数据管理员"),
    "珠海市生态环境局": ("sthjdata", "苏雨桐", "监测科 数据管理员"),
    "珠海市教育局": ("jydata", "叶嘉俊", "信息中心 数据管理员"),
    "国家税务总局珠海市税务局": ("swdata", "区永坚", "税收大数据和风险管理局 数据管理员"),
    "珠海市发展和改革局": ("fgdata", "麦咏琳", "信用科 数据管理员"),
    "珠海市市民服务热线管理中心": ("rxdata", "岑慧颖", "数据分析科 数据管理员"),
    "珠海市口岸局": ("kadata", "容锦荣", "综合科 数据管理员"),
    "珠海市住房和城乡建设局": ("zjdata", "冼佳琪", "信息中心 数据管理员"),
}

PUBLISH_NOTE = (
    "经审核，目录要素完整，分级定级依据充分，共享、开放属性符合《政务数据共享条例》，予以发布。"
)
GRADING_OPINION = "同意。按就高从严原则定级。"

# An item's impact when entries.yaml does not state it (GB/T 43697 影响对象 / 程度).
_DEGREE = {
    "general_1": "general",
    "general_2": "general",
    "general_3": "general",
    "general_4": "serious",
    "important": "serious",
    "core": "extreme",
}
_BASIS_SENSITIVE = "敏感个人信息，一旦泄露或者非法使用，容易导致人格尊严受到侵害或者人身、财产安全受到危害（《个人信息保护法》第二十八条）。"
_BASIS_PERSONAL = "个人信息，泄露或被非法使用可能侵害个人权益。"
_BASIS = {
    "general_1": "依法公开或可以公开的信息。",
    "general_2": "未公开的一般业务信息，泄露对组织权益影响轻微。",
    "general_3": "未公开的业务信息，泄露对组织权益影响一般。",
    "general_4": "未公开的业务信息，泄露可能严重影响组织权益。",
    "important": "一旦泄露或被篡改可能直接危害经济运行、社会秩序或公共利益（GB/T 43697-2024 重要数据）。",
    "core": "涉及国家安全，一旦泄露可能直接危害国家安全（GB/T 43697-2024 核心数据）。",
}


@cache
def specs() -> tuple[dict, ...]:
    """The demo entries as written in ``entries.yaml``."""
    data = yaml.safe_load(ENTRIES.read_text(encoding="utf-8"))
    return tuple(data["entries"])


def spec(key: str) -> dict:
    return next(s for s in specs() if s["key"] == key)


def find(key: str):
    """The demo entry ``key`` of ``entries.yaml`` (None when it is not loaded)."""
    from shuzheng.data.catalog.models import CatalogueEntry

    s = spec(key)
    return (
        CatalogueEntry.objects.filter(provider__name=s["provider"], name=s["name"])
        .order_by("pk")
        .first()
    )


def admin_of(org_name: str) -> User | None:
    """The demo data administrator of department ``org_name``."""
    username = next((a[0] for a in ACCOUNTS if a[2] == org_name and a[4] == "data-admin"), None)
    username = username or PROVIDER_ADMINS.get(org_name, (None,))[0]
    return User.objects.filter(username=username).first() if username else None


def load_demo(stdout=None) -> int:
    from shuzheng.data.catalog import services

    if not Organisation.objects.filter(name="珠海市公安局").exists():
        return 0  # the foundation's demo organisations were not loaded
    services.load_classifications()
    _accounts()
    if find(specs()[0]["key"]) is not None:
        if stdout is not None:
            _accounts_report(stdout)
        return 0
    published, rows, skipped = _catalogue()
    if stdout is not None:
        _report(stdout, published, rows, skipped)
        _accounts_report(stdout)
    return len(published)


# --------------------------------------------------------------------------- accounts


def _staff(username, name, org, position, role_code, on) -> None:
    if User.objects.filter(username=username).exists():
        return
    profile = identity.create_staff(
        access.SYSTEM,
        organisation=org,
        username=username,
        display_name=name,
        password=DEMO_PASSWORD,
        position=position,
        office_phone=f"0756-2{zlib.crc32(username.encode()) % 10**6:06d}",
    )
    role = Role.objects.get(code=role_code)
    if not RoleGrant.objects.filter(user=profile.user, role=role, revoked_at__isnull=True).exists():
        access_services.grant_role(access.SYSTEM, user=profile.user, role=role, organisation=on)


@transaction.atomic
def _accounts() -> None:
    root = Organisation.objects.get(parent__isnull=True, division_code=CITY)
    for username, name, org_name, position, role_code, on in ACCOUNTS:
        org = Organisation.objects.filter(name=org_name).first()
        if org is not None:
            _staff(username, name, org, position, role_code, root if on == "root" else org)
    for org_name, (username, name, position) in PROVIDER_ADMINS.items():
        org = Organisation.objects.filter(name=org_name).first()
        if org is not None:
            _staff(username, name, org, position, "data-admin", org)


# --------------------------------------------------------------------------- entries


def item_payload(raw: dict) -> dict:
    """An item of ``entries.yaml`` as ``create_entry`` takes it: its impact object, degree
    and basis filled from its level and flags when not written."""
    item = dict(raw)
    grade = item["grade"]
    personal, sensitive = item.get("personal", False), item.get("sensitive_personal", False)
    if not item.get("impact_object"):
        if personal:
            item["impact_object"] = "personal"
        elif grade == "core":
            item["impact_object"] = "national_security"
        elif grade == "important":
            item["impact_object"] = "public_interest"
        else:
            item["impact_object"] = "organisation"
    item.setdefault("impact_degree", _DEGREE[grade])
    if not item.get("grade_basis"):
        if sensitive:
            item["grade_basis"] = _BASIS_SENSITIVE
        elif personal:
            item["grade_basis"] = _BASIS_PERSONAL
        else:
            item["grade_basis"] = _BASIS[grade]
    return item


@transaction.atomic
def _catalogue():
    from shuzheng.data import synthetic
    from shuzheng.data.catalog import services, store
    from shuzheng.data.catalog.models import Classification

    authority = User.objects.get(username=AUTHORITY)
    data = synthetic.datasets(timezone.localdate())
    made: dict[str, object] = {}
    published, rows, skipped = [], {}, []
    # sources first: a derived entry names published entries
    ordered = sorted(specs(), key=lambda s: bool(s.get("sources")))
    for s in ordered:
        provider = Organisation.objects.filter(name=s["provider"]).first()
        admin = admin_of(s["provider"])
        if provider is None or admin is None:
            skipped.append(s["name"])
            continue
        entry = services.create_entry(
            admin,
            provider=provider,
            classification=Classification.objects.get(code=s["classification"]),
            name=s["name"],
            summary=s["summary"],
            kind=s["kind"],
            resource_format=s["resource_format"],
            update_cycle=s["update_cycle"],
            share_type=s["share_type"],
            share_method=s["share_method"],
            open_type=s["open_type"],
            items=[item_payload(i) for i in s["items"]],
            theme=s.get("theme", ""),
            keywords=s.get("keywords", ()),
            share_condition=s.get("share_condition", ""),
            not_shared_basis=s.get("not_shared_basis", ""),
            open_condition=s.get("open_condition", ""),
            on_platform=s.get("on_platform", True),
            sources=[made[k] for k in s.get("sources", ()) if k in made],
        )
        _grade(admin, authority, entry, s.get("grade"))
        entry.refresh_from_db()
        services.submit(admin, entry, revision=entry.revision, note="首次编目，提交审核。")
        services.publish(authority, entry, revision=entry.revision, note=PUBLISH_NOTE)
        made[s["key"]] = entry
        published.append(entry)
        if s.get("rows"):
            dataset = data[s["rows"]]
            rows[s["key"]] = store.put_records(admin, entry, dataset.rows)
    return published, rows, skipped


def _grade(admin, authority, entry, grade: dict | None) -> None:
    """The entry-level assessment of ``entries.yaml`` (impact object, degree, factors,
    basis), proposed by the department and approved by the authority. Where the level is
    what the items already give, the catalogue may refuse a proposal of the current level;
    the entry then keeps its items' level without an entry-level assessment."""
    from shuzheng.data.catalog import services
    from shuzheng.data.catalog.models import GRADE_RANK

    if not grade:
        return
    if GRADE_RANK[grade["level"]] < GRADE_RANK[entry.grade]:
        raise ValueError(f"{entry.name}: entries.yaml grades it below its items (就高从严)")
    try:
        record = services.propose_grading(
            admin,
            entry,
            to_grade=grade["level"],
            impact_object=grade["impact_object"],
            impact_degree=grade["impact_degree"],
            basis=" ".join(grade["basis"].split()),
            factors=grade.get("factors", ()),
        )
    except ValidationError as exc:
        if grade["level"] == entry.grade and "to_grade" in exc.message_dict:
            return  # the items already give this level and the catalogue takes no confirmation
        raise
    services.review_grading(authority, record, approve=True, opinion=GRADING_OPINION)


def _report(stdout, published, rows, skipped) -> None:
    from collections import Counter

    share = Counter(e.share_type for e in published)
    opened = sum(1 for e in published if e.open_type != "none")
    stdout.write(
        f"数据要素目录: {len(published)} entries published (无条件共享 {share['unconditional']}"
        f" / 有条件共享 {share['conditional']} / 不予共享 {share['none']}; {opened} open), "
        f"{sum(rows.values())} synthetic rows in the platform store across {len(rows)} datasets"
    )
    stdout.write("  rows: " + ", ".join(f"{spec(k)['name']} {n}" for k, n in rows.items()))
    if skipped:
        stdout.write(f"  skipped (department missing): {', '.join(skipped)}")


def _accounts_report(stdout) -> None:
    stdout.write(
        f"  数据要素 accounts (password {DEMO_PASSWORD}): gadata 市公安局数据管理员 · "
        "wjdata 市卫生健康局数据管理员 · scjgdata 市市场监督管理局数据管理员 · "
        "sjju 市政务服务数据管理局数据资源科（目录审核、合规审查、争议协调）"
    )
    others = " · ".join(u for u, _n, _p in PROVIDER_ADMINS.values())
    stdout.write(f"  other departments' data administrators: {others}")
