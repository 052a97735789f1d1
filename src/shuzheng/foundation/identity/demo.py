"""Zhuhai demo data, loaded through the same services as real use.

Organisations come from ``data/zhuhai-orgs.json`` (a copy of the shared reference file with
its sources and ``uncertain`` flags). Towns run by a functional zone hang under that zone;
where the managing body itself is uncertain (经开区 for 南水镇 / 平沙镇) they stay under
their statutory district, and the zone node is flagged ``uncertain``.
"""

import json
import random
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role
from shuzheng.foundation.identity import services, synthetic
from shuzheng.foundation.identity.models import (
    EnterpriseRegistry,
    Organisation,
    OrgKind,
)
from shuzheng.foundation.identity.validators import IdType

DATA = Path(__file__).with_name("data") / "zhuhai-orgs.json"
DEMO_PASSWORD = "Zhuhai@2026"
ZONE_KIND = {"合作区": OrgKind.ZONE, "功能区": OrgKind.ZONE}
TOWN_KIND = {"街道": OrgKind.STREET, "镇": OrgKind.TOWN}
# A few communities named in the reference file's sources, so the tree reaches level 4.
COMMUNITIES = {"湾仔街道": ["民兴社区", "十字门社区"], "横琴镇": ["莲花社区"]}


@dataclass
class DemoAccount:
    username: str
    role_label: str
    where: str


def _create(parent, **fields) -> Organisation:
    return services.create_organisation(access.SYSTEM, parent=parent, **fields)


@transaction.atomic
def load_organisations() -> Organisation:
    """Create the Zhuhai tree once; a second call finds it and returns the root."""
    existing = Organisation.objects.filter(parent__isnull=True, division_code="440400").first()
    if existing is not None:
        return existing
    data = json.loads(DATA.read_text(encoding="utf-8"))
    city = data["city"]
    root = _create(
        None,
        name=city["name"],
        kind=OrgKind.CITY,
        division_code=city["division_code"],
        short_name="珠海",
        sources=city.get("sources", []),
    )
    departments: dict[str, Organisation] = {}
    pending = list(data["municipal_departments"])
    for order, dept in enumerate(pending):
        parent_name = dept.get("parent")
        if parent_name and parent_name != "珠海市人民政府" and parent_name not in departments:
            continue  # created below, once its parent exists
        departments[dept["name"]] = _department(
            root if not parent_name or parent_name not in departments else departments[parent_name],
            dept,
            order,
        )
    for order, dept in enumerate(pending):
        if dept["name"] not in departments:
            parent = departments.get(dept.get("parent"), root)
            departments[dept["name"]] = _department(parent, dept, order)
    towns: dict[str, dict] = {}
    managed_by_zone: dict[str, str] = {}
    for area in data["districts"]:
        for town in area.get("streets_towns", []):
            if area["kind"] in ZONE_KIND and not area.get("uncertain"):
                managed_by_zone[town["code"]] = area["name"]
            towns.setdefault(town["code"], town)
    for order, area in enumerate(data["districts"]):
        kind = ZONE_KIND.get(area["kind"], OrgKind.DISTRICT)
        node = _create(
            root,
            name=area["name"],
            kind=kind,
            division_code=area.get("division_code") or "",
            note=area.get("note", ""),
            sources=area.get("sources", []),
            uncertain=bool(area.get("uncertain")),
            sort_order=100 + order,
            category=area.get("governing_body", ""),
        )
        for t_order, town in enumerate(area.get("streets_towns", [])):
            runs_it = managed_by_zone.get(town["code"])
            if (kind == OrgKind.DISTRICT and runs_it) or (
                kind == OrgKind.ZONE and runs_it != area["name"]
            ):
                continue
            unit = _create(
                node,
                name=town["name"],
                kind=TOWN_KIND.get(town["kind"], OrgKind.TOWN),
                division_code=town["code"],
                sort_order=t_order,
                note=town.get("note", ""),
                uncertain=bool(town.get("uncertain")),
                sources=town.get("managed_by_sources", []),
            )
            for name in COMMUNITIES.get(town["name"], []):
                _create(unit, name=name, kind=OrgKind.COMMUNITY)
    return root


def _department(parent: Organisation, dept: dict, order: int) -> Organisation:
    kind = OrgKind.DEPARTMENT if parent.kind == OrgKind.CITY else OrgKind.UNIT
    note = "；".join(x for x in (dept.get("note", ""), dept.get("uncertain_reason", "")) if x)
    return _create(
        parent,
        name=dept["name"],
        short_name=dept.get("short", ""),
        kind=kind,
        category=dept.get("kind", ""),
        note=note,
        alt_names=dept.get("alt_names", []),
        sources=dept.get("sources", []),
        uncertain=bool(dept.get("uncertain")),
        sort_order=order,
    )


def _org(name: str) -> Organisation:
    return Organisation.objects.get(name=name)


