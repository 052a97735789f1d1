"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), mounted at /open311/v2/.

Existing Open311 apps and tools can list our report types, file a citizen's report and follow
it: ``discovery``, ``services``, ``services/{service_code}``, ``requests`` (GET and POST),
``requests/{service_request_id}`` and ``tokens/{token}``, each as ``.xml`` (the format the
specification requires) and ``.json`` (its Spark mapping of the XML).

* Services are the active leaf categories opened to Open311 (``Category.open311``); each has
  two attributes: the required 诉求类型 ``request_type`` and an optional ``urgency``.
* A POST needs the ``api_key`` of an active Open311 application and becomes a work order
  through the 12345 intake (channel ``open311``); the service is ``realtime``: the answer
  carries the order number, which is the ``service_request_id``.
* Reads are public and anonymous, so they show only what may be published: orders of the
  Open311 categories, their content with phone and ID numbers masked, the public reply,
  the unit and the time limit — never the caller's name, phone or photos.
* Errors are Open311's own: ``[{"code": 400, "description": "…"}]`` /
  ``<errors><error>…</error></errors>`` with the matching HTTP status (400 bad input,
  403 missing or bad ``api_key``, 404 unknown resource, service or jurisdiction).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import math
import re
import uuid
import xml.etree.ElementTree as ET

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.urls import re_path, reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from shuzheng.foundation.identity.login import ratelimit
from shuzheng.governance.hotline.models import (
    FINAL_STATES,
    OPEN_STATES,
    Category,
    RequestType,
    Urgency,
    WorkOrder,
)
from shuzheng.governance.hotline.services import open311_clients
from shuzheng.governance.hotline.services.limits import limit_for

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# the last change to this document's structure or to the service definitions (sortable)
CHANGESET = "2026-11-30 00:00"
# "Default query limit is a span of 90 days or first 1000 requests returned"
SPAN = dt.timedelta(days=90)
MAX_REQUESTS = 1000
DESCRIPTION_MAX = 4000
NAME_MAX = 50
PHONE_MAX = 32
ACCOUNT_MAX = 100
MEDIA_URL_MAX = 500
ADDRESS_MAX = WorkOrder._meta.get_field("address").max_length
# the urgencies a reporter may claim; 特急 is the operator's call (emergencies: 110/119/120)
PUBLIC_URGENCIES = (Urgency.NORMAL, Urgency.URGENT)
# the intake's field names as the Open311 parameters a client sent
PARAMETERS = {
    "content": "description",
    "title": "description",
    "caller_phone": "phone",
    "caller_name": "first_name",
    "category": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "request_type": "attribute[request_type]",
    "urgency": "attribute[urgency]",
    "photos": "media_url",
}
# XML: a list is a plural element holding one singular element per item
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# published text: mainland mobiles and 18-character ID numbers a citizen typed are masked
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")


class Open311Error(Exception):
    """One or more errors answered in Open311's format with HTTP status ``status``."""

    def __init__(self, status: int, *descriptions):
        super().__init__(*descriptions)
        self.status = status
        self.errors = [{"code": status, "description": str(text)} for text in descriptions]


# --------------------------------------------------------------------------- rendering


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _element(name: str, value) -> ET.Element:
    node = ET.Element(name)
    if isinstance(value, dict):
        for key, child in value.items():
            node.append(_element(key, child))
    elif isinstance(value, list | tuple):
        for child in value:
            node.append(_element(ITEMS[name], child))
    else:
        node.text = _text(value) or None  # None: an empty element (JSON's null)
    return node


def render(fmt: str, root: str, data, *, status: int = 200) -> HttpResponse:
    """``data`` as Open311 XML (``root`` element; lists as plural/singular elements) or as
    JSON (the same structure, Spark convention)."""
    if fmt == "xml":
        tree = _element(root, data)
        ET.indent(tree)  # readable; only whitespace between elements, never inside values
        body = XML_DECLARATION + ET.tostring(tree, encoding="unicode")
    else:
        body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body.encode("utf-8"), content_type=CONTENT_TYPES[fmt], status=status)


def _error_response(fmt: str, error: Open311Error) -> HttpResponse:
    return render(fmt, "errors", error.errors, status=error.status)


