"""Pages: 窗口代办 — the window clerk takes in an application for a person at the counter:
find them by document (the blind index), register them if unknown (when the clerk may),
choose the item, then the same form-and-materials page as the portal, in the workbench,
marked 代办. Every step is the applicant services' own (``services.apply``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.identity import selectors as identity
from shuzheng.foundation.identity import services as identity_services
from shuzheng.foundation.identity import validators
from shuzheng.foundation.identity.models import NaturalPerson
from shuzheng.foundation.identity.validators import IdType, mask_id_number
from shuzheng.foundation.trust import pii
from shuzheng.foundation.web.views import require
from shuzheng.services.cases.models import CaseState
from shuzheng.services.cases.selectors import applicant as selectors
from shuzheng.services.cases.services import apply
from shuzheng.services.cases.views.portal import draft_page
from shuzheng.services.catalogue import selectors as catalogue

FIELDS = ("id_type", "id_number", "name", "mobile", "item", "agent_note", "q")


def _find_person(user, id_type: str, number: str) -> NaturalPerson | None:
    rows = identity.persons(user).filter(pii.lookup(NaturalPerson, "id_number", number))
    return rows.filter(id_type=id_type).first()


def _person_for(user, data: dict) -> NaturalPerson:
    """The person at the counter, by document; registered now if unknown and the clerk may
    register persons. Field errors name what is wrong."""
    id_type = data["id_type"]
    if id_type not in IdType.values:
        raise ValidationError({"id_type": _("请选择证件类型")})
    try:
        number = validators.normalize_id_number(id_type, data["id_number"])
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from None
    person = _find_person(user, id_type, number)
    name = data["name"].strip()
    if person is not None:
        if name and name != person.name:
            raise ValidationError({"name": _("姓名与登记信息不符，请核对证件")})
        return person
    if not access.holds(user, "identity.register_person"):
        raise ValidationError(
            {"id_number": _("未找到该证件的登记人员；您无权登记新人员，请联系有登记权限的同事")}
        )
    if not name:
        raise ValidationError({"name": _("首次办理，请填写姓名以登记申请人")})
    return identity_services.register_person(
        user, name=name, id_type=id_type, id_number=number, mobile=data["mobile"].strip()
    )


def _items(q: str):
    q = (q or "").strip()
    if not q:
        return []
    rows = catalogue.published_items().filter(current__name__icontains=q)
    exact = catalogue.published_items().filter(implementation_code=q)
    return list((exact | rows).order_by("current__name")[:20])


@require("cases.apply_on_behalf")
def intake(request):
    """窗口代办 — 第一步: the applicant (by document) and the item."""
    user = request.user
    data = {f: (request.POST.get(f) or request.GET.get(f) or "").strip() for f in FIELDS}
    data["id_type"] = data["id_type"] or IdType.RESIDENT_ID
    errors: dict = {}
    if request.method == "POST" and request.POST.get("_action") == "start":
        try:
            try:
                item = catalogue.item_by_code(data["item"])
            except Http404:
                raise ValidationError({"item": _("请选择要办理的事项")}) from None
            person = _person_for(user, data)
            case = apply.create_draft(
                user, item, on_behalf_of=person, agent_note=data["agent_note"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                errors = {k: v[0] for k, v in exc.message_dict.items()}
            else:
                messages.error(request, exc.messages[0])
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已为申请人创建代办申请，请继续填写"))
            return redirect("cases:window-draft", pk=case.pk)
    recent = (
        selectors.window_cases(user)
        .filter(submitted_by=user)
        .select_related("item_version")
        .order_by("-pk")[:20]
    )
    return render(
        request,
        "cases/window/intake.html",
        {
            "data": data,
            "errors": errors,
            "id_types": IdType.choices,
            "items": _items(data["q"] or data["item"]),
            "recent": recent,
            "may_register": access.holds(user, "identity.register_person"),
        },
        status=400 if errors else 200,
    )


def _window_receipt_url(case) -> str:
    return reverse("cases:window-receipt", kwargs={"pk": case.pk})


@require("cases.apply_on_behalf")
def draft(request, pk: int):
    """窗口代办 — 第二步: the form and the materials, then submission."""
    case = selectors.window_case(request.user, pk)
    if case.state not in (CaseState.DRAFT, CaseState.CORRECTION):
        return redirect(_window_receipt_url(case))
    person = case.person
    return draft_page(
        request,
        case,
        template="cases/window/draft.html",
        receipt_url=_window_receipt_url,
        base_context={"applicant_masked": mask_id_number(person.id_number) if person else ""},
    )


@require("cases.apply_on_behalf")
def receipt(request, pk: int):
    """代办回执, printed for the person at the counter."""
    case = selectors.window_case(request.user, pk)
    if not case.number:
        raise Http404
    return render(
        request, "cases/window/receipt.html", {"case": case, "receipt": selectors.receipt(case)}
    )


urlpatterns = [
    path("workbench/window/", intake, name="window-apply"),
    path("workbench/window/drafts/<int:pk>/", draft, name="window-draft"),
    path("workbench/window/cases/<int:pk>/receipt/", receipt, name="window-receipt"),
]
