"""Shared bits of the 12345 pages: the page decorator, masking, error mapping, the deadline
flags of a row, the photo download, and the table of handling actions (which workflow
transitions offer an action, its form, and the ``services.loop`` call behind it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.foundation import access
from shuzheng.foundation.identity.validators import mask_mobile
from shuzheng.governance.hotline.models import TIMED_STATES, OrderPhoto
from shuzheng.governance.hotline.views import forms

CONFLICT = gettext_lazy("该工单已被他人处理，请刷新后重试")


def staff_page(perm: str):
    """Workbench page decorator: signed in, may use the workbench, and holds ``perm``
    somewhere (the object itself is then reached through a scoped selector)."""

    def decorate(view):
        @login_required
        def wrapper(request, *args, **kwargs):
            access.require(request.user, "web.use_workbench")
            access.require(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


# --------------------------------------------------------------------------- small helpers


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def float_or_none(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no coordinate


def mask_name(name: str) -> str:
    """诉求人姓名 as handlers see it: 李*明, 李*."""
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def masked_phone(phone: str) -> str:
    return mask_mobile(phone) if phone else ""


def caller_of(order) -> dict:
    """The caller as a handler sees them: masked, or 匿名."""
    if order.anonymous:
        return {"name": _("匿名"), "phone": masked_phone(order.caller_phone), "anonymous": True}
    return {
        "name": mask_name(order.caller_name),
        "phone": masked_phone(order.caller_phone),
        "anonymous": False,
    }


def errors_of(exc: ValidationError) -> tuple[dict[str, list[str]], list[str]]:
    """Field errors by field, and the messages that belong to no field."""
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        general = fields.pop("__all__", [])
        return fields, general
    return {}, [str(m) for m in exc.messages]


def apply_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError onto ``form``: a field it names gets its message
    under that field (``aliases`` rename service fields to form fields), the rest become
    the form's own errors."""
    fields, general = errors_of(exc)
    for name, messages in fields.items():
        target = (aliases or {}).get(name, name)
        for message in messages:
            if target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, message)
    for message in general:
        form.add_error(None, message)


def deadline_flags(order, now=None) -> dict:
    """签收 and 办结 deadlines of a row: overdue (红) / approaching (黄)."""
    now = now or timezone.now()
    timed = order.state in TIMED_STATES and order.sla_state == "running"  # as the queues
    overdue = bool(timed and order.due_at and now > order.due_at)
    sign_overdue = bool(
        order.state == "dispatched" and order.sign_due_at and now > order.sign_due_at
    )
    approaching = bool(
        timed and not overdue and order.urge_at and order.due_at and now >= order.urge_at
    )
    return {"overdue": overdue, "sign_overdue": sign_overdue, "approaching": approaching}


