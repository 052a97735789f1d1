"""Demo 12345: the category tree, knowledge base and routing rules; demo staff at each level
of three-level dispatch; two months of closed, labelled history (the synthetic set — the
classifier's training data, loaded as imported history without workflow instances); the model
trained on it; and a handful of live orders at every step of the loop, driven through the
same use cases as real work. Idempotent."""

import random

from django.db import transaction

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role, RoleGrant
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.demo import DEMO_PASSWORD
from shuzheng.foundation.identity.models import Organisation, User

# (username, name, organisation, position, role, grant on (None = own organisation))
ACCOUNTS = [
    ("xzhotline", "苏婉清", "香洲区", "区 12345 分中心派单员", "order-handler", None),
    ("gongbei", "罗家豪", "拱北街道", "街道综合指挥室", "order-handler", None),
    ("chengguan", "冯振华", "珠海市城市管理和综合执法局", "市容科科员", "order-handler", None),
    ("hotadmin", "邓雅琪", "珠海市市民服务热线管理中心", "热线管理员", "hotline-admin", "root"),
]
# the foundation's demo accounts and what they do in 12345
GRANTS = [
    ("operator", "hotline-operator", "root"),  # 城市运行中心值班长 also takes calls
    ("head", "supervisor", "root"),
]
# on-site categories are dispatched by location (city → district → street); the rest go to
# the category's department (routing rules the administrator can edit)
LIVE = [
    # (synthetic index offset, how far the order goes)
    (0, "registered"),
    (1, "registered"),
    (2, "dispatched_district"),
    (3, "dispatched"),
    (4, "handling"),
    (5, "extension"),
    (6, "replied"),
    (7, "callback"),
    (8, "returned"),
    (9, "closed"),
]


def load_demo(stdout=None) -> int:
    from shuzheng.governance.hotline.models import WorkOrder

    if not User.objects.filter(username="operator").exists():
        return 0  # the foundation's demo accounts were not loaded
    counts = _reference()
    _accounts()
    if WorkOrder.objects.exists():
        return 0
    history = _history()
    model = _train()
    live = _live()
    if stdout is not None:
        stdout.write(
            "12345: {cats} categories, {kb} knowledge articles, {rules} routing rules, "
            "{hist} labelled history orders, {live} live orders; classifier v{v} "
            "(held-out category accuracy {acc})".format(
                cats=counts["categories"],
                kb=counts["articles"],
                rules=counts["rules"],
                hist=history,
                live=live,
                v=model.version if model else "-",
                acc=(model.metrics or {}).get("category", {}).get("top1", "-") if model else "-",
            )
        )
        stdout.write(
            f"  12345 accounts (password {DEMO_PASSWORD}): operator 话务/派单/审核/回访 · xzhotline 香洲区分中心 · "
            "gongbei 拱北街道承办 · chengguan 城管局承办 · hotadmin 热线管理员 · grid 网格员"
        )
    return history + live


def _reference() -> dict:
    from shuzheng.governance.hotline.services import categories, knowledge, routing

    n_categories = categories.load_categories(access.SYSTEM)
    n_articles = knowledge.load_articles(access.SYSTEM)
    n_rules = _rules(routing)
    return {"categories": n_categories, "articles": n_articles, "rules": n_rules}


def _rules(routing) -> int:
    """属地派单 for the leaves handled where they happen (city → district → street); the
    other leaves go to their department."""
    from shuzheng.governance.hotline.models import Category, RoutingRule

    if RoutingRule.objects.exists():
        return RoutingRule.objects.count()
    routing.default_rules(access.SYSTEM, min_confidence=0.7)
    have = set(RoutingRule.objects.values_list("category_id", flat=True))
    for leaf in Category.objects.filter(
        level=3, is_active=True, default_unit__isnull=False
    ).exclude(pk__in=have):
        routing.save_rule(access.SYSTEM, category=leaf, unit=leaf.default_unit, min_confidence=0.8)
    return RoutingRule.objects.count()


