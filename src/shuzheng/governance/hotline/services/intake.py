"""受理: a citizen demand becomes a 工单 — by a 12345 operator (phone, mailbox …), by the
citizen themselves (portal 我要反映, app), by a grid officer (网格员), through Open311 or from
another module's event (a bad 好差评 rating).

Every channel ends in ``_register``: one transaction that validates every field at once
(field errors in Chinese, nothing written on any of them), places the order (grid cell and
district), asks the classifier for a suggestion (which never fails intake), stores the
photos, numbers the order, puts it on the workflow at the 12345 centre, and records the
audit entry and the ``governance.order.registered`` event.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access, events
from shuzheng.foundation.files import readable_through
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.trust import audit
from shuzheng.governance.hotline.models import (
    Category,
    Channel,
    OrderPhoto,
    RequestType,
    Urgency,
    WorkOrder,
)
from shuzheng.governance.hotline.services import common, numbering

log = logging.getLogger(__name__)

PHOTO_USE = "hotline.photo"
PHOTOS_MAX = 9
CONTENT_MAX = 4000
TITLE_MAX = 120
TITLE_DEFAULT = 30  # the first characters of the content when no title is given
NAME_MAX = 60
ADDRESS_MAX = 200
# the channels a citizen or a grid officer reports through themselves
REPORT_CHANNELS = ("web", "app", "wechat", "grid")

# Photos of an order are readable by whoever may view the order.
readable_through(OrderPhoto, "file", "hotline.view")


# --------------------------------------------------------------------------- helpers


def centre():
    """The 12345 centre (``HOTLINE_CENTRE_NAME``): holds every order before dispatch."""
    from shuzheng.foundation.identity.models import Organisation

    name = getattr(settings, "HOTLINE_CENTRE_NAME", "珠海市市民服务热线管理中心")
    found = Organisation.objects.filter(name=name, is_active=True).order_by("depth", "pk").first()
    if found is None:
        raise ImproperlyConfigured(f"the 12345 centre {name!r} (HOTLINE_CENTRE_NAME) is missing")
    return found


def _error(errors: dict, field: str, message, code: str) -> None:
    errors.setdefault(field, []).append(ValidationError(message, code=code))


def _person(actor):
    return actor if getattr(actor, "pk", None) and actor is not access.SYSTEM else None


def resolve_category(value) -> Category | None:
    """A category given as an object, a key or a 6-digit code (API, forms, events)."""
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Category.objects.filter(pk=value).first()
    text = str(value).strip()
    if len(text) == 6 and text.isdigit():
        return Category.objects.filter(code=text).first()
    if text.isdigit():
        return Category.objects.filter(pk=int(text)).first()
    return None


def check_leaf(category: Category | None, errors: dict, field: str = "category") -> None:
    """An order's category is an active leaf of the tree (三级分类)."""
    if category is None:
        return
    if not category.is_active:
        _error(errors, field, _("诉求分类“%(name)s”已停用") % {"name": category.name}, "inactive")
    elif category.children.filter(is_active=True).exists():
        _error(
            errors,
            field,
            _("请选择到最末一级分类（“%(name)s”下还有细分类）") % {"name": category.name},
            "not_leaf",
        )