def photo_response(order, pk: int):
    """One photo of an order the user may see (the same scope as the page)."""
    from shuzheng.foundation.files import selectors as files

    photo = (
        OrderPhoto.objects.select_related("file")
        .filter(
            pk=pk,
            order=order,
            file__deleted_at__isnull=True,
            file__purged_at__isnull=True,
        )
        .first()
    )
    if photo is None:
        raise Http404
    stored = photo.file
    response = FileResponse(
        files.open_content(stored), filename=stored.name, content_type=stored.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- handling actions


@dataclass(frozen=True)
class Act:
    """One action form on the order page. ``transitions`` are the workflow transitions that
    offer it (the callback form stands for both 办结 and 重办); ``run`` calls the loop."""

    name: str
    label: object
    transitions: tuple[str, ...]
    form: type
    run: Callable
    danger: bool = False
    aliases: tuple[tuple[str, str], ...] = ()


def _loop():
    from shuzheng.governance.hotline.services import loop

    return loop


def _answer(user, order, data, revision):
    return _loop().answer(user, order, answer=data["answer"], revision=revision)


def _merge(user, order, data, revision):
    return _loop().merge(user, order, data["master"], reason=data["reason"], revision=revision)


def _dispatch(user, order, data, revision):
    return _loop().dispatch(
        user,
        order,
        unit=data["unit"],
        category=data.get("category"),
        co_units=tuple(data.get("co_units") or ()),
        opinion=data.get("opinion", ""),
        revision=revision,
    )


def _forward(user, order, data, revision):
    return _loop().forward(
        user, order, unit=data["unit"], opinion=data.get("opinion", ""), revision=revision
    )


def _reassign(user, order, data, revision):
    return _loop().reassign(
        user, order, unit=data["unit"], opinion=data.get("opinion", ""), revision=revision
    )


def _sign(user, order, data, revision):
    return _loop().sign(user, order, revision=revision)


def _return(user, order, data, revision):
    return _loop().return_order(user, order, reason=data["reason"], revision=revision)


def _request_extension(user, order, data, revision):
    return _loop().request_extension(
        user, order, days=data["days"], reason=data["reason"], revision=revision
    )


def _approve_extension(user, order, data, revision):
    return _loop().decide_extension(
        user, order, approve=True, opinion=data["opinion"], revision=revision
    )


def _reject_extension(user, order, data, revision):
    return _loop().decide_extension(
        user, order, approve=False, reason=data["reason"], revision=revision
    )


def _reply(user, order, data, revision):
    return _loop().reply(user, order, reply=data["reply"], revision=revision)


def _approve_reply(user, order, data, revision):
    return _loop().review(user, order, approve=True, revision=revision)


def _reject_reply(user, order, data, revision):
    return _loop().review(user, order, approve=False, reason=data["reason"], revision=revision)


def _callback(user, order, data, revision):
    return _loop().callback(
        user,
        order,
        satisfaction=data["satisfaction"],
        score=data.get("score"),
        comment=data.get("comment", ""),
        reason=data.get("reason", ""),
        revision=revision,
    )


def _urge(user, order, data, revision):
    return _loop().urge(user, order, kind=data["kind"], note=data["note"], revision=revision)


ACTS: dict[str, Act] = {
    a.name: a
    for a in (
        Act("sign", gettext_lazy("签收"), ("sign",), forms.EmptyForm, _sign),
        Act(
            "dispatch",
            gettext_lazy("派单"),
            ("dispatch",),
            forms.DispatchForm,
            _dispatch,
        ),
        Act("forward", gettext_lazy("下派"), ("forward",), forms.UnitForm, _forward),
        Act("reassign", gettext_lazy("改派"), ("reassign",), forms.UnitForm, _reassign),
        Act(
            "answer",
            gettext_lazy("直接答复办结"),
            ("answer",),
            forms.AnswerForm,
            _answer,
            aliases=(("opinion", "answer"),),
        ),
        Act(
            "merge",
            gettext_lazy("并入重复工单"),
            ("merge",),
            forms.MergeForm,
            _merge,
            aliases=(("master", "master"),),
        ),
        Act(
            "reply",
            gettext_lazy("回复办理结果"),
            ("reply",),
            forms.ReplyForm,
            _reply,
            aliases=(("opinion", "reply"),),
        ),
        Act(
            "request_extension",
            gettext_lazy("申请延期"),
            ("request_extension",),
            forms.ExtensionForm,
            _request_extension,
        ),
        Act(
            "approve_extension",
            gettext_lazy("批准延期"),
            ("approve_extension",),
            forms.OpinionForm,
            _approve_extension,
        ),
        Act(
            "reject_extension",
            gettext_lazy("驳回延期"),
            ("reject_extension",),
            forms.ReasonForm,
            _reject_extension,
            danger=True,
        ),
        Act(
            "approve_reply",
            gettext_lazy("审核通过"),
            ("approve_reply",),
            forms.EmptyForm,
            _approve_reply,
        ),
        Act(
            "reject_reply",
            gettext_lazy("审核退回"),
            ("reject_reply",),
            forms.ReasonForm,
            _reject_reply,
            danger=True,
        ),
        Act(
            "callback",
            gettext_lazy("回访"),
            ("close", "rework"),
            forms.CallbackForm,
            _callback,
        ),
        Act(
            "return",
            gettext_lazy("退单"),
            ("return",),
            forms.ReasonForm,
            _return,
            danger=True,
        ),
        Act("urge", gettext_lazy("催办督办"), (), forms.UrgeForm, _urge),
    )
}


def available_acts(user, order) -> list[Act]:
    """The actions the workflow offers ``user`` on ``order`` now, in page order; 催办督办 for a
    supervisor while the handling unit's clock runs."""
    from shuzheng.foundation import workflow

    offered = set()
    if order.workflow_id is not None:
        offered = {t.name for t in workflow.available_actions(user, order.workflow)}
    acts = [a for a in ACTS.values() if offered.intersection(a.transitions)]
    if order.state in TIMED_STATES and may(user, order, "hotline.supervise"):
        acts.append(ACTS["urge"])
    return acts


def may(user, order, perm: str) -> bool:
    from django.core.exceptions import PermissionDenied

    try:
        access.check(user, order, perm)
    except PermissionDenied:
        return False
    return True
