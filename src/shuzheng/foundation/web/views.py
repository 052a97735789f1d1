"""Portal, workbench and operations-centre pages: thin over selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shuzheng.foundation import access
from shuzheng.foundation.access import selectors as access_selectors
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role, RoleGrant
from shuzheng.foundation.api.problems import audit_refusal, django_problem_response
from shuzheng.foundation.identity import selectors
from shuzheng.foundation.identity.models import Organisation, OrgKind, StaffProfile
from shuzheng.foundation.identity.validators import mask_id_number, mask_mobile
from shuzheng.foundation.web.context import CARE_COOKIE


def require(perm: str):
    """Page decorator: signed in, and holding ``perm`` somewhere."""

    def decorate(view):
        @login_required
        def wrapper(request, *args, **kwargs):
            access.require(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@require_POST
def toggle_care_mode(request):
    """适老化模式: larger type, higher contrast, simpler layout — remembered for a year."""
    response = HttpResponseRedirect(_safe_next(request, "/"))
    on = request.COOKIES.get(CARE_COOKIE) != "1"
    response.set_cookie(
        CARE_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response


# --- portal -----------------------------------------------------------------------------


def portal(request):
    q = (request.GET.get("q") or "").strip()
    user = request.user
    context = {"q": q}
    if q:
        context["results"] = selectors.organisations(user, q=q)[:50]
    root = selectors.organisations(user, kind=OrgKind.CITY).first()
    context["root"] = root
    if root is not None:
        children = selectors.organisations(user, parent=root)
        context["departments"] = [o for o in children if o.kind == OrgKind.DEPARTMENT]
        context["districts"] = [o for o in children if o.kind in (OrgKind.DISTRICT, OrgKind.ZONE)]
    return render(request, "portal/home.html", context)


def organisation_detail(request, pk: int):
    try:
        org = selectors.organisation(request.user, pk)
    except Organisation.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "portal/organisation.html",
        {
            "org": org,
            "ancestors": org.ancestors(),
            "children": selectors.organisations(request.user, parent=org),
        },
    )


@login_required
def after_login(request):
    if access.holds(request.user, "web.use_workbench"):
        return redirect("web:workbench")
    return redirect("web:me")


@login_required
def me(request):
    """我的: one's own record, the enterprises one acts for, and the roles one holds."""
    user = request.user
    person = selectors.persons(user).filter(user=user).first()
    return render(
        request,
        "portal/me.html",
        {
            "person": person,
            "id_masked": mask_id_number(person.id_number) if person else "",
            "mobile_masked": mask_mobile(person.mobile) if person and person.mobile else "",
            "agencies": selectors.my_agencies(user),
            "grants": access_selectors.grants(user, holder=user),
        },
    )


# --- workbench --------------------------------------------------------------------------


@require("web.use_workbench")
def workbench(request):
    user = request.user
    return render(
        request,
        "workbench/home.html",
        {
            "staff_profile": getattr(user, "staff", None),
            "grants": access_selectors.grants(user, holder=user),
            "staff_count": selectors.staff(user).count(),
        },
    )


@require("identity.view_staff")
def staff_list(request):
    q = (request.GET.get("q") or "").strip()
    page = Paginator(selectors.staff(request.user, q=q or None), 25).get_page(
        request.GET.get("page")
    )
    template = (
        "workbench/_staff_rows.html"
        if request.headers.get("HX-Request")
        else "workbench/staff_list.html"
    )
    return render(request, template, {"page": page, "q": q})


@require("identity.view_staff")
def staff_detail(request, pk: int):
    try:
        member = selectors.staff_member(request.user, pk)
    except StaffProfile.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "workbench/staff_detail.html",
        {
            "member": member,
            "grants": access_selectors.grants(request.user, holder=member.user),
        },
    )


@require("web.use_workbench")
def org_tree(request):
    orgs = selectors.organisations(request.user).annotate(staff_count=Count("staff"))
    return render(request, "workbench/org_tree.html", {"orgs": orgs})


@require("access.grant_role")
def grant_list(request):
    """角色授权 (安全管理员): grant a role on an organisation subtree, or revoke one."""
    user = request.user
    if request.method == "POST":
        try:
            username = request.POST.get("username", "").strip()
            holder = selectors.staff(user).get(user__username=username).user
            role = access_selectors.roles(user).get(code=request.POST.get("role"))
            org = selectors.organisation(user, int(request.POST.get("organisation") or 0))
            access_services.grant_role(user, user=holder, role=role, organisation=org)
            messages.success(
                request, _("已授予 %(user)s 角色“%(role)s”") % {"user": holder, "role": role}
            )
            return redirect("web:grant-list")
        except StaffProfile.DoesNotExist:
            messages.error(request, _("找不到该登录名"))
        except (ValueError, Organisation.DoesNotExist, Role.DoesNotExist):
            messages.error(request, _("请选择有效的角色和机构"))
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
    page = Paginator(access_selectors.grants(user), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/grants.html",
        {
            "page": page,
            "roles": access_selectors.roles(user),
            "orgs": selectors.organisations_where(user, "access.grant_role").filter(depth__lte=2),
            "form": request.POST,
        },
    )


@require_POST
@require("access.grant_role")
def grant_revoke(request, pk: int):
    try:
        grant = access_selectors.grant(request.user, pk)
        access_services.revoke_role(request.user, grant)
        messages.success(request, _("已撤销授权"))
    except RoleGrant.DoesNotExist:
        raise Http404 from None
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("web:grant-list")


# --- operations centre ------------------------------------------------------------------


@require("web.view_ops")
def ops(request):
    """运行中心: the city's structure at a glance (later issues add live indicators)."""
    user = request.user
    orgs = selectors.organisations(user)
    by_kind = {row["kind"]: row["n"] for row in orgs.values("kind").annotate(n=Count("pk"))}
    areas = [
        {
            "org": area,
            "units": orgs.filter(
                path__startswith=area.path, kind__in=[OrgKind.STREET, OrgKind.TOWN]
            ).count(),
            "staff": selectors.staff(user, organisation=area).count(),
        }
        for area in orgs.filter(kind__in=[OrgKind.DISTRICT, OrgKind.ZONE])
    ]
    return render(
        request,
        "ops/home.html",
        {
            "kinds": [(label, by_kind.get(value, 0)) for value, label in OrgKind.choices],
            "areas": areas,
            "staff_total": selectors.staff(user).count(),
        },
    )


# --- errors -----------------------------------------------------------------------------


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return django_problem_response(request, 404)
    return render(
        request, "web/error.html", {"status": 404, "message": _("页面不存在")}, status=404
    )


def handler500(request):
    if request.path.startswith("/api/"):
        return django_problem_response(request, 500)
    return render(
        request,
        "web/error.html",
        {"status": 500, "message": _("服务器内部错误，请稍后再试")},
        status=500,
    )


def handler403(request, exception=None):
    audit_refusal(request, exception)
    return render(
        request,
        "web/error.html",
        {"status": 403, "message": str(exception) or _("无权访问")},
        status=403,
    )
