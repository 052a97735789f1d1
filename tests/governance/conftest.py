"""Fixtures of the 一网统管 tests: the small Zhuhai of tests/conftest.py plus the 12345
centre, a department, a category tree, grid cells in 拱北街道 and 井岸镇, staff at each
level, and ``order_factory`` that drives an order through the real services."""

from types import SimpleNamespace

import pytest

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind

# 拱北 (香洲区) and 井岸 (斗门区): two 1 km × 1 km cells each, WGS-84 (lng, lat)
GONGBEI_CELLS = [
    (
        "440402005-01",
        "拱北一网格",
        [
            [113.540, 22.215],
            [113.550, 22.215],
            [113.550, 22.224],
            [113.540, 22.224],
            [113.540, 22.215],
        ],
    ),
    (
        "440402005-02",
        "拱北二网格",
        [
            [113.550, 22.215],
            [113.560, 22.215],
            [113.560, 22.224],
            [113.550, 22.224],
            [113.550, 22.215],
        ],
    ),
]
JINGAN_CELLS = [
    (
        "440403100-01",
        "井岸一网格",
        [
            [113.290, 22.200],
            [113.300, 22.200],
            [113.300, 22.209],
            [113.290, 22.209],
            [113.290, 22.200],
        ],
    ),
]
IN_GONGBEI = (22.2195, 113.545)  # (lat, lng) inside 拱北一网格
IN_JINGAN = (22.2045, 113.295)
NOWHERE = (22.600, 113.900)  # outside every cell


def _cell(code, name, ring, street, district):
    from shuzheng.governance.grid.models import GridCell

    lngs = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return GridCell.objects.create(
        code=code,
        name=name,
        street=street,
        district=district,
        geometry=[ring],
        min_lng=min(lngs),
        max_lng=max(lngs),
        min_lat=min(lats),
        max_lat=max(lats),
        centre_lng=sum(lngs[:-1]) / (len(lngs) - 1),
        centre_lat=sum(lats[:-1]) / (len(lats) - 1),
    )


def _category(code, name, parent=None, **extra):
    from shuzheng.governance.hotline.models import Category

    return Category.objects.create(
        code=code, name=name, parent=parent, level=len(code) // 2, **extra
    )


@pytest.fixture
def hl(tree, make_staff, db):
    """The hotline world: ``hl.centre`` (12345 centre), ``hl.chengguan`` (a department),
    categories ``hl.garbage`` (needs a location) / ``hl.vending`` / ``hl.social`` (no
    location), grid cells, and staff: ``operator`` (city), ``xz_handler`` (香洲区),
    ``gb_handler`` (拱北街道), ``jingan_handler`` (井岸镇), ``cg_handler`` (城管局),
    ``head`` (department head of 香洲区), ``admin`` (hotline administrator)."""
    org = lambda parent, name, kind: identity.create_organisation(  # noqa: E731
        access.SYSTEM, parent=parent, name=name, kind=kind
    )
    centre = org(tree.city, "珠海市市民服务热线管理中心", OrgKind.DEPARTMENT)
    chengguan = org(tree.city, "珠海市城市管理和综合执法局", OrgKind.DEPARTMENT)
    urban = _category("01", "城乡建设", limits={"complaint": "10 working_days"})
    sanitation = _category("0101", "市容环卫", urban)
    garbage = _category(
        "010101",
        "垃圾清运",
        sanitation,
        needs_location=True,
        open311=True,
        keywords=["垃圾", "清运"],
        default_unit=chengguan,
    )
    vending = _category(
        "010102",
        "占道经营",
        sanitation,
        needs_location=True,
        open311=True,
        keywords=["摆摊", "占道"],
        default_unit=chengguan,
    )
    welfare = _category("02", "社会保障")
    insurance = _category("0201", "社会保险", welfare)
    social = _category("020101", "社保缴费", insurance, open311=True, keywords=["社保"])
    cells = [_cell(c, n, r, tree.gongbei, tree.xiangzhou) for c, n, r in GONGBEI_CELLS] + [
        _cell(c, n, r, tree.jingan, tree.doumen) for c, n, r in JINGAN_CELLS
    ]
    ns = SimpleNamespace(
        tree=tree,
        centre=centre,
        chengguan=chengguan,
        urban=urban,
        sanitation=sanitation,
        garbage=garbage,
        vending=vending,
        welfare=welfare,
        social=social,
        cells=cells,
        operator=make_staff(centre, "hotline-operator", on=tree.city, name="话务员"),
        xz_handler=make_staff(tree.xiangzhou, "order-handler", name="香洲区承办"),
        gb_handler=make_staff(tree.gongbei, "order-handler", name="拱北承办"),
        jingan_handler=make_staff(tree.jingan, "order-handler", name="井岸承办"),
        cg_handler=make_staff(chengguan, "order-handler", name="城管承办"),
        head=make_staff(tree.xiangzhou, "department-head", name="香洲区负责人"),
        admin=make_staff(centre, "hotline-admin", on=tree.city, name="热线管理员"),
    )
    return ns


GOOD_PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"


@pytest.fixture
def order_factory(hl):
    """order_factory(state="registered", **register_kwargs) → a WorkOrder driven through the
    real services to ``state``: registered → dispatched (to 香洲区, forwarded to 拱北街道) →
    handling → replied → callback → closed; also "returned" and "extension"."""
    from shuzheng.governance.hotline.services import intake, loop

    def make(state="registered", **kw):
        data = {
            "channel": "phone",
            "request_type": "complaint",
            "title": "小区门口垃圾堆积",
            "content": "拱北夏湾路小区门口垃圾三天没人清运，气味很大，请尽快处理。",
            "category": hl.garbage,
            "address": "拱北夏湾路 88 号",
            "latitude": IN_GONGBEI[0],
            "longitude": IN_GONGBEI[1],
            "caller_name": "李小明",
            "caller_phone": GOOD_PHONE,
        }
        data.update(kw)
        order = intake.register(hl.operator, **data)
        if state == "registered":
            return order
        loop.dispatch(hl.operator, order, unit=hl.tree.xiangzhou)
        if state == "dispatched_district":
            return order
        loop.forward(hl.xz_handler, order, unit=hl.tree.gongbei)
        if state == "dispatched":
            return order
        if state == "returned":
            loop.return_order(hl.gb_handler, order, reason="不属于本街道职责")
            return order
        loop.sign(hl.gb_handler, order)
        if state == "handling":
            return order
        if state == "extension":
            loop.request_extension(hl.gb_handler, order, days=5, reason="需协调物业与环卫公司")
            return order
        loop.reply(hl.gb_handler, order, reply="已协调环卫公司清运，并增加清运频次。")
        if state == "replied":
            return order
        loop.review(hl.operator, order, approve=True)
        if state == "callback":
            return order
        loop.callback(hl.operator, order, satisfaction="satisfied", score=5)
        assert state == "closed", state
        return order

    return make
