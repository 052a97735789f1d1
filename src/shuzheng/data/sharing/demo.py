"""Demo 数据要素 I — sharing requests at different steps, through the sharing use cases:

* 卫健局 ← 市场监管局 法人基础信息 (无条件共享): compliance check passed → granted;
* 卫健局 ← 生态环境局 空气质量实时监测数据 (无条件共享): granted;
* 税务局 ← 市场监管局 法人基础信息 (无条件共享): granted (the 税务局's quality check of its
  纳税信用 data against 法人基础信息 relies on it);
* 市场监管局 ← 税务局 企业纳税信用等级信息 (有条件共享): checked, approved by the provider → granted;
* 卫健局 ← 医保局 医疗保障参保信息 (有条件共享): checked, awaiting the provider's decision;
* 市场监管局 ← 卫健局 死亡医学证明信息 (有条件共享): rejected by the provider with a reason;
* 卫健局 ← 教育局 中小学校名录 (无条件共享): submitted, awaiting the compliance check.

Not the 卫健局 → 公安局 人口基础信息 request: that is the issue's done-when journey, made by
hand in the browser (or by the end-to-end test) on this starting state.

The grants began a week before the demo was loaded, so that the exchange demo's week
of gateway traffic falls inside them: while these requests are filed the period check reads
"today" as that day (``_as_of``); every record written (audit trail, workflow history,
deadlines) keeps the real time. Idempotent: nothing is filed when a request exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

from django.db import transaction
from django.utils import timezone

from shuzheng.foundation.identity.models import User

# days before loading when the granted requests' periods (and the gateway traffic) start
HISTORY_DAYS = 8
PHONES = {"wjdata": "0756-2135201", "scjgdata": "0756-2518230"}

# (requester, entry key, fields, purpose, legal basis, scenario, how far: [(actor, action, text)])
REQUESTS = [
    (
        "wjdata",
        "legal_person",
        [
            "uscc",
            "name",
            "company_type",
            "legal_representative",
            "registered_capital",
            "established_on",
            "registered_address",
            "business_scope",
            "status",
        ],
        "医疗机构设置审批和执业登记、医疗美容机构备案时核验申请单位的主体资格与登记状态，免于申请人提交营业执照。",
        "《医疗机构管理条例》第九条、第十五条；《政务数据共享条例》第十二条",
        "医疗机构执业登记",
        [("sjju", "grant_unconditional", "")],
    ),
    (
        "wjdata",
        "air_quality",
        ["station_code", "station_name", "district", "observed_at", "pm25", "pm10", "o3", "aqi"],
        "开展空气污染与呼吸系统疾病健康风险监测，向重点人群推送健康防护提示。",
        "《中华人民共和国基本医疗卫生与健康促进法》第七十八条；《政务数据共享条例》",
        "环境健康风险监测",
        [("sjju", "grant_unconditional", "")],
    ),
    (
        "swdata",
        "legal_person",
        ["uscc", "name", "legal_representative", "registered_address", "status"],
        "新办纳税人“套餐式”服务和税务登记信息核对，比对市场主体登记信息与纳税人识别信息。",
        "《中华人民共和国税收征收管理法》第十五条；《政务数据共享条例》",
        "纳税人登记信息核对",
        [("sjju", "grant_unconditional", "")],
    ),
    (
        "scjgdata",
        "tax_credit",
        ["uscc", "taxpayer_name", "year", "credit_grade", "tax_authority"],
        "对市场主体实施信用风险分类监管，将纳税信用级别作为“双随机、一公开”抽查比例的参考指标。",
        "《国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的指导意见》；《纳税信用管理办法》第三十二条",
        "信用风险分类监管",
        [
            ("sjju", "to_provider", ""),
            ("swdata", "approve", "同意按申请的信息项提供，评价得分不予提供。"),
        ],
    ),
    (
        "wjdata",
        "medical_insurance",
        ["id_number", "name", "insured_type", "status"],
        "孕产妇和新生儿健康管理中核验参保状态，提示未参保家庭及时为新生儿办理参保。",
        "《母婴保健法》；《广东省“出生一件事”联办工作方案》",
        "出生一件事联办",
        [("sjju", "to_provider", "")],
    ),
    (
        "scjgdata",
        "deaths",
        ["certificate_no", "name", "id_number", "died_at", "issued_by"],
        "办理企业简易注销、股权变更时核验自然人股东死亡情况。",
        "《中华人民共和国市场主体登记管理条例》第三十三条",
        "企业注销登记",
        [
            ("sjju", "to_provider", ""),
            (
                "wjdata",
                "reject",
                "死亡医学证明含健康信息，不符合最小必要原则；核验自然人股东死亡情况可通过市公安局"
                "户籍人口变动登记信息（死亡注销）满足，建议向市公安局申请。",
            ),
        ],
    ),
    (
        "wjdata",
        "schools",
        ["school_code", "name", "stage", "district", "address", "students"],
        "制定学校卫生与近视防控工作计划，按学校安排学生健康体检。",
        "《学校卫生工作条例》第三十三条",
        "学生健康管理",
        [],
    ),
]


@contextlib.contextmanager
def _as_of(day: dt.date):
    """``timezone.localdate()`` (no argument) answers ``day``; ``now()`` is untouched."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return day if value is None else real(value, timezone)

    with mock.patch("django.utils.timezone.localdate", localdate):
        yield


def load_demo(stdout=None) -> int:
    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.sharing.models import SharingRequest

    if SharingRequest.objects.exists() or catalog_demo.find("legal_person") is None:
        return 0
    made = _requests(catalog_demo)
    if stdout is not None:
        states = ", ".join(f"{r.number} {r.entry.name} → {r.get_state_display()}" for r in made)
        stdout.write(f"数据共享: {len(made)} requests ({states})")
    return len(made)


@transaction.atomic
def _requests(catalog_demo) -> list:
    from shuzheng.data.sharing import services

    users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
    today = timezone.localdate()
    made = []
    for requester, key, fields, purpose, basis, scenario, steps in REQUESTS:
        entry = catalog_demo.find(key)
        user = users.get(requester)
        if entry is None or user is None or any(a not in users for a, _x, _t in steps):
            continue
        granted = bool(steps) and steps[-1][1] in ("grant_unconditional", "approve")
        start = today - dt.timedelta(days=HISTORY_DAYS) if granted else today
        with _as_of(start) if granted else contextlib.nullcontext():
            request = services.create_request(
                user,
                entry=entry,
                fields=fields,
                purpose=purpose,
                legal_basis=basis,
                period_start=start,
                period_end=start + dt.timedelta(days=364),
                scenario=scenario,
                contact_phone=PHONES.get(requester, ""),
            )
        for actor, action, text in steps:
            request.refresh_from_db()
            texts = {"reason": text} if action in ("reject", "return") else {"opinion": text}
            services.act(users[actor], request, action, revision=request.revision, **texts)
        request.refresh_from_db()
        made.append(request)
    return made


def _usernames() -> set[str]:
    names = {r[0] for r in REQUESTS}
    names |= {actor for r in REQUESTS for actor, _a, _t in r[6]}
    return names