def _staff(username, name, org, position, role_code, grant_org=None, *, superuser=False):
    profile = services.create_staff(
        access.SYSTEM,
        organisation=org,
        username=username,
        display_name=name,
        password=DEMO_PASSWORD,
        position=position,
    )
    role = Role.objects.get(code=role_code)
    target = grant_org or org
    access_services.grant_role(access.SYSTEM, user=profile.user, role=role, organisation=target)
    if superuser:
        services.open_admin_site(access.SYSTEM, profile.user)
    return DemoAccount(username, role.name, target.name)


@transaction.atomic
def load_accounts() -> list[DemoAccount]:
    """One account per role, plus a small realistic staff directory per district."""
    from shuzheng.foundation.identity.models import User

    if User.objects.filter(username="secadmin").exists():
        return []
    root = Organisation.objects.get(parent__isnull=True, division_code="440400")
    zwfw = _org("珠海市政务服务数据管理局")
    hotline = _org("珠海市市民服务热线管理中心")
    xiangzhou, doumen = _org("香洲区"), _org("斗门区")
    accounts = [
        _staff("sysadmin", "周建国", zwfw, "系统管理员", "system-admin", root, superuser=True),
        _staff("secadmin", "吴敏", zwfw, "安全管理员", "security-admin", root),
        _staff("auditor", "郑晓燕", zwfw, "审计管理员", "audit-admin", root),
        _staff("clerk", "林嘉怡", xiangzhou, "政务服务中心窗口", "window-clerk"),
        _staff("handler", "黄志强", doumen, "业务科科员", "case-handler"),
        _staff("head", "梁文海", zwfw, "局长", "department-head"),
        _staff("operator", "何思远", hotline, "城市运行中心值班长", "ops-operator", root),
        _staff("grid", "陈秀英", _org("拱北街道"), "网格员", "grid-officer"),
    ]
    rng = random.Random(2026)
    positions = ["科员", "副科长", "科长", "办事员", "综合窗口", "信息员"]
    for area in Organisation.objects.filter(
        kind__in=[OrgKind.DISTRICT, OrgKind.ZONE, OrgKind.STREET, OrgKind.TOWN]
    ).order_by("path"):
        for i in range(2 if area.kind in (OrgKind.DISTRICT, OrgKind.ZONE) else 1):
            services.create_staff(
                access.SYSTEM,
                organisation=area,
                username=f"staff{area.pk}_{i}",
                display_name=synthetic.person_name(rng),
                position=rng.choice(positions),
                office_phone=f"0756-{rng.randrange(2000000, 8999999)}",
            )
    citizen = services.register_person(
        access.SYSTEM,
        name="陈志明",
        id_type=IdType.RESIDENT_ID,
        id_number=synthetic.resident_id(rng),
        mobile=synthetic.mobile(rng),
        user=_login("citizen", "陈志明"),
    )
    macau = services.register_person(
        access.SYSTEM,
        name="李嘉欣",
        id_type=IdType.MACAU_ID,
        id_number="5215432(8)",
        mobile="+85366123456",
        user=_login("macau", "李嘉欣"),
    )
    legal = services.register_person(
        access.SYSTEM,
        name="王丽华",
        id_type=IdType.RESIDENT_ID,
        id_number=synthetic.resident_id(rng),
        mobile=synthetic.mobile(rng),
        user=_login("legalrep", "王丽华"),
    )
    agent = services.register_person(
        access.SYSTEM,
        name="赵子轩",
        id_type=IdType.RESIDENT_ID,
        id_number=synthetic.resident_id(rng),
        user=_login("agent", "赵子轩"),
    )
    company = services.register_enterprise(
        access.SYSTEM,
        name="珠海海岸线科技有限公司",
        registry=EnterpriseRegistry.MAINLAND,
        registration_number=synthetic.credit_code(rng),
        legal_representative=legal.name,
        address="广东省珠海市香洲区情侣中路 88 号",
        legal_person=legal,
    )
    services.authorise_agent(
        access.SYSTEM, company, person=agent, scopes=["identity.view_enterprise"]
    )
    services.register_enterprise(
        access.SYSTEM,
        name="澳珠贸易有限公司",
        registry=EnterpriseRegistry.MACAU,
        registration_number="81234",
        legal_representative=macau.name,
        address="澳门新口岸友谊大马路 1023 号",
        legal_person=macau,
    )
    del citizen
    accounts += [
        DemoAccount("citizen", "市民", "—"),
        DemoAccount("macau", "澳门居民（澳珠贸易有限公司法定代表人）", "—"),
        DemoAccount("legalrep", "企业法定代表人", "珠海海岸线科技有限公司"),
        DemoAccount("agent", "企业经办人", "珠海海岸线科技有限公司"),
    ]
    return accounts


def _login(username: str, name: str):
    return services.register_account(
        access.SYSTEM, username=username, display_name=name, password=DEMO_PASSWORD
    )


def load() -> list[DemoAccount]:
    load_organisations()
    return load_accounts()