@transaction.atomic
def _accounts() -> None:
    root = Organisation.objects.get(parent__isnull=True, division_code="440400")
    for username, name, org_name, position, role_code, on in ACCOUNTS:
        if User.objects.filter(username=username).exists():
            continue
        org = Organisation.objects.filter(name=org_name).first()
        if org is None:
            continue
        profile = identity.create_staff(
            access.SYSTEM,
            organisation=org,
            username=username,
            display_name=name,
            password=DEMO_PASSWORD,
            position=position,
        )
        access_services.grant_role(
            access.SYSTEM,
            user=profile.user,
            role=Role.objects.get(code=role_code),
            organisation=root if on == "root" else org,
        )
    for username, role_code, _on in GRANTS:
        user = User.objects.filter(username=username).first()
        role = Role.objects.get(code=role_code)
        if (
            user
            and not RoleGrant.objects.filter(
                user=user, role=role, organisation=root, revoked_at__isnull=True
            ).exists()
        ):
            access_services.grant_role(access.SYSTEM, user=user, role=role, organisation=root)


def _history() -> int:
    """The synthetic labelled set as three months of closed history (imported: no workflow
    instance, but every field a closed order has) — the classifier's training data."""
    from shuzheng.governance.hotline import synthetic

    return synthetic.load_history(access.SYSTEM, days=90)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韩唐冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华玉梅志国建文嘉欣子轩晓燕海家豪"


def _caller_name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _train():
    from shuzheng.governance.hotline.services import routing

    return routing.train(access.SYSTEM)


def _live() -> int:
    """A few orders at every step, through the real use cases."""
    from shuzheng.governance.hotline import synthetic
    from shuzheng.governance.hotline.models import Category
    from shuzheng.governance.hotline.services import intake, loop

    operator = User.objects.get(username="operator")
    xz = User.objects.filter(username="xzhotline").first()
    gb = User.objects.filter(username="gongbei").first()
    xiangzhou = Organisation.objects.filter(name="香洲区").first()
    gongbei = Organisation.objects.filter(name="拱北街道").first()
    if not (xz and gb and xiangzhou and gongbei):
        return 0
    from shuzheng.governance.hotline.services.categories import local_codes

    rng = random.Random(12345)
    local = set(local_codes())
    on_site = [
        s
        for s in synthetic.orders(n=600, seed=7)
        if s.get("street") == "拱北街道" and s["category"] in local
    ]
    created = 0
    for offset, stage in LIVE:
        s = on_site[offset % len(on_site)] if on_site else None
        if s is None:
            break
        category = Category.objects.filter(code=s["category"]).first()
        with transaction.atomic():
            order = intake.register(
                operator,
                channel="phone",
                request_type=s["request_type"],
                title=s["title"],
                content=s["content"],
                category=category,
                urgency=s.get("urgency", "normal"),
                address=s.get("address", ""),
                latitude=s.get("latitude"),
                longitude=s.get("longitude"),
                caller_name=_caller_name(rng),
                caller_phone=f"+86139{rng.randrange(10**7, 10**8)}",
            )
            created += 1
            if stage == "registered":
                continue
            loop.dispatch(operator, order, unit=xiangzhou)
            if stage == "dispatched_district":
                continue
            loop.forward(xz, order, unit=gongbei)
            if stage == "dispatched":
                continue
            if stage == "returned":
                loop.return_order(gb, order, reason="经核查，该地点属前山街道辖区，请改派。")
                continue
            loop.sign(gb, order)
            if stage == "handling":
                continue
            if stage == "extension":
                loop.request_extension(gb, order, days=5, reason="需协调产权单位共同处理")
                continue
            loop.reply(gb, order, reply="已到现场核实并处理完毕，已向诉求人电话反馈。")
            if stage == "replied":
                continue
            loop.review(operator, order, approve=True)
            if stage == "callback":
                continue
            loop.callback(operator, order, satisfaction="satisfied", score=5, comment="处理及时")
    return created
