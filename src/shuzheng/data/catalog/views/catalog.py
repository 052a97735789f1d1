"""Pages: the catalogue (目录) with its search and facets, my department's working copies
and the review queue; one entry with its items, versions and grading history and the
actions open to the user; the entry form and the items editor. Every form carries the
revision the user saw: a page overtaken by someone else changes nothing."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.forms import formset_factory
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.data.catalog import masking, selectors, services
from shuzheng.data.catalog.models import (
    VISIBLE_STATES,
    CatalogueKind,
    DataType,
    EntryStatus,
    Grade,
    ImpactDegree,
    ImpactObject,
    MaskRule,
    OpenType,
    ResourceFormat,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from shuzheng.data.catalog.transfer import ITEM_LABEL, entry_data, item_column
from shuzheng.data.catalog.views import forms
from shuzheng.data.catalog.views.common import (
    CONFLICT,
    EDIT,
    REVIEW,
    REVIEW_GRADING,
    VIEW,
    apply_errors,
    int_or_none,
    may,
    staff_page,
)
from shuzheng.foundation import access, workflow
from shuzheng.foundation.identity.models import Organisation

PAGE_SIZE = 50
MAX_EXTRA_ROWS = 20
TABS = {
    "catalog": gettext_lazy("政务数据目录"),
    "mine": gettext_lazy("本部门编目"),
    "review": gettext_lazy("待审核"),
}
# list filter → (model field, choices); the facets shown beside the list
FACETS = {
    "provider": ("provider", None),
    "kind": ("kind", CatalogueKind),
    "share_type": ("share_type", ShareType),
    "grade": ("grade", Grade),
    "update_cycle": ("update_cycle", UpdateCycle),
}
FACET_LABELS = {
    "provider": gettext_lazy("提供方"),
    "kind": gettext_lazy("目录类别"),
    "share_type": gettext_lazy("共享类型"),
    "grade": gettext_lazy("数据级别"),
    "update_cycle": gettext_lazy("更新周期"),
}
LABELS = {
    "kind": CatalogueKind,
    "resource_format": ResourceFormat,
    "update_cycle": UpdateCycle,
    "share_type": ShareType,
    "share_method": ShareMethod,
    "open_type": OpenType,
    "grade": Grade,
    "impact_object": ImpactObject,
    "impact_degree": ImpactDegree,
    "data_type": DataType,
    "mask": MaskRule,
}
DELIVERY_LABELS = {
    masking.CLEAR: gettext_lazy("明文"),
    masking.MASKED: gettext_lazy("脱敏"),
    masking.WITHHELD: gettext_lazy("不提供"),
}
STATUS_BADGES = {
    EntryStatus.DRAFT: "text-bg-secondary",
    EntryStatus.REVIEWING: "text-bg-warning",
    EntryStatus.PUBLISHED: "text-bg-success",
    EntryStatus.REVISING: "text-bg-info",
    EntryStatus.WITHDRAWN: "text-bg-dark",
}


def label(kind: str, value) -> str:
    choices = LABELS.get(kind)
    if choices is None or value in (None, ""):
        return "" if value is None else str(value)
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def labelled(data: dict) -> dict:
    """An entry or item dict with ``<key>_label`` for every choice it holds."""
    out = dict(data)
    for key in LABELS:
        if key in data:
            out[f"{key}_label"] = label(key, data[key])
    return out


def grade_rank(grade: str) -> int:
    from shuzheng.data.catalog.models import GRADE_RANK

    return GRADE_RANK.get(grade or "", 0)


# --------------------------------------------------------------------------- the list


def _filters(request) -> dict:
    get = request.GET
    values = {}
    provider = int_or_none(get.get("provider"))
    if provider:
        values["provider"] = provider
    for name, (_field, choices) in FACETS.items():
        if choices is not None and get.get(name) in choices.values:
            values[name] = get.get(name)
    status = get.get("status")
    if status in EntryStatus.values:
        values["status"] = status
    return values


def _facets(base, filters: dict, params: dict) -> list[dict]:
    """Each facet with its values and counts, counted over the list filtered by the others;
    ``params`` (tab, query, filters) make each value's link (a chosen value's link clears it)."""
    out = []
    for name, (field, choices) in FACETS.items():
        others = {k: v for k, v in filters.items() if k != name}
        rows = (
            selectors.filtered(base, **others).values(field).annotate(n=Count("pk")).order_by(field)
        )
        counts = {row[field]: row["n"] for row in rows}
        if choices is None:
            orgs = Organisation.objects.filter(pk__in=list(counts)).order_by("path")
            values = [(org.pk, org.name) for org in orgs]
        else:
            values = [(v, lbl) for v, lbl in choices.choices if v in counts]
        selected = str(filters.get(name, ""))
        others = {k: v for k, v in params.items() if k != name}
        out.append(
            {
                "name": name,
                "label": FACET_LABELS[name],
                "selected": selected,
                "values": [
                    {
                        "value": str(v),
                        "label": lbl,
                        "count": counts.get(v, 0),
                        "chosen": str(v) == selected,
                        "url": "?"
                        + urlencode(others if str(v) == selected else {**others, name: v}),
                    }
                    for v, lbl in values
                ],
            }
        )
    return out


def _row(entry, *, published: bool) -> dict:
    """A list row: the publication for the catalogue tab, the working copy otherwise."""
    data = (entry.published or {}) if published else {}
    pick = lambda key: data.get(key) or getattr(entry, key)  # noqa: E731
    return {
        "entry": entry,
        "code": entry.code,
        "name": pick("name"),
        "provider": data.get("provider_name") or entry.provider.name,
        "kind": label("kind", pick("kind")),
        "share_type": label("share_type", pick("share_type")),
        "grade": pick("grade"),
        "grade_label": label("grade", pick("grade")),
        "update_cycle": label("update_cycle", pick("update_cycle")),
        "status": entry.get_status_display(),
        "status_badge": STATUS_BADGES.get(entry.status, "text-bg-secondary"),
        "updated_at": entry.updated_at,
    }


@staff_page(VIEW)
def catalog_page(request):
    """政务数据目录: search and facets over the visible catalogue; 本部门编目 (working
    copies) for editors; 待审核 for reviewers."""
    user = request.user
    may_edit, may_review = access.holds(user, EDIT), access.holds(user, REVIEW)
    tab = request.GET.get("tab") or "catalog"
    if tab not in TABS or (tab == "mine" and not may_edit) or (tab == "review" and not may_review):
        raise Http404(_("没有这个目录页签"))
    filters = _filters(request)
    q = " ".join((request.GET.get("q") or "").split())[: selectors.MAX_QUERY]
    if tab == "catalog":
        base = selectors.visible_entries(user).filter(status__in=VISIBLE_STATES)
        filters.pop("status", None)
    elif tab == "mine":
        base = selectors.own_entries(user)
    else:
        base = selectors.review_queue(user)
        filters.pop("status", None)
    results = None
    page = None
    offset = max(int_or_none(request.GET.get("offset")) or 0, 0)
    if q and tab == "catalog":
        facets = {k: v for k, v in filters.items() if k in FACETS}
        results = selectors.search(user, q, facets=facets, limit=PAGE_SIZE, offset=offset)
        entries = [hit.object for hit in results]
    else:
        rows = selectors.filtered(base, **filters)
        if q:
            rows = rows.filter(Q(name__icontains=q) | Q(code__startswith=q))
        order = ("updated_at", "pk") if tab == "review" else ("code",)
        page = Paginator(rows.order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
        entries = list(page)
    kept = {k: v for k, v in filters.items()}
    if q:
        kept["q"] = q
    tabs = [
        {
            "name": name,
            "label": text,
            "url": "?" + urlencode({"tab": name}),
            "count": selectors.review_queue(user).count() if name == "review" else None,
        }
        for name, text in TABS.items()
        if name == "catalog" or (name == "mine" and may_edit) or (name == "review" and may_review)
    ]
    context = {
        "tab": tab,
        "tabs": tabs,
        "q": q,
        "rows": [_row(e, published=tab == "catalog") for e in entries],
        "page": page,
        "results": results,
        "facets": _facets(base, filters, {"tab": tab, **kept}),
        "statuses": EntryStatus.choices if tab == "mine" else [],
        "status": filters.get("status", ""),
        "query": urlencode({"tab": tab, **kept}),
        "next_url": "?" + urlencode({"tab": tab, **kept, "offset": offset + PAGE_SIZE})
        if results is not None and results.has_more
        else "",
        "previous_url": "?" + urlencode({"tab": tab, **kept, "offset": max(offset - PAGE_SIZE, 0)})
        if results is not None and offset
        else "",
        "may_edit": may_edit,
        "may_review_grading": access.holds(user, REVIEW_GRADING),
        "export_scope": "own" if tab == "mine" else "catalog",
    }
    partial = request.headers.get("HX-Request") and request.headers.get("HX-Target") == (
        "catalog-results"
    )
    template = "datacatalog/catalog/_results.html" if partial else "datacatalog/catalog/list.html"
    return render(request, template, context)


# --------------------------------------------------------------------------- one entry


def _sharing_url(user, entry) -> str:
    """申请共享 (the sharing pages): for a readable entry of another department."""
    if not entry.is_visible or not access.holds(user, "datasharing.request"):
        return ""
    if may(user, entry, EDIT):
        return ""
    try:
        base = reverse("datasharing:new")
    except Exception:  # noqa: BLE001 — sharing pages not mounted in this installation
        base = "/workbench/data/sharing/new/"
    return base + "?" + urlencode({"entry": entry.code})


def available_actions(user, entry) -> list[str]:
    """The lifecycle actions ``user`` may take on ``entry`` now, in page order."""
    owner = may(user, entry, EDIT)
    reviewer = may(user, entry, REVIEW)
    acts = []
    if owner and entry.status in services.EDITABLE_STATES:
        acts.append("submit")
    if reviewer and entry.status == EntryStatus.REVIEWING:
        acts += ["publish", "return"]
    if owner and entry.status == EntryStatus.PUBLISHED:
        acts.append("revise")
    if (owner or reviewer) and entry.status != EntryStatus.WITHDRAWN:
        acts.append("withdraw")
    return acts


def _submit(user, entry, data, revision):
    return services.submit(user, entry, revision=revision, note=data.get("note", ""))


def _publish(user, entry, data, revision):
    return services.publish(user, entry, revision=revision, note=data.get("note", ""))


def _return(user, entry, data, revision):
    return services.return_for_changes(user, entry, revision=revision, reason=data["reason"])


def _revise(user, entry, data, revision):
    return services.revise(user, entry, revision=revision)


def _withdraw(user, entry, data, revision):
    return services.withdraw(user, entry, revision=revision, reason=data["reason"])


# name → (label, form, run, danger)
ACTIONS = {
    "submit": (gettext_lazy("提交审核"), forms.NoteForm, _submit, False),
    "publish": (gettext_lazy("审核发布"), forms.NoteForm, _publish, False),
    "return": (gettext_lazy("退回修改"), forms.ReasonForm, _return, True),
    "revise": (gettext_lazy("发起修订"), forms.EmptyForm, _revise, False),
    "withdraw": (gettext_lazy("下线"), forms.ReasonForm, _withdraw, True),
}


def _items_rows(items: list[dict]) -> list[dict]:
    rows = []
    for item in items:
        how = masking.delivery(item, clear_granted=False)
        rows.append(
            {
                **labelled(item),
                "delivery": how,
                "delivery_label": DELIVERY_LABELS[how],
                "may_grant_clear": masking.may_grant_clear(item),
            }
        )
    return rows


def _grading_rows(records) -> list[dict]:
    return [
        {
            "record": r,
            "automatic": services.is_automatic(r),
            "from_label": label("grade", r.from_grade),
            "to_label": label("grade", r.to_grade),
            "impact_object_label": label("impact_object", r.impact_object),
            "impact_degree_label": label("impact_degree", r.impact_degree),
        }
        for r in records
    ]


def _detail_context(request, entry, *, failed=None, failed_form=None) -> dict:
    user = request.user
    working = selectors.sees_working_copy(user, entry)
    published = selectors.published_form(entry)
    shown = entry_data(entry, working=True) if working else published
    if shown is None:
        raise Http404(entry.code)
    if not working:
        shown = {
            **shown,
            "classification": {
                "code": shown.get("classification"),
                "name": shown.get("classification_name"),
            },
            "provider": {"name": shown.get("provider_name"), "uscc": shown.get("provider_code")},
            "maintainer": {"name": shown.get("maintainer_name")},
        }
    owner = may(user, entry, EDIT)
    actions = []
    for name in available_actions(user, entry):
        text, form_class, _run, danger = ACTIONS[name]
        form = failed_form if name == failed else form_class(prefix=name)
        actions.append(
            {"name": name, "label": text, "form": form, "danger": danger, "open": name == failed}
        )
    return {
        "entry": entry,
        "shown": labelled(shown),
        "working": working,
        "published": published,
        "items": _items_rows(shown.get("items") or []),
        "versions": list(selectors.versions(user, entry)[:50]),
        "gradings": _grading_rows(selectors.gradings(user, entry)[:100]),
        "owner": owner,
        "editable": owner and entry.status in services.EDITABLE_STATES,
        "may_propose": owner and entry.status != EntryStatus.WITHDRAWN,
        "may_review_grading": may(user, entry, REVIEW_GRADING),
        "actions": actions,
        "status_badge": STATUS_BADGES.get(entry.status, "text-bg-secondary"),
        "sharing_url": _sharing_url(user, entry),
        "revision": entry.revision,
    }


@staff_page(VIEW)
def entry_page(request, code: str):
    """一条目录: what the user may read of it (owners and reviewers the working copy, the
    others the last publication), its items with level, personal-information flags and
    masking, versions, grading history, and the actions open to the user."""
    entry = selectors.get_entry(request.user, code)
    return render(request, "datacatalog/catalog/entry.html", _detail_context(request, entry))


@staff_page(VIEW)
def entry_action(request, code: str, action: str):
    """One lifecycle action from its form; a stale revision changes nothing."""
    if request.method != "POST":
        return redirect("datacatalog:entry", code=code)
    user = request.user
    entry = selectors.get_entry(user, code)
    if action not in ACTIONS:
        raise Http404(_("没有这个操作"))
    text, form_class, run, _danger = ACTIONS[action]
    if action not in available_actions(user, entry):
        raise PermissionDenied(_("您当前不能对该目录执行“%(label)s”") % {"label": text})
    revision = int_or_none(request.POST.get("revision"))
    if revision != entry.revision:
        messages.error(request, str(CONFLICT))
        return redirect("datacatalog:entry", code=code)
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            run(user, entry, form.cleaned_data, revision)
        except workflow.Conflict:
            messages.error(request, str(CONFLICT))
            return redirect("datacatalog:entry", code=code)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已办理：%(label)s") % {"label": text})
            return redirect("datacatalog:entry", code=code)
    entry = selectors.get_entry(user, code)
    context = _detail_context(request, entry, failed=action, failed_form=form)
    return render(request, "datacatalog/catalog/entry.html", context, status=400)


# --------------------------------------------------------------------------- editing


def _own(request, code: str):
    """The entry, when the user edits its provider's catalogue (else 404 / 403)."""
    entry = selectors.get_entry(request.user, code)
    access.check(request.user, entry, EDIT)
    return entry


