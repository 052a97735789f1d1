"""交换存证: export a period of the exchange log as the signed evidence bundle (the exporting
department's own calls in full, everyone else's as digests), check a bundle — one's own or
the other party's — and read the result in plain words (valid, or where it breaks); and the
state of the sealing (the last seal, the rows waiting for the next one). Thin: the bundle and
its check are ``exchange.evidence``'s."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from shuzheng.data.exchange import evidence, sealing
from shuzheng.data.exchange.views import reads
from shuzheng.data.exchange.views.common import (
    apply_errors,
    city_wide,
    departments,
    staff_page,
)
from shuzheng.data.exchange.views.forms import EvidenceCheckForm, EvidenceExportForm
from shuzheng.foundation.trust import gm, keys

PERM = "exchange.evidence"


# --------------------------------------------------------------------------- the page


def _export_choices(user) -> list[tuple[int, str]]:
    """The parties one may export for: one's department; for the data authority (a grant at
    the root) also the whole log ("全市全部交换", the root's value)."""
    choices = []
    for org in departments(user, PERM):
        label = _("全市全部交换") if org.parent_id is None else org.name
        choices.append((org.pk, label))
    return choices


def _public_key() -> dict | None:
    """The platform's current signing key, published so that others can pin it."""
    try:
        signer = keys.signing_key()
        known = keys.verify_keys()
    except Exception:  # no keys on this installation yet
        return None
    key = known.get(signer.key_id)
    return {"key_id": signer.key_id, "pem": key.to_pem().decode()} if key else None


def _page(request, *, export_form=None, check_form=None, report=None, chain=None, status=200):
    user = request.user
    choices = _export_choices(user)
    if export_form is None:
        export_form = EvidenceExportForm(choices=choices)
    return render(
        request,
        "exchange/evidence/page.html",
        {
            "export_form": export_form,
            "check_form": check_form or EvidenceCheckForm(),
            "report": report,
            "chain": chain,
            "seal": reads.seal_status(),
            "lag": sealing.lag_seconds(),
            "public_key": _public_key(),
            "may_verify": city_wide(user, PERM),
        },
        status=status,
    )


@require_GET
@never_cache
@staff_page(PERM)
def page(request):
    """交换存证 — export, check, seal status."""
    return _page(request)


# --------------------------------------------------------------------------- export


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local midnight of ``start`` to local midnight after ``end`` (the end day included)."""
    zone = timezone.get_current_timezone()
    first = dt.datetime.combine(start, dt.time.min).replace(tzinfo=zone)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min).replace(tzinfo=zone)
    return first, after


@require_POST
@staff_page(PERM)
def export(request):
    """Download the bundle of a period (POST: the export is audited)."""
    user = request.user
    choices = _export_choices(user)
    form = EvidenceExportForm(request.POST, choices=choices)
    if form.is_valid():
        data = form.cleaned_data
        org = next(o for o in departments(user, PERM) if o.pk == data["org"])
        start, end = _bounds(data["start"], data["end"])
        try:
            bundle = evidence.export(
                user, start=start, end=end, organisation=org if org.parent_id else None
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            name = f"exchange-evidence-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.json"
            response = HttpResponse(bundle, content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            response["Cache-Control"] = "private, no-store"
            return response
    return _page(request, export_form=form, status=400)


# --------------------------------------------------------------------------- check

_WHERE = r"seal (?P<seal>\d+) \(seq (?P<first>\d+)\.\.(?P<last>\d+)\)"


def _problem_texts() -> list[tuple[re.Pattern, str]]:
    """The checker's findings (English, for command-line tools) in plain Chinese words."""
    rules = [
        (
            r"not UTF-8 at byte (?P<byte>\d+).*",
            _("文件不是 UTF-8 文本（第 %(byte)s 字节）：文件被改动过"),
        ),
        (r"not a JSON document.*", _("文件不是 JSON 文档，可能不是交换存证文件或已损坏")),
        (r"not a shuzheng-exchange-evidence/\d+ document", _("这不是本平台导出的交换存证文件")),
        (r"malformed bundle.*", _("存证文件结构不完整，可能被截断或改动")),
        (
            r"the file is not in canonical form: bytes were altered near byte (?P<byte>\d+)",
            _("文件内容在第 %(byte)s 字节附近被改动过（与签名时的格式不一致）"),
        ),
        (r"row_fields differ.*", _("存证文件的格式版本与本平台不一致，无法核验")),
        (
            r"public key listed as (?P<a>\w+) has key id (?P<b>\w+)",
            _("文件所附公钥 %(a)s 与其标识不符"),
        ),
        (
            r"signed by key (?P<a>\w+), not by the given key (?P<b>\w+)",
            _("文件由密钥 %(a)s 签名，不是您提供的公钥（%(b)s）：文件不是由该公钥的持有方出具"),
        ),
        (r"the signer's public key is missing", _("文件缺少签名方的公钥，无法核验签名")),
        (
            r"the bundle's signature does not verify.*",
            _("整份文件的 SM2 签名核验不通过：文件在导出后被改动过"),
        ),
        (
            _WHERE + r": does not link to the seal before it",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）与前一批封存不相连：中间有封存被删除或替换"
            ),
        ),
        (
            _WHERE + r": overlaps the seal before it",
            _("第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）与前一批封存的范围重叠"),
        ),
        (
            _WHERE + r": signed by key (?P<key>\w+), which the bundle lacks",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）使用的签名密钥 %(key)s 不在文件中，无法核验"
            ),
        ),
        (
            _WHERE + r": the seal's SM2 signature does not verify",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）的 SM2 签名核验不通过：封存信息被伪造或改动"
            ),
        ),
        (
            _WHERE + r": row (?P<row>\d+) is out of order or outside the seal",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）中的日志 %(row)s 顺序错乱或不属于该批"
            ),
        ),
        (
            _WHERE + r": row (?P<row>\d+) carries the content of row (?P<other>\d+)",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）中的日志 %(row)s 被换成了日志 %(other)s 的内容"
            ),
        ),
        (
            _WHERE + r": row (?P<row>\d+): its content does not match its digest",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）中的日志 %(row)s 内容与其摘要不符：该条日志被改动过"
            ),
        ),
        (
            _WHERE + r": (?P<n>\d+) rows in the bundle, (?P<m>\d+) were sealed",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）文件中有 %(n)s 条日志，封存时为 %(m)s 条：有日志被删除或添加"
            ),
        ),
        (
            _WHERE + r": the rows do not give the sealed digest",
            _(
                "第 %(seal)s 批封存（日志序号 %(first)s 至 %(last)s）的日志算不出封存摘要：日志被改动、删除或添加"
            ),
        ),
    ]
    return [(re.compile(pattern), text) for pattern, text in rules]