def normalise_phone(value: str) -> str:
    """A caller's phone as E.164: mainland, Macau and Hong Kong mobiles (identity's
    validator); a landline of those regions is accepted too (callers ring 12345 from home).
    Raises ValidationError with the validator's message."""
    import phonenumbers

    from shuzheng.foundation.identity.validators import normalize_mobile

    try:
        return normalize_mobile(value)
    except ValidationError as exc:
        if exc.code != "not_mobile":
            raise
    # a valid landline: the validator only refuses it for not being a mobile
    text = "".join(ch for ch in str(value) if ch.isdigit() or ch == "+")
    parsed = phonenumbers.parse(text, "CN")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _coordinate(value, low: float, high: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or not low <= number <= high:
        return None
    return number


def _locate(latitude: float, longitude: float):
    """The grid cell of a point (the grid package's indexed box query and exact
    point-in-polygon test); None outside every cell."""
    from shuzheng.governance.grid.services import locate

    return locate(latitude, longitude)


def _suggest(text: str, *, district=None, grid=None) -> dict:
    """The classifier's suggestion (helper B's ``routing.suggest``); intake never fails for
    lack of one (no module yet, no trained model)."""
    try:
        from shuzheng.governance.hotline.services import routing
    except ImportError:
        return {}
    try:
        return routing.suggest(text, district=district, grid=grid) or {}
    except LookupError:
        return {}


def _text(value, field: str, errors: dict, *, limit: int, required=None) -> str:
    text = str(value or "").strip()
    if required is not None and not text:
        _error(errors, field, required, "required")
    elif len(text) > limit:
        _error(errors, field, _("不能超过 %(n)s 个字符") % {"n": limit}, "max_length")
    return text


# --------------------------------------------------------------------------- 登记


def register(
    actor,
    *,
    channel: str,
    request_type: str,
    content: str,
    title: str = "",
    category=None,
    urgency: str = "normal",
    address: str = "",
    latitude=None,
    longitude=None,
    caller_name: str = "",
    caller_phone: str = "",
    anonymous: bool = False,
    related_case: str = "",
    source_ref: str = "",
    photos: Iterable = (),
    reporter=None,
    suggestion: dict | None = None,
) -> WorkOrder:
    """登记工单 by 12345 staff (``hotline.register``) or by the installation
    (``access.SYSTEM``: Open311, events)."""
    if actor is not access.SYSTEM:
        access.require(actor, "hotline.register")
    return _register(
        actor,
        channel=channel,
        request_type=request_type,
        content=content,
        title=title,
        category=category,
        urgency=urgency,
        address=address,
        latitude=latitude,
        longitude=longitude,
        caller_name=caller_name,
        caller_phone=caller_phone,
        anonymous=anonymous,
        related_case=related_case,
        source_ref=source_ref,
        photos=photos,
        reporter=reporter,
        suggestion=suggestion,
    )


def report(actor, *, channel: str = "web", **kwargs) -> WorkOrder:
    """我要反映 by a signed-in citizen (web / app / wechat), or a grid officer's report
    (channel ``grid``, ``hotline.report``). The reporter is the actor; the caller's name
    and phone default to the actor's own record."""
    if actor is access.SYSTEM or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("反映诉求需要登录"))
    if not actor.is_active:
        raise PermissionDenied(_("账号已停用"))
    if channel not in REPORT_CHANNELS:
        raise ValidationError(
            {"channel": ValidationError(_("不支持的反映渠道"), code="invalid_choice")}
        )
    if channel == "grid":
        access.require(actor, "hotline.report")
    for reserved in ("reporter", "source_ref", "suggestion"):
        kwargs.pop(reserved, None)
    person = getattr(actor, "person", None)  # the citizen's own record, when there is one
    if not str(kwargs.get("caller_name") or "").strip():
        kwargs["caller_name"] = (person.name if person else "") or str(actor)
    if not str(kwargs.get("caller_phone") or "").strip() and person is not None:
        kwargs["caller_phone"] = person.mobile or ""
    kwargs.setdefault("request_type", "")
    kwargs.setdefault("content", "")
    return _register(actor, channel=channel, reporter=actor, **kwargs)


