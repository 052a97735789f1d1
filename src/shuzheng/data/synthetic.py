"""Synthetic rows for the demo catalogue's platform store (issue 7, "6. Demo").

Every dataset here is generated from a seed, so the same seed and the same ``today`` give the
same rows; nothing is a real person or a real company. Numbers are valid by their standard:
居民身份证 numbers (GB 11643) carry a Zhuhai division code, a birth date and a sex digit
consistent with the rest of the row and a correct check character; 统一社会信用代码 (GB 32100)
carry a correct embedded 组织机构代码 check (GB 11714) and a correct check character; mobile
numbers use real mainland prefixes. Road names are public roads of the street or town they are
put in (the same list as the 12345 demo); house numbers, buildings and every name are invented.

``datasets(today)`` builds everything at once (the later sets draw their people and companies
from the earlier ones, so a 社保 or 公积金 row is a person of the 人口 set and a 纳税信用 row a
company of the 法人 set). Each set is a ``Dataset``: its rows and the **deliberate defects** put
in for the quality checks to find — on purpose, documented here and returned with the rows:

* ``population`` (人口基础信息): one ID number with a wrong check character, one row without a
  name, one ID number appearing twice (a duplicated registration), one sex code outside
  GB/T 2261.1 (``"3"``);
* ``legal_person`` (法人基础信息): one 统一社会信用代码 with a wrong check character;
* ``tax_credit`` (企业纳税信用): two taxpayers whose code is not in the 法人 set (a reference
  check finds them) and one grade outside A/B/M/C/D;
* ``air_quality`` (空气质量): one reading without PM2.5 (instrument outage), one negative PM10,
  one AQI above 500.

Everything else is clean, so a check that finds more than these has found a bug.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from stdnum.cn import ric, uscc

SEED = 20260701

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "区欧冼麦岑甘伍容"
)
# Cantonese-region surnames (区 欧 冼 麦 岑 …) appear, as they do in Zhuhai.
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚华志宏建国文海俊浩然宇航远家豪博昊天一鸣嘉俊辉鹏彬锦荣坚永"
GIVEN_FEMALE = "芳娜敏静丽艳娟秀霞桂英玉萍红玲芬燕晓欣怡婷梓涵雨桐佳琪诗梦瑶可馨慧颖嘉雯咏琳"

# Public roads of each street / town (the 12345 demo's place list, plus 唐家湾镇).
PLACES: dict[str, dict[str, tuple[str, ...]]] = {
    "香洲区": {
        "翠香街道": ("凤凰北路", "翠香路", "兴业路", "紫荆路", "康宁路"),
        "梅华街道": ("梅华东路", "梅华西路", "柠溪路", "红山路", "华威路"),
        "前山街道": ("前山路", "明珠南路", "前河北路", "翠珠路", "白石路"),
        "吉大街道": ("景山路", "九洲大道中", "海滨南路", "园林路", "石花东路"),
        "拱北街道": ("迎宾南路", "粤华路", "夏湾路", "昌盛路", "侨光路", "联安路"),
        "香湾街道": ("人民西路", "海虹路", "香华路", "水湾路", "新村路"),
        "狮山街道": ("狮山路", "教育路", "人民东路", "南虹路", "同昌路"),
        "湾仔街道": ("银湾路", "南湾南路", "湾仔路", "洪湾路"),
        "凤山街道": ("港湾大道", "凤山路", "上冲路", "九洲大道西", "东坑路"),
        "南屏镇": ("珠峰大道", "南湾大道", "屏北一路", "广生路", "北山路"),
        "唐家湾镇": ("大学路", "金凤路", "情侣北路", "科技一路", "金鼎中路"),
        "横琴镇": ("环岛东路", "港澳大道", "荣粤道", "天羽道", "濠江路", "环岛北路"),
    },
    "斗门区": {
        "白藤街道": ("白藤一路", "白藤湖路", "湖心路", "白藤六路"),
        "莲洲镇": ("莲江路", "莲溪路"),
        "斗门镇": ("斗门大道",),
        "乾务镇": ("乾务大道", "湖星路"),
        "白蕉镇": ("白蕉路", "白蕉大道", "虾山路"),
        "井岸镇": ("港霞路", "西堤路", "新青路", "中兴中路", "尖峰大道"),
    },
    "金湾区": {
        "三灶镇": ("机场东路", "金海岸大道", "映月路", "海澄路"),
        "南水镇": ("南水大道", "高栏港大道"),
        "红旗镇": ("藤山一路", "虹晖路", "红旗路", "湖滨路"),
        "平沙镇": ("平沙大道", "平沙一路", "升平大道"),
    },
}
DIVISION = {"香洲区": "440402", "斗门区": "440403", "金湾区": "440404"}
# where people live (香洲 is most of the city)
DISTRICT_WEIGHT = {"香洲区": 62, "斗门区": 19, "金湾区": 19}
# 居住证 holders come from elsewhere: division codes of common places of origin
ORIGINS = (
    ("430102", "湖南省长沙市芙蓉区"),
    ("430521", "湖南省邵阳市邵东县"),
    ("431121", "湖南省永州市祁阳县"),
    ("450103", "广西壮族自治区南宁市青秀区"),
    ("452501", "广西壮族自治区玉林市"),
    ("360102", "江西省南昌市东湖区"),
    ("362101", "江西省赣州市"),
    ("420106", "湖北省武汉市武昌区"),
    ("441302", "广东省惠州市惠城区"),
    ("445102", "广东省潮州市湘桥区"),
    ("440883", "广东省湛江市吴川市"),
    ("441423", "广东省梅州市丰顺县"),
    ("510104", "四川省成都市锦江区"),
    ("500101", "重庆市万州区"),
    ("411102", "河南省漯河市源汇区"),
)
ETHNICITIES = (("汉族", 955), ("壮族", 12), ("苗族", 6), ("土家族", 6), ("瑶族", 5), ("回族", 4))
ETHNICITIES += (("满族", 4), ("侗族", 4), ("蒙古族", 2), ("朝鲜族", 2))
MARITAL = ("未婚", "已婚", "丧偶", "离婚")
EDUCATION = ("小学", "初中", "高中", "中等专科", "大学专科", "大学本科", "硕士研究生", "博士研究生")
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]

GB32100 = "0123456789ABCDEFGHJKLMNPQRTUWXY"
BRAND = "华海恒信达通瑞丰泰和嘉鸿宏盛德润博远星辰澳珠湾港琴鑫源创智汇联科新锐航宇力金南粤凯捷"
TRADES = (
    ("科技", "I", "软件开发；信息技术咨询服务；人工智能应用软件开发"),
    ("电子", "C", "电子元器件制造；电子产品销售"),
    ("贸易", "F", "货物进出口；技术进出口；日用百货销售"),
    ("物流", "G", "普通货物仓储服务；国内货物运输代理；国际货物运输代理"),
    ("餐饮管理", "H", "餐饮服务；食品销售；餐饮管理"),
    ("建筑工程", "E", "建设工程施工；建筑装饰工程；市政设施管理"),
    ("文化传播", "R", "组织文化艺术交流活动；广告设计、代理；会议及展览服务"),
    ("医疗器械", "C", "第二类医疗器械生产；第二类医疗器械销售"),
    ("游艇制造", "C", "船舶制造；游艇销售；船舶修理"),
    ("生物医药", "C", "药品生产；生物基材料技术研发；医学研究和试验发展"),
    ("新能源", "D", "太阳能发电技术服务；储能技术服务；充电桩销售"),
    ("酒店管理", "H", "住宿服务；酒店管理；停车场服务"),
    ("跨境电子商务", "F", "互联网销售；货物进出口；供应链管理服务"),
    ("物业服务", "K", "物业管理；停车场服务；家政服务"),
)
COMPANY_FORMS = (
    ("有限公司", "有限责任公司（自然人投资或控股）", 70),
    ("有限公司", "有限责任公司（法人独资）", 8),
    ("股份有限公司", "股份有限公司（非上市、自然人投资或控股）", 5),
    ("有限公司", "有限责任公司（港澳台投资、非独资）", 7),
    ("有限公司", "有限责任公司（台港澳法人独资）", 4),
)
COMPANY_STATUS = (("存续（在营、开业、在册）", 88), ("注销", 7), ("吊销，未注销", 3), ("迁出", 2))
REGISTRARS = {
    "香洲区": "珠海市香洲区市场监督管理局",
    "斗门区": "珠海市斗门区市场监督管理局",
    "金湾区": "珠海市金湾区市场监督管理局",
    "横琴": "横琴粤澳深度合作区商事服务局",
    "市": "珠海市市场监督管理局",
}
TAX_BUREAUS = {
    "香洲区": "国家税务总局珠海市香洲区税务局",
    "斗门区": "国家税务总局珠海市斗门区税务局",
    "金湾区": "国家税务总局珠海市金湾区税务局",
    "横琴": "国家税务总局珠海市横琴新区税务局",
}
HOSPITALS = (
    # (name, kind, level, district, street, beds, public?)
    ("珠海市人民医院", "综合医院", "三级甲等", "香洲区", "梅华街道", 1800, True),
    ("中山大学附属第五医院", "综合医院", "三级甲等", "香洲区", "唐家湾镇", 2000, True),
    ("珠海市妇幼保健院", "妇幼保健院", "三级甲等", "香洲区", "香湾街道", 600, True),
    ("珠海市中西医结合医院", "中西医结合医院", "三级甲等", "香洲区", "梅华街道", 800, True),
    ("广东省中医院珠海医院", "中医医院", "三级甲等", "香洲区", "吉大街道", 600, True),
    ("珠海市慢性病防治中心", "专科疾病防治院", "二级", "香洲区", "拱北街道", 300, True),
    ("珠海市第五人民医院", "综合医院", "二级甲等", "斗门区", "井岸镇", 500, True),
    ("珠海市斗门区侨立中医院", "中医医院", "二级甲等", "斗门区", "井岸镇", 400, True),
    ("珠海市金湾区人民医院", "综合医院", "二级甲等", "金湾区", "三灶镇", 500, True),
    ("珠海市平沙医院", "综合医院", "二级", "金湾区", "平沙镇", 300, True),
)
STATIONS = (
    # 空气质量监测站 (illustrative names of the city's monitoring sites)
    ("ZH01", "吉大", "香洲区", 113.571, 22.252),
    ("ZH02", "前山", "香洲区", 113.526, 22.266),
    ("ZH03", "唐家", "香洲区", 113.588, 22.358),
    ("ZH04", "斗门", "斗门区", 113.296, 22.209),
    ("ZH05", "金湾", "金湾区", 113.371, 22.071),
    ("ZH06", "横琴", "香洲区", 113.523, 22.127),
)
BUS_TERMINALS = (
    "拱北口岸总站", "香洲总站", "吉大总站", "上冲总站", "前山总站", "南屏总站", "唐家市场",
    "北理工", "横琴口岸", "长隆海洋王国", "九洲港", "新香洲总站", "港珠澳大桥珠海口岸",
    "井岸总站", "斗门总站", "白藤湖", "白蕉总站", "三灶总站", "金湾机场", "平沙总站",
    "红旗总站", "南水总站", "高新区总站", "金鼎总站", "夏湾总站", "湾仔总站", "珠海站",
)  # fmt: skip
BUS_OPERATORS = ("珠海市公共交通运输集团有限公司", "珠海市公共交通运输集团有限公司斗门分公司")
PARKING_KINDS = ("公共停车场", "配建停车场", "路内停车泊位", "立体停车库")
PARKING_PLACES = ("商业广场", "市场", "公园", "体育中心", "医院", "客运站", "花园", "文化中心")


@dataclass
class Dataset:
    """Rows of one catalogue entry's store and the defects put in on purpose:
    ``defects`` is ``[(row index, item code, what is wrong)]``."""

    key: str
    rows: list[dict]
    defects: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def defect_rows(self) -> set[int]:
        return {index for index, _code, _what in self.defects}

    @property
    def clean_rows(self) -> list[dict]:
        """The rows without a deliberate defect (what other sets draw from)."""
        bad = self.defect_rows
        return [row for index, row in enumerate(self.rows) if index not in bad]


# ---------------------------------------------------------------------------------- numbers


def resident_id(rng: random.Random, division: str, born: date, *, male: bool) -> str:
    """公民身份号码: division, birth date, a sequence whose last digit is odd for men, check."""
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{division}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def organisation_code(rng: random.Random) -> str:
    """组织机构代码 (GB 11714): eight characters and the MOD 11 check character."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(w * int(c, 36) for w, c in zip(weights, body, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, *, kind: str = "91", division: str = "440400") -> str:
    """统一社会信用代码: 登记管理部门 + 机构类别 (``91`` 工商企业, ``92`` 个体工商户, ``12``
    事业单位, ``51`` 社会团体 …), the registering division, the organisation code, check."""
    body = f"{kind}{division}{organisation_code(rng)}"
    if "X" in body[8:]:  # GB 32100 has no X in the body: re-draw (X is GB 11714's 10)
        return credit_code(rng, kind=kind, division=division)
    return body + uscc.calc_check_digit(body)