def plain(problem: str) -> str:
    """One finding of ``evidence.check`` in plain words (its own text when unknown)."""
    for pattern, text in _problem_texts():
        match = pattern.fullmatch(problem)
        if match:
            return text % match.groupdict()
    return problem


def _local_period(period: dict | None) -> dict | None:
    """The bundle's period (UTC instants, end exclusive) as the local days it covers."""
    import datetime as dt

    from django.utils import timezone

    if not period:
        return period
    try:
        start = timezone.localtime(dt.datetime.fromisoformat(period["from"]))
        end = timezone.localtime(dt.datetime.fromisoformat(period["to"]))
    except (KeyError, TypeError, ValueError):
        return period  # a damaged bundle: show what it says
    last = end - dt.timedelta(microseconds=1)
    return {"from": start.date().isoformat(), "to": last.date().isoformat()}


def explain(report) -> dict:
    """What the page says about a checked bundle."""
    data = report.as_dict() if hasattr(report, "as_dict") else dict(report)
    data["plain_problems"] = [{"plain": plain(p), "technical": p} for p in data.get("problems", [])]
    data["period"] = _local_period(data.get("period"))
    return data


@require_POST
@never_cache
@staff_page(PERM)
def check(request):
    """核验存证: the uploaded bundle against its own (or the given) public key."""
    form = EvidenceCheckForm(request.POST, request.FILES)
    report = None
    status = 400
    if form.is_valid():
        public_key = None
        pem = form.cleaned_data["public_key"]
        if pem:
            try:
                public_key = gm.SM2PublicKey.from_pem(pem)
            except (gm.GmError, ValueError):
                form.add_error("public_key", _("无法读取该公钥，请粘贴完整的 SM2 公钥 PEM"))
        if not form.errors:
            data = form.cleaned_data["bundle"].read()
            report = explain(evidence.check(data, public_key=public_key))
            status = 200
    return _page(request, check_form=form, report=report, status=status)


@require_POST
@never_cache
@staff_page(PERM)
def verify_chain(request):
    """核验本平台的交换日志: every seal and its rows, as they are in the database now — the
    whole log, so only for those holding the capability city-wide."""
    if not city_wide(request.user, PERM):
        raise PermissionDenied(_("只有市级数据主管部门可以核验全平台交换日志"))
    return _page(request, chain=sealing.verify())


urlpatterns = [
    path("workbench/data/exchange/evidence/", page, name="evidence"),
    path("workbench/data/exchange/evidence/export/", export, name="evidence-export"),
    path("workbench/data/exchange/evidence/check/", check, name="evidence-check"),
    path("workbench/data/exchange/evidence/verify/", verify_chain, name="evidence-verify"),
]