def from_rating(payload: dict) -> WorkOrder | None:
    """A bad 好差评 rating (event ``services.evaluation.bad``) becomes a 投诉 order at the
    centre, once: a second delivery of the same evaluation returns None."""
    from shuzheng.foundation.identity.models import Organisation

    evaluation = payload.get("evaluation")
    if evaluation in (None, ""):
        log.warning("services.evaluation.bad without an evaluation id: ignored")
        return None
    source_ref = f"evaluation:{evaluation}"[:64]
    if WorkOrder.objects.filter(source_ref=source_ref).exists():
        return None
    case = str(payload.get("case") or "")[:32]
    item = str(payload.get("item") or "").strip()
    comment = str(payload.get("comment") or "").strip()
    score = payload.get("score")
    content = _(
        "政务服务评价为差评：办件 %(case)s（%(item)s），评分 %(score)s。评价意见：%(comment)s"
    ) % {
        "case": case or "—",
        "item": item or "—",
        "score": score if score not in (None, "") else "—",
        "comment": comment or _("（未填写）"),
    }
    title = (_("政务服务差评：%(item)s") % {"item": item or case or "—"})[:TITLE_MAX]
    phone = str(payload.get("phone") or "")
    try:
        phone = normalise_phone(phone) if phone else ""
    except ValidationError:
        phone = ""
    suggestion = _suggest(f"{title}\n{content}")
    try:
        unit_id = int(payload.get("organisation"))
    except (TypeError, ValueError):
        unit_id = None
    unit = Organisation.objects.filter(pk=unit_id, is_active=True).first() if unit_id else None
    if unit is not None:
        suggestion = dict(suggestion)
        suggestion["unit"] = {"id": unit.pk, "name": unit.name, "source": "rating"}
        suggestion.setdefault("reasons", [])
        suggestion["reasons"] = [
            *suggestion["reasons"],
            _("差评所涉单位：%(name)s") % {"name": unit.name},
        ]
    try:
        with transaction.atomic():
            return _register(
                access.SYSTEM,
                channel=Channel.RATING,
                request_type=RequestType.COMPLAINT,
                content=content[:CONTENT_MAX],
                title=title,
                caller_phone=phone,
                related_case=case,
                source_ref=source_ref,
                suggestion=suggestion,
            )
    except IntegrityError:
        # the same evaluation delivered twice at once: the other delivery registered it
        if WorkOrder.objects.filter(source_ref=source_ref).exists():
            return None
        raise


@transaction.atomic
def _register(
    actor,
    *,
    channel,
    request_type,
    content,
    title="",
    category=None,
    urgency="normal",
    address="",
    latitude=None,
    longitude=None,
    caller_name="",
    caller_phone="",
    anonymous=False,
    related_case="",
    source_ref="",
    photos=(),
    reporter=None,
    suggestion=None,
) -> WorkOrder:
    errors: dict[str, list] = {}
    if channel not in Channel.values:
        _error(errors, "channel", _("请选择受理渠道"), "invalid_choice")
    if request_type not in RequestType.values:
        _error(errors, "request_type", _("请选择诉求类型"), "invalid_choice")
    if urgency not in Urgency.values:
        _error(errors, "urgency", _("请选择紧急程度"), "invalid_choice")
    content = _text(content, "content", errors, limit=CONTENT_MAX, required=_("请填写诉求内容"))
    title = _text(title, "title", errors, limit=TITLE_MAX)
    if not title and content:
        title = " ".join(content.split())[:TITLE_DEFAULT]
    # 分类
    given = category
    category = resolve_category(given)
    if given not in (None, "") and category is None:
        _error(errors, "category", _("没有这个诉求分类"), "invalid_choice")
    check_leaf(category, errors)
    # 地点
    address = _text(address, "address", errors, limit=ADDRESS_MAX)
    lat = lng = None
    if latitude in (None, "") and longitude in (None, ""):
        pass
    elif latitude in (None, "") or longitude in (None, ""):
        field = "latitude" if latitude in (None, "") else "longitude"
        _error(errors, field, _("经纬度须同时填写"), "required")
    else:
        lat = _coordinate(latitude, -90.0, 90.0)
        lng = _coordinate(longitude, -180.0, 180.0)
        if lat is None:
            _error(errors, "latitude", _("纬度应为 -90 至 90 之间的数字"), "invalid")
        if lng is None:
            _error(errors, "longitude", _("经度应为 -180 至 180 之间的数字"), "invalid")
    located = lat is not None and lng is not None
    coordinates_wrong = "latitude" in errors or "longitude" in errors
    if (
        category is not None
        and category.needs_location
        and not (address or located or coordinates_wrong)
    ):
        _error(
            errors,
            "address",
            _("“%(name)s”类诉求须填写地点（地址或地图位置）") % {"name": category.name},
            "location_required",
        )
    # 诉求人
    caller_name = _text(caller_name, "caller_name", errors, limit=NAME_MAX)
    phone = str(caller_phone or "").strip()
    if phone:
        try:
            phone = normalise_phone(phone)
        except ValidationError as exc:
            errors.setdefault("caller_phone", []).extend(exc.error_list)
    related_case = _text(related_case, "related_case", errors, limit=32)
    source_ref = str(source_ref or "").strip()[:64]
    photos = [p for p in (photos or ()) if p is not None]
    if len(photos) > PHOTOS_MAX:
        _error(errors, "photos", _("照片最多 %(n)s 张") % {"n": PHOTOS_MAX}, "too_many")
    if photos and _person(actor) is None:
        # files.store keeps every file in the name of the person who uploaded it
        _error(errors, "photos", _("此渠道不能上传照片"), "not_supported")
    if errors:
        raise ValidationError(errors)

    grid = _locate(lat, lng) if located else None
    district = grid.district if grid is not None else None
    if suggestion is None:
        suggestion = _suggest(f"{title}\n{content}", district=district, grid=grid)
    stored = _store_photos(actor, photos)
    now = timezone.now()
    order = WorkOrder(
        channel=channel,
        request_type=request_type,
        urgency=urgency,
        category=category,
        title=title,
        content=content,
        address=address,
        latitude=lat,
        longitude=lng,
        grid=grid,
        district=district,
        caller_name=caller_name,
        caller_phone=phone,
        anonymous=bool(anonymous),
        reporter=_person(reporter),
        registered_by=_person(actor),
        unit=centre(),
        suggestion=suggestion or {},
        related_case=related_case,
        source_ref=source_ref,
        created_at=now,
        updated_at=now,
    )
    order.number = numbering.next_number(at=now)
    order.save(force_insert=True)
    OrderPhoto.objects.bulk_create([OrderPhoto(order=order, file=f, added_at=now) for f in stored])
    common.start(actor, order)
    audit.record(
        actor,
        "hotline.order.register",
        order,
        details={
            "number": order.number,
            "channel": channel,
            "request_type": request_type,
            "category": category.code if category else None,
            "grid": grid.code if grid else None,
            "photos": len(stored),
            "source_ref": source_ref or None,
        },
    )
    events.publish(
        "governance.order.registered",
        {
            "order": order.number,
            "channel": channel,
            "category": category.code if category else "",
            "district": district.pk if district else None,
        },
        key=order.number,
    )
    return order