def _w3c(moment: dt.datetime | None) -> str | None:
    """W3C date-time with the offset (Beijing time, e.g. 2026-11-30T09:30:00+08:00)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def endpoint(*methods: str):
    """An Open311 view: checks the format and the jurisdiction, answers every failure in
    Open311's error format. CSRF-exempt: no view here reads a session or a cookie (the
    POST is authenticated by its ``api_key`` alone), and a refused method is answered in
    Open311's format, not with Django's CSRF page."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, fmt: str, **kwargs):
            fmt = fmt.lower()
            if fmt not in CONTENT_TYPES:
                error = Open311Error(
                    400, _("不支持的格式“%(format)s”，请使用 .xml 或 .json") % {"format": fmt}
                )
                return _public(_error_response("xml", error))
            if request.method not in methods:
                error = Open311Error(405, _("不支持 %(method)s 请求") % {"method": request.method})
                response = _error_response(fmt, error)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                _check_jurisdiction(request)
                response = view(request, fmt, **kwargs)
            except Open311Error as error:
                response = _error_response(fmt, error)
            except Exception:
                # the specification's "general service error": the client is told to notify us
                logger.exception("Open311 %s %s failed", request.method, request.path)
                error = Open311Error(
                    400, _("服务处理出错，请稍后重试；如持续出错请联系 12345 热线管理中心")
                )
                response = _error_response(fmt, error)
            return _public(response) if request.method in ("GET", "HEAD") else response

        return csrf_exempt(wrapper)

    return decorate