def _form_page(request, form, *, entry=None, status=200, conflict=False):
    return render(
        request,
        "datacatalog/catalog/form.html",
        {
            "form": form,
            "entry": entry,
            "revision": entry.revision if entry is not None else 0,
            "conflict": conflict,
        },
        status=status,
    )


@staff_page(EDIT)
def entry_new(request):
    """编目: a new draft of one of the user's departments; the items follow."""
    user = request.user
    if request.method != "POST":
        home = getattr(getattr(user, "staff", None), "organisation", None)
        initial = {"on_platform": True}
        if home is not None and forms.editable_organisations(user).filter(pk=home.pk).exists():
            initial["provider"] = home.pk
        return _form_page(request, forms.EntryForm(user=user, initial=initial))
    form = forms.EntryForm(request.POST, user=user)
    if form.is_valid():
        try:
            entry = services.create_entry(user, items=(), **form.service_values())
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("provider", str(exc))
        else:
            messages.success(request, _("已创建草稿 %(code)s，请填写信息项") % {"code": entry.code})
            return redirect("datacatalog:entry-items", code=entry.code)
    return _form_page(request, form, status=400)


@staff_page(EDIT)
def entry_edit(request, code: str):
    """修改目录 (草稿 / 修订中): the revision the editor saw travels with the form."""
    user = request.user
    entry = _own(request, code)
    if entry.status not in services.EDITABLE_STATES:
        messages.error(request, _("只有草稿或修订中的目录可以修改"))
        return redirect("datacatalog:entry", code=code)
    if request.method != "POST":
        form = forms.EntryForm(user=user, entry=entry, initial=forms.EntryForm.initial_of(entry))
        return _form_page(request, form, entry=entry)
    form = forms.EntryForm(request.POST, user=user, entry=entry)
    if form.is_valid():
        try:
            services.update_entry(
                user, entry, revision=request.POST.get("revision"), **form.service_values()
            )
        except workflow.Conflict:
            messages.error(request, str(CONFLICT))
            return _form_page(request, form, entry=entry, status=409, conflict=True)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("datacatalog:entry", code=code)
    return _form_page(request, form, entry=entry, status=400)