def _store_photos(actor, photos: list) -> list:
    """Keep the uploaded photos (JPEG / PNG); anything else is a field error on ``photos``.
    Called inside the registering transaction: a refusal of any photo writes no order."""
    from shuzheng.foundation.files import services as files

    stored = []
    for index, upload in enumerate(photos, start=1):
        try:
            stored.append(files.store(actor, PHOTO_USE, upload))
        except ValidationError as exc:
            messages = exc.messages if hasattr(exc, "error_dict") else [exc.message]
            raise ValidationError(
                {
                    "photos": [
                        ValidationError(
                            _("第 %(n)s 张照片：%(why)s") % {"n": index, "why": message},
                            code="invalid_photo",
                        )
                        for message in messages
                    ]
                }
            ) from None
    return stored


# --------------------------------------------------------------------------- 诉求人信息


def reveal_caller(actor, order: WorkOrder, *, reason: str, request=None) -> dict:
    """查看完整诉求人信息: ``identity.reveal_pii`` on the order (its unit's subtree, or the
    reporter themselves) and a stated purpose; every reveal — and every refused one — is
    audited. An anonymous caller's name stays hidden from handlers."""
    identity.audited_reveal(
        actor,
        order,
        action="hotline.order.reveal_caller",
        fields=["caller_name", "caller_phone"],
        reason=str(reason or ""),
        request=request,
    )
    own = order.reporter_id is not None and order.reporter_id == getattr(actor, "pk", None)
    hidden = order.anonymous and not own
    return {
        "caller_name": _("匿名") if hidden else order.caller_name,
        "caller_phone": order.caller_phone,
        "anonymous": order.anonymous,
    }