def wrong_check(code: str, alphabet: str = "0123456789X") -> str:
    """``code`` with a different last character from ``alphabet`` — a typo the check
    catches (the default is GB 11643's; pass ``GB32100`` for a credit code)."""
    return code[:-1] + next(c for c in alphabet if c != code[-1])


def mobile(rng: random.Random) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    return f"0756-{rng.randrange(2, 9)}{rng.randrange(10**6):06d}"


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _place(rng: random.Random, district: str | None = None) -> tuple[str, str, str]:
    district = district or _weighted(rng, DISTRICT_WEIGHT.items())
    street = rng.choice(sorted(PLACES[district]))
    return district, street, rng.choice(PLACES[district][street])


def _address(rng: random.Random, district: str, street: str, road: str, *, flat=True) -> str:
    base = f"广东省珠海市{district}{street}{road}{rng.randrange(1, 400)}号"
    if flat:
        base += f"{rng.randrange(1, 30)}栋{rng.randrange(1, 33)}{rng.randrange(1, 9):02d}房"
    return base


def _name(rng: random.Random, *, male: bool) -> str:
    given = GIVEN_MALE if male else GIVEN_FEMALE
    size = 1 if rng.random() < 0.3 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(size))


def _years_before(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _born(rng: random.Random, today: date, *, min_age: int, max_age: int) -> date:
    start = _years_before(today, max_age + 1) + timedelta(days=1)
    end = _years_before(today, min_age)
    return start + timedelta(days=rng.randrange((end - start).days))


def _date(d: date) -> str:
    return d.isoformat()


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# ---------------------------------------------------------------------------------- people


def _person(rng: random.Random, today: date, *, min_age=0, max_age=95, division=None):
    male = rng.random() < 0.51
    district, street, road = _place(rng)
    born = _born(rng, today, min_age=min_age, max_age=max_age)
    return {
        "male": male,
        "born": born,
        "district": district,
        "street": street,
        "road": road,
        "division": division or DIVISION[district],
        "name": _name(rng, male=male),
    }


def population(n: int = 2000, *, seed: int = SEED, today: date) -> Dataset:
    """人口基础信息 (户籍人口, 市公安局): ``n`` people, four of them defective (see module)."""
    rng = random.Random(seed)
    rows: list[dict] = []
    seen: set[str] = set()
    households: list[tuple[str, str, str, str]] = []  # (number, address, district, street)
    while len(rows) < n:
        p = _person(rng, today)
        number = resident_id(rng, p["division"], p["born"], male=p["male"])
        if number in seen:
            continue
        seen.add(number)
        age = age_on(p["born"], today)
        if households and rng.random() < 0.45:
            household_no, address, district, street = rng.choice(households[-40:])
            relation = "子女" if age < 30 else rng.choice(("配偶", "父母", "其他亲属"))
        else:
            district, street = p["district"], p["street"]
            household_no = f"{p['division']}{rng.randrange(10**6):06d}"
            address = _address(rng, district, street, p["road"])
            households.append((household_no, address, district, street))
            relation = "户主"
        if age < 20:
            marital = "未婚"
        else:
            marital = _weighted(rng, zip(MARITAL, (25 if age < 30 else 8, 80, 4, 8), strict=True))
        rows.append(
            {
                "id_number": number,
                "name": p["name"],
                "sex": "1" if p["male"] else "2",
                "birth_date": _date(p["born"]),
                "ethnicity": _weighted(rng, ETHNICITIES),
                "native_place": "广东省珠海市" if rng.random() < 0.55 else rng.choice(ORIGINS)[1],
                "household_no": household_no,
                "relation": relation,
                "household_address": address,
                "district": district,
                "street": street,
                "marital_status": marital,
                "education": rng.choice(EDUCATION[:2]) if age < 16 else rng.choice(EDUCATION),
                "phone": mobile(rng) if age >= 12 else "",
            }
        )
    defects = []
    at = [n // 7, n // 3, n // 2, (4 * n) // 5]
    rows[at[0]]["id_number"] = wrong_check(rows[at[0]]["id_number"])
    defects.append((at[0], "id_number", "公民身份号码校验位错误"))
    rows[at[1]]["name"] = ""
    defects.append((at[1], "name", "姓名为空"))
    rows[at[2]]["id_number"] = rows[at[2] - 1]["id_number"]
    defects.append((at[2], "id_number", "公民身份号码与上一条记录重复"))
    rows[at[3]]["sex"] = "3"
    defects.append((at[3], "sex", "性别代码不在 GB/T 2261.1 值域内"))
    return Dataset("population", rows, defects)


def residence_permits(n: int = 600, *, seed: int = SEED + 1, today: date) -> Dataset:
    """居住证信息 (市公安局): people from elsewhere living in Zhuhai."""
    rng = random.Random(seed)
    rows, seen = [], set()
    while len(rows) < n:
        division, origin = rng.choice(ORIGINS)
        p = _person(rng, today, min_age=16, max_age=60, division=division)
        number = resident_id(rng, division, p["born"], male=p["male"])
        if number in seen:
            continue
        seen.add(number)
        issued = today - timedelta(days=rng.randrange(10, 5 * 365))
        valid_until = issued + timedelta(days=365)
        while valid_until < today - timedelta(days=30):
            valid_until += timedelta(days=365)  # signed again every year
        rows.append(
            {
                "id_number": number,
                "name": p["name"],
                "sex": "1" if p["male"] else "2",
                "birth_date": _date(p["born"]),
                "origin_address": origin,
                "residence_address": _address(rng, p["district"], p["street"], p["road"]),
                "district": p["district"],
                "street": p["street"],
                "issued_on": _date(issued),
                "valid_until": _date(valid_until),
                "employer": _company_name(rng),
                "phone": mobile(rng),
                "issuing_authority": f"珠海市公安局{p['district']}分局",
            }
        )
    return Dataset("residence_permits", rows)


# ---------------------------------------------------------------------------------- companies


def _company_name(rng: random.Random) -> str:
    brand = rng.choice(BRAND) + rng.choice(BRAND)
    trade = rng.choice(TRADES)[0]
    return f"珠海{brand}{trade}有限公司"


def legal_persons(n: int = 1000, *, seed: int = SEED + 2, today: date, people=None) -> Dataset:
    """法人基础信息 (市市场监督管理局): enterprises; the legal representatives are people of
    ``people`` (the 人口 rows) when given. One code has a wrong check character."""
    rng = random.Random(seed)
    adults = _adults(people or [], today, min_age=22, max_age=70)
    rows, names, codes = [], set(), set()
    while len(rows) < n:
        brand = rng.choice(BRAND) + rng.choice(BRAND)
        trade, section, scope = rng.choice(TRADES)
        suffix, form, _w = _weighted(rng, [((s, f, w), w) for s, f, w in COMPANY_FORMS])
        in_hengqin = rng.random() < 0.12
        name = f"{'横琴' if in_hengqin else '珠海'}{brand}{trade}{suffix}"
        if name in names:
            name = f"珠海市{brand}{trade}{suffix}"
            if name in names:
                continue
        code = credit_code(rng)
        if code in codes:
            continue
        names.add(name)
        codes.add(code)
        if in_hengqin:
            district, street, road = "香洲区", "横琴镇", rng.choice(PLACES["香洲区"]["横琴镇"])
            registrar = REGISTRARS["横琴"]
        else:
            district, street, road = _place(rng)
            registrar = REGISTRARS[district] if rng.random() < 0.7 else REGISTRARS["市"]
        if adults:
            rep = rng.choice(adults)
            rep_name, rep_id = rep["name"], rep["id_number"]
        else:
            male = rng.random() < 0.6
            born = _born(rng, today, min_age=25, max_age=65)
            rep_name = _name(rng, male=male)
            rep_id = resident_id(rng, DIVISION[district], born, male=male)
        established = today - timedelta(days=rng.randrange(30, 30 * 365))
        status = _weighted(rng, COMPANY_STATUS)
        rows.append(
            {
                "uscc": code,
                "name": name,
                "company_type": form,
                "legal_representative": rep_name,
                "legal_representative_id": rep_id,
                "registered_capital": rng.choice((10, 50, 100, 200, 300, 500, 1000, 2000, 5000)),
                "currency": "人民币",
                "established_on": _date(established),
                "business_term_until": "长期",
                "registered_address": _address(rng, district, street, road, flat=False)
                + f"{rng.randrange(1, 30)}层{rng.randrange(1, 20):02d}室",
                "district": district,
                "industry": section,
                "business_scope": f"一般项目：{scope}。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
                "registration_authority": registrar,
                "status": status,
            }
        )
    bad = n // 4
    rows[bad]["uscc"] = wrong_check(rows[bad]["uscc"], GB32100)
    return Dataset("legal_person", rows, [(bad, "uscc", "统一社会信用代码校验位错误")])


def tax_credit(n: int = 500, *, seed: int = SEED + 3, today: date, companies) -> Dataset:
    """企业纳税信用 (国家税务总局珠海市税务局): last year's grades of companies of the 法人 set;
    two codes are not in that set and one grade is outside A/B/M/C/D."""
    rng = random.Random(seed)
    pool = [c for c in companies if c["status"].startswith("存续")]
    rng.shuffle(pool)
    year = today.year - 1
    rows = []
    for company in pool[:n]:
        grade = _weighted(rng, (("A", 22), ("B", 48), ("M", 20), ("C", 7), ("D", 3)))
        score = {"A": (90, 100), "B": (70, 90), "M": (70, 80), "C": (40, 70), "D": (0, 40)}[grade]
        zone = "横琴" if company["registration_authority"].startswith("横琴") else None
        rows.append(
            {
                "uscc": company["uscc"],
                "taxpayer_name": company["name"],
                "year": str(year),
                "credit_grade": grade,
                "score": round(rng.uniform(*score), 1) if grade != "D" else 0.0,
                "tax_authority": TAX_BUREAUS[zone or company["district"]],
                "evaluated_on": _date(date(today.year, 4, rng.randrange(1, 28))),
            }
        )
    defects = []
    for at in (n // 5, n // 2):
        rows[at]["uscc"] = credit_code(rng)  # valid, but not a company of the 法人 set
        defects.append((at, "uscc", "纳税人识别号在法人基础信息中不存在"))
    rows[(3 * n) // 4]["credit_grade"] = "E"
    defects.append(((3 * n) // 4, "credit_grade", "纳税信用级别不在 A/B/M/C/D 内"))
    return Dataset("tax_credit", rows, defects)


# ---------------------------------------------------------------------------------- people's records


def _adults(people, today: date, *, min_age=18, max_age=65):
    out = []
    for p in people:
        if not p["name"] or p["sex"] not in ("1", "2"):
            continue
        age = age_on(date.fromisoformat(p["birth_date"]), today)
        if min_age <= age <= max_age:
            out.append(p)
    return out


def social_insurance(n=800, *, seed=SEED + 4, today: date, people, companies) -> Dataset:
    """社会保险参保信息 (市社会保险基金管理中心): working-age people of the 人口 set."""
    rng = random.Random(seed)
    workers = _adults(people, today, min_age=18, max_age=64)
    rng.shuffle(workers)
    employers = [c for c in companies if c["status"].startswith("存续")]
    rows, seen = [], set()
    for p in workers:
        if len(rows) >= n:
            break
        if p["id_number"] in seen:
            continue
        seen.add(p["id_number"])
        flexible = rng.random() < 0.12
        employer = None if flexible else rng.choice(employers)
        start = max(
            date.fromisoformat(p["birth_date"]).replace(day=1) + timedelta(days=18 * 366),
            today - timedelta(days=rng.randrange(60, 25 * 365)),
        )
        status = _weighted(rng, (("参保缴费", 86), ("暂停缴费", 10), ("终止参保", 4)))
        paid = today.replace(day=1) - timedelta(days=1 if status == "参保缴费" else 200)
        rows.append(
            {
                "id_number": p["id_number"],
                "name": p["name"],
                "social_security_no": p["id_number"],
                "insured_type": "灵活就业人员" if flexible else "企业职工",
                "employer_name": "" if flexible else employer["name"],
                "employer_uscc": "" if flexible else employer["uscc"],
                "schemes": "企业职工基本养老保险" if flexible else "养老、失业、工伤",
                "insured_since": _date(start.replace(day=1)),
                "contribution_base": rng.choice((2300, 3000, 4200, 5500, 6800, 8000, 12000, 18000)),
                "status": status,
                "last_paid_month": f"{paid:%Y-%m}",
                "agency": "珠海市社会保险基金管理中心",
            }
        )
    return Dataset("social_insurance", rows)


def housing_fund(n=600, *, seed=SEED + 5, today: date, people, companies) -> Dataset:
    """住房公积金缴存信息 (市住房公积金管理中心)."""
    rng = random.Random(seed)
    workers = _adults(people, today, min_age=20, max_age=60)
    rng.shuffle(workers)
    employers = [c for c in companies if c["status"].startswith("存续")]
    rows, seen = [], set()
    for p in workers:
        if len(rows) >= n:
            break
        if p["id_number"] in seen:
            continue
        seen.add(p["id_number"])
        employer = rng.choice(employers)
        base = rng.choice((2300, 3500, 5000, 6500, 8000, 10000, 15000, 22000))
        rate = rng.choice((5, 6, 8, 10, 12))
        opened = today - timedelta(days=rng.randrange(90, 15 * 365))
        months = max(1, (today - opened).days // 30)
        status = _weighted(rng, (("正常", 88), ("封存", 10), ("销户", 2)))
        rows.append(
            {
                "id_number": p["id_number"],
                "name": p["name"],
                "account_no": f"{rng.randrange(10**11, 10**12)}",
                "employer_name": employer["name"],
                "employer_uscc": employer["uscc"],
                "deposit_base": base,
                "deposit_rate": rate,
                "monthly_deposit": round(base * rate / 100 * 2, 2),
                "balance": round(base * rate / 100 * 2 * months * rng.uniform(0.2, 0.9), 2),
                "opened_on": _date(opened),
                "status": status,
                "last_paid_month": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}",
            }
        )
    return Dataset("housing_fund", rows)


def real_estate(n=500, *, seed=SEED + 6, today: date, people) -> Dataset:
    """不动产登记信息 (市不动产登记中心): 国有建设用地使用权/房屋所有权."""
    rng = random.Random(seed)
    owners = _adults(people, today, min_age=22, max_age=90)
    rows, seen = [], set()
    while len(rows) < n:
        owner = rng.choice(owners)
        district, street, road = _place(rng)
        registered = today - timedelta(days=rng.randrange(5, 12 * 365))
        serial = rng.randrange(1, 200000)
        cert = f"粤（{registered.year}）珠海市不动产权第{serial:07d}号"
        if cert in seen:
            continue
        seen.add(cert)
        use = _weighted(rng, (("住宅", 82), ("商业", 8), ("办公", 6), ("车位", 4)))
        area = {"住宅": (45, 180), "商业": (20, 300), "办公": (40, 400), "车位": (12, 20)}[use]
        parcel = f"{rng.randrange(1, 20):03d}{rng.randrange(1, 30):03d}"
        rows.append(
            {
                "certificate_no": cert,
                "unit_no": f"{DIVISION[district]}{parcel}GB{rng.randrange(1, 99999):05d}"
                f"F{rng.randrange(1, 9999):04d}{rng.randrange(1, 9999):04d}",
                "owner_name": owner["name"],
                "owner_id_number": owner["id_number"],
                "co_ownership": _weighted(
                    rng, (("单独所有", 55), ("共同共有", 40), ("按份共有", 5))
                ),
                "location": _address(rng, district, street, road),
                "district": district,
                "right_type": "国有建设用地使用权/房屋（构筑物）所有权",
                "usage": use,
                "building_area": round(rng.uniform(*area), 2),
                "land_use_until": _date(date(registered.year + rng.choice((40, 50, 70)), 12, 31)),
                "registered_on": _date(registered),
                "mortgaged": "是" if use != "车位" and rng.random() < 0.45 else "否",
            }
        )
    return Dataset("real_estate", rows)


def births(n=300, *, seed=SEED + 7, today: date, people) -> Dataset:
    """出生医学证明 (市卫生健康局): babies born in the last two years in the city's hospitals;
    mothers and fathers from the 人口 set."""
    rng = random.Random(seed)
    mothers = [p for p in _adults(people, today, min_age=21, max_age=42) if p["sex"] == "2"]
    fathers = [p for p in _adults(people, today, min_age=22, max_age=50) if p["sex"] == "1"]
    maternity = [h for h in HOSPITALS if h[1] in ("综合医院", "妇幼保健院", "中西医结合医院")]
    rows, numbers = [], set()
    while len(rows) < n:
        number = f"R44{rng.randrange(10**7):07d}"  # 出生医学证明编号: edition letter + 9 digits
        if number in numbers:
            continue
        numbers.add(number)
        male = rng.random() < 0.52
        born = today - timedelta(days=rng.randrange(1, 730))
        at = time(rng.randrange(24), rng.randrange(60))
        mother, father = rng.choice(mothers), rng.choice(fathers)
        hospital = rng.choice(maternity)
        rows.append(
            {
                "certificate_no": number,
                "baby_name": father["name"][0] + _name(rng, male=male)[1:],
                "sex": "1" if male else "2",
                "born_at": datetime.combine(born, at).isoformat(timespec="minutes"),
                "gestational_weeks": rng.choice((37, 38, 39, 39, 40, 40, 41)),
                "weight_g": rng.randrange(2600, 4200, 10),
                "birthplace": hospital[0],
                "mother_name": mother["name"],
                "mother_id_number": mother["id_number"],
                "father_name": father["name"],
                "father_id_number": father["id_number"],
                "issued_by": hospital[0],
                "issued_on": _date(born + timedelta(days=rng.randrange(1, 5))),
            }
        )
    return Dataset("births", rows)


# ---------------------------------------------------------------------------------- public data


def medical_institutions(n=250, *, seed=SEED + 8, today: date) -> Dataset:
    """医疗机构执业登记 (市卫生健康局): the hospitals above, then community health centres,
    clinics and outpatient departments."""
    rng = random.Random(seed)
    rows = []
    for name, kind, level, district, street, beds, _public in HOSPITALS:
        road = rng.choice(PLACES[district][street])
        rows.append(_institution(rng, today, name, kind, level, district, street, road, beds, "12"))
    streets = [(d, s) for d, by in PLACES.items() for s in by]
    k = 0
    while len(rows) < n:
        k += 1
        district, street = rng.choice(streets)
        road = rng.choice(PLACES[district][street])
        roll = rng.random()
        if roll < 0.2:
            name = f"珠海市{district}{street}{road}社区卫生服务站"
            kind, level, beds, reg = "社区卫生服务站", "未定级", 0, "12"
        elif roll < 0.55:
            surname = rng.choice(SURNAMES)
            name = (
                f"珠海{surname}{rng.choice(('氏', ''))}{rng.choice(('口腔', '中医', '全科'))}诊所"
            )
            name += f"（{road}店）" if k % 3 else ""
            kind, level, beds, reg = "诊所", "未定级", 0, "92"
        elif roll < 0.85:
            brand = rng.choice(BRAND) + rng.choice(BRAND)
            spec = rng.choice(("口腔", "中医", "综合", "眼科", "医疗美容", "康复医学"))
            name = f"珠海{brand}{spec}门诊部"
            kind, level, beds, reg = "门诊部", "未定级", 0, "91"
        else:
            brand = rng.choice(BRAND) + rng.choice(BRAND)
            spec = rng.choice(("妇产", "骨科", "康复", "眼科", "肿瘤"))
            name = f"珠海{brand}{spec}医院"
            kind, level, beds, reg = "专科医院", "一级", rng.randrange(20, 120), "91"
        rows.append(_institution(rng, today, name, kind, level, district, street, road, beds, reg))
    # names must be unique: suffix a branch number where two clinics collide
    seen: dict[str, int] = {}
    for row in rows:
        count = seen.get(row["name"], 0)
        seen[row["name"]] = count + 1
        if count:
            row["name"] = f"{row['name']}（{count + 1}）"
    return Dataset("medical_institutions", rows)


def _institution(rng, today, name, kind, level, district, street, road, beds, reg) -> dict:
    return {
        "uscc": credit_code(rng, kind=reg, division=DIVISION[district]),
        "name": name,
        "category": kind,
        "level": level,
        "ownership": "公立" if reg == "12" else "民营",
        "address": _address(rng, district, street, road, flat=False),
        "district": district,
        "street": street,
        "beds": beds,
        "departments": rng.choice(("内科;外科;妇产科;儿科", "口腔科", "中医科", "全科医疗科")),
        "phone": landline(rng),
        "licence_valid_until": _date(today + timedelta(days=rng.randrange(60, 5 * 365))),
    }


def bus_lines(n=150, *, seed=SEED + 9, today: date) -> Dataset:
    """公交线路 (市交通运输局)."""
    rng = random.Random(seed)
    numbers: list[str] = []
    for i in range(1, 100):
        numbers.append(f"{i}路")
    numbers += [f"{i}路" for i in range(201, 230)] + [f"{i}路" for i in range(601, 615)]
    numbers += [f"K{i}路" for i in range(1, 10)] + ["Z1路", "Z2路", "Z3路", "城轨接驳1路"]
    rows = []
    for number in numbers[:n]:
        start, end = rng.sample(BUS_TERMINALS, 2)
        first = time(rng.choice((5, 6, 6, 6, 7)), rng.choice((0, 15, 30, 40)))
        last = time(rng.choice((20, 21, 22, 22, 23)), rng.choice((0, 15, 30)))
        length = round(rng.uniform(6, 48), 1)
        rows.append(
            {
                "line_no": number,
                "start_stop": start,
                "end_stop": end,
                "stops": max(8, int(length * rng.uniform(1.1, 1.8))),
                "length_km": length,
                "first_bus": first.strftime("%H:%M"),
                "last_bus": last.strftime("%H:%M"),
                "interval_min": rng.choice((8, 10, 12, 15, 20, 30)),
                "fare": "2元" if length < 20 else "2-5元（分段计价）",
                "operator": BUS_OPERATORS[1] if "井岸" in start + end else BUS_OPERATORS[0],
                "updated_on": _date(today - timedelta(days=rng.randrange(1, 90))),
            }
        )
    return Dataset("bus_lines", rows)


def _aqi_iaqi(pm25: float) -> int:
    """HJ 633-2012 sub-index of PM2.5 (24-hour breakpoints), the usual primary pollutant."""
    points = ((0, 0), (35, 50), (75, 100), (115, 150), (150, 200), (250, 300), (350, 400))
    points += ((500, 500),)
    for (c0, i0), (c1, i1) in zip(points, points[1:], strict=False):
        if pm25 <= c1:
            return round(i0 + (i1 - i0) * (pm25 - c0) / (c1 - c0))
    return 500


def air_quality(days=7, *, seed=SEED + 10, today: date) -> Dataset:
    """空气质量实时监测 (市生态环境局): hourly readings of each station over ``days`` days
    ending yesterday; three defective readings (see module)."""
    rng = random.Random(seed)
    rows = []
    start = datetime.combine(today - timedelta(days=days), time(0))
    for hour in range(days * 24):
        at = start + timedelta(hours=hour)
        daily = 0.7 + 0.3 * abs(12 - at.hour) / 12  # cleaner in the afternoon sea breeze
        base = rng.uniform(10, 35)
        for code, name, district, lon, lat in STATIONS:
            pm25 = max(2.0, round(base * daily * rng.uniform(0.7, 1.3), 1))
            pm10 = round(pm25 * rng.uniform(1.4, 1.9), 1)
            o3 = round(rng.uniform(20, 160) * (1.4 - daily), 1)
            rows.append(
                {
                    "reading_id": f"{code}-{at:%Y%m%d%H}",
                    "station_code": code,
                    "station_name": name,
                    "district": district,
                    "longitude": lon,
                    "latitude": lat,
                    "observed_at": at.isoformat(timespec="minutes"),
                    "pm25": pm25,
                    "pm10": pm10,
                    "o3": o3,
                    "no2": round(rng.uniform(5, 45), 1),
                    "so2": round(rng.uniform(2, 9), 1),
                    "co": round(rng.uniform(0.3, 0.9), 2),
                    "aqi": max(_aqi_iaqi(pm25), 10),
                    "primary_pollutant": "PM2.5" if _aqi_iaqi(pm25) > 50 else "",
                }
            )
    n = len(rows)
    defects = []
    rows[n // 6]["pm25"] = None
    defects.append((n // 6, "pm25", "PM2.5 缺测（仪器故障）"))
    rows[n // 2]["pm10"] = -12.0
    defects.append((n // 2, "pm10", "PM10 为负值"))
    rows[(5 * n) // 6]["aqi"] = 612
    defects.append(((5 * n) // 6, "aqi", "AQI 超出 0–500"))
    return Dataset("air_quality", rows, defects)


def parking(n=300, *, seed=SEED + 11, today: date) -> Dataset:
    """公共停车场 (市交通运输局)."""
    rng = random.Random(seed)
    rows = []
    seen = set()
    while len(rows) < n:
        district, street, road = _place(rng)
        kind = _weighted(rng, zip(PARKING_KINDS, (45, 35, 15, 5), strict=True))
        place = rng.choice(PARKING_PLACES)
        name = (
            f"{road}路内停车泊位（{rng.randrange(1, 9)}段）"
            if kind == "路内停车泊位"
            else f"{street.removesuffix('街道').removesuffix('镇')}{road}{place}停车场"
        )
        if name in seen:
            continue
        seen.add(name)
        spaces = rng.randrange(20, 60) if kind == "路内停车泊位" else rng.randrange(60, 1500)
        rows.append(
            {
                "parking_id": f"P{DIVISION[district]}{len(rows) + 1:04d}",
                "name": name,
                "category": kind,
                "address": _address(rng, district, street, road, flat=False),
                "district": district,
                "longitude": round(rng.uniform(113.25, 113.60), 6),
                "latitude": round(rng.uniform(22.05, 22.38), 6),
                "spaces": spaces,
                "charging_spaces": int(spaces * rng.choice((0, 0.05, 0.1, 0.2))),
                "opening_hours": "00:00-24:00" if rng.random() < 0.7 else "07:00-23:00",
                "fee": rng.choice(("首小时5元，之后每小时3元", "每小时2元", "每次10元", "免费")),
                "operator": f"珠海{rng.choice(BRAND)}{rng.choice(BRAND)}物业服务有限公司",
                "updated_on": _date(today - timedelta(days=rng.randrange(1, 60))),
            }
        )
    return Dataset("parking", rows)


def schools(*, seed=SEED + 12, today: date) -> Dataset:
    """中小学校名录 (市教育局): numbered public schools per district, the towns' central
    schools, and a few private schools."""
    rng = random.Random(seed)
    rows = []

    def add(name, stage, district, street, public=True):
        road = rng.choice(PLACES[district][street])
        students = rng.randrange(600, 3200) if stage != "高中" else rng.randrange(1200, 3600)
        rows.append(
            {
                "school_code": f"{DIVISION[district]}{len(rows) + 1:04d}",
                "name": name,
                "stage": stage,
                "ownership": "公办" if public else "民办",
                "district": district,
                "street": street,
                "address": _address(rng, district, street, road, flat=False),
                "phone": landline(rng),
                "classes": max(12, students // 45),
                "students": students,
                "boarding": "是" if stage == "高中" or rng.random() < 0.1 else "否",
                "updated_on": _date(
                    date(today.year, 9, 1) if today.month >= 9 else date(today.year - 1, 9, 1)
                ),
            }
        )

    xz = [s for s in PLACES["香洲区"] if s != "横琴镇"]
    for i in range(1, 41):
        add(f"珠海市香洲区第{_cn(i)}小学", "小学", "香洲区", rng.choice(xz))
    for i in range(1, 16):
        add(
            f"珠海市第{_cn(i)}中学",
            rng.choice(("初中", "完全中学", "高中")),
            "香洲区",
            rng.choice(xz),
        )
    for district in ("斗门区", "金湾区"):
        for street in PLACES[district]:
            town = street.removesuffix("街道")
            add(f"珠海市{district}{town}中心小学", "小学", district, street)
            add(f"珠海市{district}{town}第二小学", "小学", district, street)
            add(f"珠海市{district}{town}中学", "初中", district, street)
    add("珠海市斗门区第一中学", "高中", "斗门区", "井岸镇")
    add("珠海市金湾区第一中学", "高中", "金湾区", "三灶镇")
    add("珠海市横琴第一小学", "小学", "香洲区", "横琴镇")
    add("珠海市横琴中学", "九年一贯制", "香洲区", "横琴镇")
    for _ in range(20):
        brand = rng.choice(BRAND) + rng.choice(BRAND)
        district, street, _road = _place(rng)
        add(
            f"珠海市{brand}{rng.choice(('实验学校', '外国语学校', '学校'))}",
            "九年一贯制",
            district,
            street,
            public=False,
        )
    seen: set[str] = set()
    unique = []
    for row in rows:
        if row["name"] not in seen:
            seen.add(row["name"])
            unique.append(row)
    return Dataset("schools", unique)


_DIGITS = "零一二三四五六七八九"


def _cn(i: int) -> str:
    """1..99 in Chinese numerals (第十一小学)."""
    if i < 10:
        return _DIGITS[i]
    tens, ones = divmod(i, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + ("" if ones == 0 else _DIGITS[ones])


# ---------------------------------------------------------------------------------- all sets


@cache
def _datasets(today: date) -> dict[str, Dataset]:
    people = population(today=today)
    companies = legal_persons(today=today, people=people.clean_rows)
    persons, firms = people.clean_rows, companies.clean_rows
    sets = [
        people,
        residence_permits(today=today),
        companies,
        tax_credit(today=today, companies=firms),
        social_insurance(today=today, people=persons, companies=firms),
        housing_fund(today=today, people=persons, companies=firms),
        real_estate(today=today, people=persons),
        births(today=today, people=persons),
        medical_institutions(today=today),
        bus_lines(today=today),
        air_quality(today=today),
        parking(today=today),
        schools(today=today),
    ]
    return {s.key: s for s in sets}


def datasets(today: date) -> dict[str, Dataset]:
    """Every demo dataset by key, as of ``today`` (deterministic; cached per day)."""
    return _datasets(today)