ITEM_NUMBER = re.compile(r"^第 (\d+) 项")


def _items_page(request, entry, formset, *, general=(), status=200, conflict=False, extra=1):
    return render(
        request,
        "datacatalog/catalog/items.html",
        {
            "entry": entry,
            "formset": formset,
            "general_errors": list(general),
            "revision": entry.revision,
            "conflict": conflict,
            "more_url": "?" + urlencode({"extra": min(extra + 5, MAX_EXTRA_ROWS)}),
        },
        status=status,
    )


def _item_errors(exc: ValidationError, kept: list, general: list) -> None:
    """The service's item messages ("第 n 项「…」：…") onto the n-th kept form."""
    for name, messages_ in (exc.message_dict if hasattr(exc, "error_dict") else {}).items():
        for message in messages_:
            match = ITEM_NUMBER.match(message)
            n = int(match.group(1)) if match and name == "items" else 0
            if 1 <= n <= len(kept):
                form = kept[n - 1]
                column = item_column(message)
                form.add_error(
                    column if column in form.fields else None, ITEM_LABEL.sub("", message)
                )
            else:
                general.append(message)
    if not hasattr(exc, "error_dict"):
        general.extend(exc.messages)


@staff_page(EDIT)
def entry_items(request, code: str):
    """信息项编辑: the whole list at once (rows in order; a blank row is ignored, a ticked
    删除 drops the row); field errors under their cells."""
    user = request.user
    entry = _own(request, code)
    if entry.status not in services.EDITABLE_STATES:
        messages.error(request, _("只有草稿或修订中的目录可以修改信息项"))
        return redirect("datacatalog:entry", code=code)
    if request.method != "POST":
        initial = [
            {k: getattr(i, k) for k in forms.ItemForm.base_fields}
            for i in entry.items.order_by("sort_order", "pk")
        ]
        extra = min(max(int_or_none(request.GET.get("extra")) or 0, 0), MAX_EXTRA_ROWS)
        extra = max(extra, 1 if initial else 3)
        formset = formset_factory(forms.ItemForm, extra=extra, can_delete=True, max_num=500)(
            initial=initial, prefix="items"
        )
        return _items_page(request, entry, formset, extra=extra)
    formset = forms.ItemFormSet(request.POST, prefix="items")
    if not formset.is_valid():
        return _items_page(request, entry, formset, status=400)
    deleted = {id(f) for f in formset.deleted_forms}
    kept = [f for f in formset.forms if f.has_changed() and id(f) not in deleted]
    items = [{k: v for k, v in f.cleaned_data.items() if k != "DELETE"} for f in kept]
    general: list[str] = []
    try:
        services.set_items(user, entry, items, revision=request.POST.get("revision"))
    except workflow.Conflict:
        messages.error(request, str(CONFLICT))
        return _items_page(request, entry, formset, status=409, conflict=True)
    except ValidationError as exc:
        _item_errors(exc, kept, general)
        return _items_page(request, entry, formset, general=general, status=400)
    messages.success(request, _("已保存信息项（%(n)s 项）") % {"n": len(items)})
    return redirect("datacatalog:entry", code=code)


urlpatterns = [
    path("workbench/data/catalog/", catalog_page, name="catalog"),
    path("workbench/data/catalog/new/", entry_new, name="entry-new"),
    path("workbench/data/catalog/<entrycode:code>/", entry_page, name="entry"),
    path("workbench/data/catalog/<entrycode:code>/edit/", entry_edit, name="entry-edit"),
    path("workbench/data/catalog/<entrycode:code>/items/", entry_items, name="entry-items"),
    path(
        "workbench/data/catalog/<entrycode:code>/actions/<str:action>/",
        entry_action,
        name="entry-action",
    ),
]