def _public(response: HttpResponse) -> HttpResponse:
    """Reads are public data: browser apps of other origins may fetch them."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def _jurisdiction() -> str:
    return getattr(settings, "OPEN311_JURISDICTION", "zhuhai.gov.cn")


def _check_jurisdiction(request) -> None:
    """This endpoint serves one jurisdiction: ``jurisdiction_id`` is optional, but a
    different one is not found (404)."""
    given = (request.GET.get("jurisdiction_id") or "").strip()
    if request.method == "POST":
        given = (request.POST.get("jurisdiction_id") or "").strip() or given
    if given and given.lower() != _jurisdiction().lower():
        raise Open311Error(
            404,
            _("jurisdiction_id“%(given)s”不存在；本接口服务于 %(ours)s")
            % {"given": given[:100], "ours": _jurisdiction()},
        )


# --------------------------------------------------------------------------- services


def services_queryset():
    """The report types open to Open311: active leaf categories marked ``open311``."""
    active_children = Category.objects.filter(parent=OuterRef("pk"), is_active=True)
    return (
        Category.objects.filter(open311=True, is_active=True)
        .exclude(Exists(active_children))
        .select_related("parent__parent")
        .order_by("code")
    )


def _ancestry(category: Category) -> list[Category]:
    chain, node = [], category
    while node is not None:
        chain.append(node)
        node = node.parent if node.parent_id else None
    return chain[::-1]


def _keywords(category: Category) -> str:
    words = category.keywords
    if isinstance(words, str):
        return words
    return ", ".join(str(word) for word in words or ())


def attributes() -> list[dict]:
    """The attributes every service asks for (the service definition)."""
    return [
        {
            "variable": True,
            "code": "request_type",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": _("从列表中选择一项"),
            "order": 1,
            "description": _("诉求类型：咨询、求助、投诉、举报、建议或表扬"),
            "values": [{"key": key, "name": str(name)} for key, name in RequestType.choices],
        },
        {
            "variable": True,
            "code": "urgency",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _(
                "不填为“一般”。危及人身财产安全的紧急情况请直接拨打 110、119 或 120"
            ),
            "order": 2,
            "description": _("紧急程度"),
            "values": [{"key": str(key), "name": str(key.label)} for key in PUBLIC_URGENCIES],
        },
    ]


def _service(category: Category) -> dict:
    chain = _ancestry(category)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or " / ".join(node.name for node in chain),
        "metadata": True,  # every service has attributes (request_type, urgency)
        "type": "realtime",
        "keywords": _keywords(category),
        "group": chain[0].name,
    }


@endpoint("GET", "HEAD")
def discovery(request, fmt: str):
    """Service discovery (http://wiki.open311.org/Service_Discovery)."""
    base = reverse("open311:discovery", kwargs={"fmt": fmt}).rsplit("discovery.", 1)[0]
    changeset = getattr(settings, "OPEN311_CHANGESET", "") or CHANGESET
    data = {
        "changeset": changeset,
        "contact": getattr(settings, "OPEN311_CONTACT", "")
        or _("珠海市市民服务热线管理中心：拨打 12345，或在工作台联系热线管理员"),
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", "")
        or _("提交诉求需要 API 密钥（api_key），请向 12345 热线管理员申请"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri(base).rstrip("/"),
                "changeset": changeset,
                "type": getattr(settings, "OPEN311_ENDPOINT_TYPE", "production"),
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, "discovery", data)


@endpoint("GET", "HEAD")
def service_list(request, fmt: str):
    """GET Service List."""
    return render(fmt, "services", [_service(c) for c in services_queryset()])


@endpoint("GET", "HEAD")
def service_definition(request, fmt: str, service_code: str):
    """GET Service Definition."""
    if not services_queryset().filter(code=service_code).exists():
        raise Open311Error(404, _("service_code“%(code)s”不存在") % {"code": service_code[:20]})
    data = {"service_code": service_code, "attributes": attributes()}
    return render(fmt, "service_definition", data)


# --------------------------------------------------------------------------- requests


# Reports citizens filed through a public reporting tool. A phone call, a letter to the
# leaders' mailbox or a bad service rating was not made in public and is never published.
PUBLIC_CHANNELS = ("open311", "web", "wechat", "app", "grid", "sensor")


def public_orders():
    """The orders Open311 publishes (reads are anonymous): those of the Open311 categories
    that came in through a public reporting channel."""
    return WorkOrder.objects.filter(
        category__open311=True, channel__in=PUBLIC_CHANNELS
    ).select_related("category__parent__parent", "unit", "master")


def _limit_words(limit: str) -> str | None:
    """ "13 working_days" → "13 个工作日"; None for the same day."""
    try:
        amount, unit = limit.split()
        n = int(amount)
    except ValueError:
        return limit
    if unit == "natural_days" and n == 0:
        return None
    words = {
        "working_days": _("%(n)s 个工作日"),
        "natural_days": _("%(n)s 天"),
        "working_hours": _("%(n)s 个工作小时"),
        "hours": _("%(n)s 小时"),
    }.get(unit)
    return words % {"n": n} if words else limit


def _notice(category: Category, request_type: str, urgency: str) -> str:
    words = _limit_words(limit_for(category, request_type, urgency))
    if words is None:
        return _("12345 热线受理后派至承办单位办理，当日办结")
    return _("12345 热线受理后派至承办单位办理，自派单起 %(limit)s内办结") % {"limit": words}


def public_text(text: str) -> str | None:
    """Free text as published: mobile and ID numbers the citizen typed are masked."""
    if not text:
        return None
    text = _MOBILE.sub(r"\1****\2", text)
    return _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)


def _status_notes(order: WorkOrder) -> str | None:
    if order.state == "merged":
        if order.reply:
            return public_text(order.reply)
        master = order.master.number if order.master_id else ""
        return _("重复诉求，已并入工单 %(number)s 一并办理") % {"number": master}
    if order.state in FINAL_STATES:
        return public_text(order.reply) or str(order.get_state_display())
    return str(order.get_state_display())


def _request(order: WorkOrder, notice) -> dict:
    closed = order.state in FINAL_STATES
    updated = order.closed_at if closed and order.closed_at else order.updated_at
    return {
        "service_request_id": order.number,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(order),
        "service_name": order.category.name,
        "service_code": order.category.code,
        "description": public_text(order.content),
        "agency_responsible": order.unit.name,
        "service_notice": notice(order.category, order.request_type, order.urgency),
        "requested_datetime": _w3c(order.created_at),
        "updated_datetime": _w3c(updated),
        "expected_datetime": _w3c(order.due_at),
        "address": order.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": order.latitude,
        "long": order.longitude,
        "media_url": None,  # the citizens' photos are not published
    }


def _requests(orders) -> list[dict]:
    notices: dict = {}

    def notice(category, request_type, urgency):
        key = (category.pk, request_type, urgency)
        if key not in notices:
            notices[key] = _notice(category, request_type, urgency)
        return notices[key]

    return [_request(order, notice) for order in orders]


def _values(params, name: str) -> list[str]:
    """A parameter that may be declared several times and comma delimited."""
    values = []
    for raw in params.getlist(name):
        values.extend(part.strip() for part in raw.split(","))
    return [value for value in values if value]


def _moment(params, name: str) -> dt.datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+"))  # an unescaped "+" arrives as " "
        if moment is None:
            day = parse_date(raw)
            moment = dt.datetime.combine(day, dt.time.min) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400,
            _("%(name)s 不是有效的 W3C 日期时间（例如 2026-01-01T00:00:00+08:00）")
            % {"name": name},
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def find_requests(params, *, now: dt.datetime | None = None):
    """GET Service Requests' filters: ``service_request_id`` (overrides the rest),
    ``service_code``, ``status``, ``start_date`` / ``end_date`` (at most 90 days; the last
    90 days by default); newest first, at most 1000."""
    orders = public_orders()
    numbers = _values(params, "service_request_id")
    if numbers:
        return orders.filter(number__in=numbers[:MAX_REQUESTS]).order_by("-created_at", "-pk")
    codes = _values(params, "service_code")
    if codes:
        orders = orders.filter(category__code__in=codes)
    statuses = set(_values(params, "status"))
    unknown = statuses - {"open", "closed"}
    if unknown:
        raise Open311Error(
            400,
            _("status 只能是 open 或 closed，收到“%(value)s”")
            % {"value": ",".join(sorted(unknown))[:50]},
        )
    if statuses == {"open"}:
        orders = orders.filter(state__in=OPEN_STATES)
    elif statuses == {"closed"}:
        orders = orders.filter(state__in=FINAL_STATES)
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start is None and end is None:
        end = now or timezone.now()
    if start is None:
        start = end - SPAN
    elif end is None:
        end = start + SPAN
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date"))
    if end - start > SPAN:
        raise Open311Error(400, _("start_date 与 end_date 的间隔不能超过 90 天"))
    orders = orders.filter(created_at__gte=start, created_at__lte=end)
    return orders.order_by("-created_at", "-pk")[:MAX_REQUESTS]


@endpoint("GET", "HEAD", "POST")
def requests_collection(request, fmt: str):
    """GET Service Requests (public) and POST Service Request (``api_key``)."""
    if request.method == "POST":
        return create_request(request, fmt)
    return render(fmt, "service_requests", _requests(find_requests(request.GET)))


@endpoint("GET", "HEAD")
def request_detail(request, fmt: str, service_request_id: str):
    """GET Service Request: one order by its number."""
    order = public_orders().filter(number=service_request_id).first()
    if order is None:
        raise Open311Error(
            404,
            _("service_request_id“%(id)s”不存在") % {"id": service_request_id[:30]},
        )
    return render(fmt, "service_requests", _requests([order]))


@endpoint("GET", "HEAD")
def token_detail(request, fmt: str, token: str):
    """GET service_request_id from a token (the order's public token)."""
    try:
        value = uuid.UUID(token)
    except ValueError:
        value = None
    order = public_orders().filter(token=value).first() if value else None
    if order is None:
        raise Open311Error(404, _("token“%(token)s”不存在") % {"token": token[:40]})
    return render(
        fmt, "service_requests", [{"service_request_id": order.number, "token": str(order.token)}]
    )


# --------------------------------------------------------------------------- POST


def _field(name: str, message) -> str:
    return _("%(field)s：%(message)s") % {"field": name, "message": message}


def _attribute(data, code: str) -> list[str]:
    values = data.getlist(f"attribute[{code}]") + data.getlist(f"attribute[{code}][]")
    return [value.strip() for value in values if value.strip()]


def _choice(data, code: str, allowed, errors: list, *, required: bool) -> str | None:
    values = _attribute(data, code)
    name = f"attribute[{code}]"
    if not values:
        if required:
            errors.append(_field(name, _("此项为必填项")))
        return None
    if len(values) > 1:
        errors.append(_field(name, _("只能选择一项")))
        return None
    if values[0] not in allowed:
        errors.append(
            _field(name, _("可选值为 %(keys)s") % {"keys": ", ".join(str(k) for k in allowed)})
        )
        return None
    return values[0]


def _limited(data, name: str, limit: int, errors: list) -> str:
    value = (data.get(name) or "").strip()
    if len(value) > limit:
        errors.append(_field(name, _("不能超过 %(n)s 个字符") % {"n": limit}))
        return ""
    return value


def _coordinate(raw: str, name: str, bound: float, errors: list) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not -bound <= value <= bound:
        errors.append(
            _field(name, _("应为 -%(bound)s 到 %(bound)s 之间的 WGS-84 坐标") % {"bound": bound})
        )
        return None
    return value


def _location(data, category: Category, errors: list) -> tuple[float | None, float | None, str]:
    """One of lat & long, address_string or address_id (a category that needs a location
    refuses a request without one; address_id alone is not supported here)."""
    lat_raw, lng_raw = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    address = _limited(data, "address_string", ADDRESS_MAX, errors)
    lat = lng = None
    if lat_raw or lng_raw:
        if not (lat_raw and lng_raw):
            errors.append(_field("lat/long", _("lat 和 long 须同时提供")))
            return None, None, address
        lat = _coordinate(lat_raw, "lat", 90, errors)
        lng = _coordinate(lng_raw, "long", 180, errors)
        if lat is None or lng is None:
            return None, None, address
    if lat is None and not address:
        if (data.get("address_id") or "").strip():
            errors.append(
                _field(
                    "address_id", _("本平台不支持 address_id，请提供 lat 和 long 或 address_string")
                )
            )
        elif category.needs_location:
            errors.append(
                _field(
                    "location",
                    _("该类诉求须提供地点：lat 和 long，或 address_string"),
                )
            )
    return lat, lng, address


def _caller_name(first: str, last: str) -> str:
    """姓名: Chinese names are 姓 + 名 without a space, others "first last"."""
    if first and last and _CJK.match(first) and _CJK.match(last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _media_url(data, errors: list) -> str:
    url = _limited(data, "media_url", MEDIA_URL_MAX, errors)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            errors.append(_field("media_url", _("应为 http 或 https 网址")))
            return ""
    return url


def _intake_errors(exc: ValidationError) -> list[str]:
    """The intake's field errors under the Open311 parameter names the client sent."""
    if not hasattr(exc, "error_dict"):
        return [str(message) for message in exc.messages]
    errors = []
    for field, messages in exc.message_dict.items():
        for message in messages:
            if field == NON_FIELD_ERRORS:
                errors.append(str(message))
            else:
                errors.append(_field(PARAMETERS.get(field, field), message))
    return errors


def create_request(request, fmt: str) -> HttpResponse:
    """POST Service Request: a citizen's report filed by an Open311 application."""
    data = request.POST
    client = open311_clients.client_for_key(data.get("api_key"))
    if client is None:
        raise Open311Error(403, _("api_key 缺失或无效，无法提交诉求"))
    # the anonymous per-address limit does not apply here (RATE_LIMIT_KEYED_PREFIXES): each
    # application has its own per-minute budget
    wait = ratelimit.hit("open311", str(client.pk), settings.OPEN311_POSTS_PER_MINUTE)
    if wait is not None:
        raise Open311Error(429, _("提交过于频繁，请 %(seconds)s 秒后再试") % {"seconds": wait})
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _field("service_code", _("此项为必填项")))
    category = services_queryset().filter(code=code).first()
    if category is None:
        raise Open311Error(404, _("service_code“%(code)s”不存在") % {"code": code[:20]})

    errors: list[str] = []
    request_type = _choice(data, "request_type", RequestType.values, errors, required=True)
    urgency = _choice(data, "urgency", [str(u) for u in PUBLIC_URGENCIES], errors, required=False)
    description = _limited(data, "description", DESCRIPTION_MAX, errors)
    if not description and len((data.get("description") or "").strip()) <= DESCRIPTION_MAX:
        errors.append(_field("description", _("请填写诉求内容")))
    lat, lng, address = _location(data, category, errors)
    first = _limited(data, "first_name", NAME_MAX, errors)
    last = _limited(data, "last_name", NAME_MAX, errors)
    phone = _limited(data, "phone", PHONE_MAX, errors)
    account_id = _limited(data, "account_id", ACCOUNT_MAX, errors)
    media_url = _media_url(data, errors)
    if errors:
        raise Open311Error(400, *errors)

    content = description
    if media_url:
        with translation.override(settings.LANGUAGE_CODE):  # stored in the platform's language
            content += "\n\n" + _("（Open311 附件链接：%(url)s）") % {"url": media_url}
    try:
        order = open311_clients.submit_request(
            client,
            request_type=request_type,
            content=content,
            category=category,
            urgency=urgency or Urgency.NORMAL,
            address=address,
            latitude=lat,
            longitude=lng,
            caller_name=_caller_name(first, last),
            caller_phone=phone,
            anonymous=not phone,
            details={
                "account": bool(account_id),
                "email": bool((data.get("email") or "").strip()),
                "media_url": bool(media_url),
            },
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "api_key" in exc.error_dict:
            raise Open311Error(403, _("api_key 缺失或无效，无法提交诉求")) from None
        raise Open311Error(400, *_intake_errors(exc)) from None
    result = {
        "service_request_id": order.number,
        "service_notice": _notice(category, order.request_type, order.urgency),
        "account_id": account_id or None,
    }
    return render(fmt, "service_requests", [result])


app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"
urlpatterns = [
    re_path(r"^discovery" + FMT, discovery, name="discovery"),
    re_path(r"^services" + FMT, service_list, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+?)" + FMT, service_definition, name="service"),
    re_path(r"^requests" + FMT, requests_collection, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+?)" + FMT, request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, token_detail, name="token"),
]
