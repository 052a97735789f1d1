"""Realistic synthetic people and enterprises for demos and benchmarks.

Every number produced is valid by its standard (check characters computed by python-stdnum),
so synthetic data exercises the same validators as real input. Nothing here is a real person.
"""

import random
from datetime import date, timedelta

from stdnum.cn import ric, uscc

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉志宏建国文海"
    "晓俊嘉欣怡婷子轩浩然梓涵宇航思远雨桐佳琪家豪诗涵博文昊天一鸣可馨梦瑶"
)
# Division codes of Zhuhai and of common places of birth of its residents.
DIVISIONS = (
    "440402",
    "440403",
    "440404",
    "440103",
    "440304",
    "440606",
    "441302",
    "445102",
    "440883",
    "430102",
    "420106",
    "360102",
    "450103",
    "510104",
    "110101",
    "310101",
)
STREETS = (
    "情侣中路",
    "凤凰北路",
    "人民东路",
    "九洲大道",
    "珠海大道",
    "迎宾南路",
    "白石路",
    "金湾路",
    "港湾大道",
    "井岸镇新城路",
    "横琴环岛东路",
    "唐家湾港湾大道",
)
TRADES = (
    ("科技", "I"),
    ("贸易", "F"),
    ("物流", "G"),
    ("餐饮", "H"),
    ("建筑工程", "E"),
    ("文化传播", "R"),
    ("医疗器械", "C"),
    ("游艇制造", "C"),
    ("软件", "I"),
    ("电子商务", "F"),
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "199",
)


def person_name(rng: random.Random) -> str:
    size = 1 if rng.random() < 0.35 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(size))


def resident_id(
    rng: random.Random,
    *,
    born_after: date = date(1950, 1, 1),
    born_before: date = date(2006, 12, 31),
) -> str:
    born = born_after + timedelta(days=rng.randrange((born_before - born_after).days))
    body = f"{rng.choice(DIVISIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(rng: random.Random, *, division: str = "440400") -> str:
    """统一社会信用代码 of an enterprise (登记管理部门 9 = 市场监管, 类别 1 = 企业)."""
    org_code = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    body = f"91{division}{org_code}"
    return body + uscc.calc_check_digit(body)


def mobile(rng: random.Random) -> str:
    return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def enterprise_name(rng: random.Random) -> str:
    trade, _section = rng.choice(TRADES)
    brand = rng.choice(GIVEN) + rng.choice(GIVEN)
    return f"珠海{brand}{trade}有限公司"


def address(rng: random.Random) -> str:
    return f"广东省珠海市{rng.choice(STREETS)}{rng.randrange(1, 999)}号"
