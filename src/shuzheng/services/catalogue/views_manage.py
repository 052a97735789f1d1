"""事项管理 in the workbench: the items of the editor's organisations, their versions, the
draft's editing form (fields, materials, fees, Q&A, themes), submit, review (approve or
return), withdraw, and import / export of the catalogue as JSON or an Excel workbook.
Thin: every change is a catalogue service; every read a selector."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.forms.models import fields_for_model
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shuzheng.foundation import access
from shuzheng.foundation.identity import selectors as identity
from shuzheng.foundation.web.views import require
from shuzheng.services.catalogue import io, selectors, services
from shuzheng.services.catalogue.models import (
    BasicItem,
    Fee,
    ItemVersion,
    Material,
    Question,
    Theme,
    VersionStatus,
)

EDIT = services.EDIT
PAGE = 50
MAX_UPLOAD = 20 * 1024 * 1024
SECTIONS = [
    (
        gettext_lazy("基本信息"),
        ["name", "short_name", "item_type", "implementer_nature", "entrusted_department"],
    ),
    (gettext_lazy("设定依据与受理条件"), ["legal_basis", "acceptance_conditions"]),
    (
        gettext_lazy("办理时限"),
        ["legal_limit", "legal_limit_unit", "promised_limit", "promised_limit_unit", "trips"],
    ),
    (
        gettext_lazy("办理方式"),
        [
            "case_kind",
            "audience",
            "online_depth",
            "scope",
            "process",
            "handling_forms",
            "review_steps",
            "appointment",
            "express",
            "online_payment",
            "commitment",
        ],
    ),
    (
        gettext_lazy("地点与咨询"),
        ["location", "office_hours", "consult_phone", "complaint_phone"],
    ),
    (gettext_lazy("收费与审批结果"), ["charged", "result_type", "result_name"]),
    (gettext_lazy("主题与检索"), ["themes", "keywords"]),
    (gettext_lazy("申请表单"), ["form_schema", "form_ui"]),
    (gettext_lazy("译文与修订说明"), ["translations", "change_note"]),
]
STATUS_FILTERS = {
    "published": Q(current__status=VersionStatus.PUBLISHED),
    "unlisted": Q(current__isnull=True),
    "draft": Q(versions__status=VersionStatus.DRAFT),
    "in_review": Q(versions__status=VersionStatus.IN_REVIEW),
}


# --- forms ---------------------------------------------------------------------------------


class LinesField(forms.CharField):
    """A list of short texts, one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class JsonField(forms.JSONField):
    widget = forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"})

    def to_python(self, value):
        value = super().to_python(value)
        return {} if value in (None, "") else value


def _style(form: forms.BaseForm) -> None:
    """Bootstrap classes for every widget (the templates render fields one by one)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm" if form.prefix else "form-select"
        else:
            css = "form-control form-control-sm" if form.prefix else "form-control"
        widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()


class DraftForm(forms.Form):
    """The fields of a draft version (its parts are the formsets below)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        simple = [
            name
            for name in services.CONTENT_FIELDS
            if name not in services.LIST_FIELDS and name not in services.DICT_FIELDS
        ]
        base = fields_for_model(ItemVersion, fields=simple)
        fields = {}
        for name in services.CONTENT_FIELDS:
            if name in services.LIST_FIELDS:
                fields[name] = LinesField(
                    label=services.label(name), required=False, help_text=_("每行一项")
                )
            elif name in services.DICT_FIELDS:
                fields[name] = JsonField(label=services.label(name), required=False)
            else:
                fields[name] = base[name]
        fields["form_schema"].help_text = _(
            "JSON Schema：type 为 object，additionalProperties 为 false，字段类型为 "
            "string / integer / number / boolean，每个字段须有 title"
        )
        fields["form_ui"].help_text = _(
            "order、widgets（textarea / select / radio / date）、help、labels、prefill"
        )
        fields["translations"].help_text = _('如 {"pt": {"name": "…"}, "en": {"name": "…"}}')
        fields["themes"] = forms.ModelMultipleChoiceField(
            Theme.objects.all(),
            to_field_name="code",
            required=False,
            label=_("主题分类"),
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields = fields
        _style(self)

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in SECTIONS]


def _part_form(model, names):
    class PartForm(forms.Form):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields.update(fields_for_model(model, fields=names))
            if "copies" in self.fields:
                self.fields["copies"].required = False
            if "removed_rule" in self.fields:
                self.fields["removed_rule"].choices = [("", _("—（仍须提交）"))] + [
                    c for c in self.fields["removed_rule"].choices if c[0]
                ]
            for name in ("acceptance_standard", "notes", "basis", "standard", "answer"):
                if name in self.fields:
                    self.fields[name].widget = forms.Textarea(attrs={"rows": 2})
            _style(self)

    return PartForm


MaterialFormSet = forms.formset_factory(
    _part_form(Material, services.MATERIAL_FIELDS), extra=2, can_delete=True
)
FeeFormSet = forms.formset_factory(_part_form(Fee, services.FEE_FIELDS), extra=1, can_delete=True)
QuestionFormSet = forms.formset_factory(
    _part_form(Question, services.QUESTION_FIELDS), extra=1, can_delete=True
)
PARTS = (("materials", "m", MaterialFormSet), ("fees", "f", FeeFormSet))
PARTS += (("questions", "q", QuestionFormSet),)


def _rows(formset) -> list[tuple[forms.Form, dict]]:
    """The rows kept (filled in and not marked for deletion), in page order."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE") or not form.has_changed() and form.empty_permitted:
            continue
        values = {k: v for k, v in data.items() if k != "DELETE" and v is not None}
        rows.append((form, values))
    return rows


# --- pages ---------------------------------------------------------------------------------


@require(EDIT)
def manage(request):
    """事项管理: the items of the editor's organisations with their current and open versions."""
    q = (request.GET.get("q") or "").strip()
    status = request.GET.get("status") or ""
    items = selectors.items_for_editor(request.user)
    if q:
        items = items.filter(
            Q(implementation_code__icontains=q)
            | Q(current__name__icontains=q)
            | Q(basic__name__icontains=q)
            | Q(versions__name__icontains=q)
        )
    if status in STATUS_FILTERS:
        items = items.filter(STATUS_FILTERS[status])
    items = items.distinct().order_by("organisation__path", "implementation_code")
    after = request.GET.get("after") or ""
    if after:
        items = items.filter(implementation_code__gt=after)
    rows = list(items[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    open_versions = {
        v.item_id: v
        for v in ItemVersion.objects.filter(item__in=rows, status__in=selectors.OPEN_STATUSES).only(
            "item_id", "version", "status", "name"
        )
    }
    return render(
        request,
        "catalogue/manage/list.html",
        {
            "rows": [(item, open_versions.get(item.pk)) for item in rows],
            "q": q,
            "status": status,
            "statuses": [
                ("", _("全部")),
                ("published", _("已发布")),
                ("unlisted", _("未发布或已停用")),
                ("draft", _("有草稿")),
                ("in_review", _("待审核")),
            ],
            "next_after": rows[-1].implementation_code if more else "",
            "can_review": access.holds(request.user, services.REVIEW),
        },
    )


class NewItemForm(forms.Form):
    basic_code = forms.CharField(label=_("基本编码"), max_length=12)
    organisation = forms.ModelChoiceField(queryset=None, label=_("实施主体"))
    implementation_code = forms.CharField(label=_("实施编码"), max_length=36, min_length=36)
    name = forms.CharField(label=_("事项名称"), max_length=200, required=False)
    legal_limit = forms.IntegerField(label=_("法定办结时限（工作日）"), min_value=1)
    promised_limit = forms.IntegerField(label=_("承诺办结时限（工作日）"), min_value=1)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = identity.organisations_where(user, EDIT)
        base = fields_for_model(ItemVersion, fields=["case_kind", "audience"])
        self.fields.update(base)
        _style(self)

    def clean_basic_code(self):
        code = self.cleaned_data["basic_code"].strip()
        basic = BasicItem.objects.filter(basic_code=code).first()
        if basic is None:
            raise ValidationError(_("基本目录中没有此基本编码"))
        return basic


@require(EDIT)
def manage_create(request):
    """新增事项: the implementing body's item of a basic-catalogue item, as a first draft."""
    form = NewItemForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        basic = data.pop("basic_code")
        try:
            item = services.create_item(
                request.user,
                basic=basic,
                organisation=data.pop("organisation"),
                implementation_code=data.pop("implementation_code"),
                **{k: v for k, v in data.items() if v not in ("", None)},
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已新增事项，请完善草稿后提交审核"))
            return redirect("catalogue:manage-version", code=item.implementation_code, number=1)
    return render(request, "catalogue/manage/create.html", {"form": form})


@require(EDIT)
def manage_item(request, code: str):
    """One item: its versions, the open draft, and what the user may do next."""
    item = selectors.item_for_editor(request.user, code)
    versions = list(selectors.versions_for_editor(request.user, item))
    open_version = next((v for v in versions if v.status in selectors.OPEN_STATUSES), None)
    return render(
        request,
        "catalogue/manage/item.html",
        {
            "item": item,
            "versions": versions,
            "open_version": open_version,
            "can_review": _may(request.user, item, services.REVIEW),
        },
    )


@require(EDIT)
def manage_version(request, code: str, number: int):
    """A version: its content read-only, or — a draft — the editing form."""
    item = selectors.item_for_editor(request.user, code)
    version = selectors.version_for_editor(request.user, item, number)
    editable = version.status == VersionStatus.DRAFT
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("只有草稿可以修改；待审核或已发布的版本不能修改"))
        return _save_draft(request, item, version)
    context = {"item": item, "version": version, "editable": editable}
    if editable:
        initial = services.content_of(version)
        initial["themes"] = list(version.themes.values_list("code", flat=True))
        context["form"] = DraftForm(initial=initial)
        parts = services.parts_of(version)
        context["formsets"] = [
            (kind, FormSet(prefix=prefix, initial=parts[kind])) for kind, prefix, FormSet in PARTS
        ]
    else:
        context["details"] = _details(version)
        context["materials"] = version.materials.all()
        context["fees"] = version.fees.all()
        context["questions"] = version.questions.all()
    context["can_review"] = _may(request.user, item, services.REVIEW)
    context["own"] = request.user.pk in (version.created_by_id, version.submitted_by_id)
    return render(request, "catalogue/manage/version.html", context)


def _details(version: ItemVersion) -> list[tuple[str, str, bool]]:
    """(label, text, is_code_block) of every field, for a version shown read-only."""
    rows = []
    for name in services.CONTENT_FIELDS:
        value = getattr(version, name)
        block = False
        if name in services.CHOICES:
            value = getattr(version, f"get_{name}_display")()
        elif name in services.BOOL_FIELDS:
            value = _("是") if value else _("否")
        elif name in services.LIST_FIELDS:
            value = "、".join(value)
        elif name in services.DICT_FIELDS:
            value, block = (json.dumps(value, ensure_ascii=False, indent=2) if value else ""), True
        rows.append((services.label(name), value, block and bool(value)))
    rows.insert(0, (_("主题分类"), "、".join(t.name for t in version.themes.all()), False))
    return rows


def _save_draft(request, item, version):
    form = DraftForm(request.POST)
    formsets = [(kind, FormSet(request.POST, prefix=prefix)) for kind, prefix, FormSet in PARTS]
    valid = form.is_valid() & all([fs.is_valid() for _k, fs in formsets])
    if valid:
        rows = {kind: _rows(fs) for kind, fs in formsets}
        fields = {k: form.cleaned_data[k] for k in services.CONTENT_FIELDS}
        try:
            services.update_draft(
                request.user,
                version,
                fields=fields,
                themes=[t.code for t in form.cleaned_data["themes"]],
                **{kind: [values for _f, values in rows[kind]] for kind in rows},
            )
        except ValidationError as exc:
            _form_errors(form, exc, rows)
        else:
            messages.success(request, _("草稿已保存"))
            if request.POST.get("then") == "submit":
                return _submit(request, item, version)
            return redirect(
                "catalogue:manage-version", code=item.implementation_code, number=version.version
            )
    messages.error(request, _("草稿未保存：请检查标出的内容"))
    context = {
        "item": item,
        "version": version,
        "editable": True,
        "form": form,
        "formsets": formsets,
        "can_review": _may(request.user, item, services.REVIEW),
    }
    return render(request, "catalogue/manage/version.html", context, status=400)


def _form_errors(form, exc: ValidationError, rows=None) -> None:
    """Put a service's field errors beside the fields (``materials[2].code`` on that row)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        messages_ = [m for e in errors for m in e.messages]
        kind, _sep, rest = key.partition("[")
        if rows and kind in rows and rest:
            index, _b, name = rest.partition("]")
            row_form = rows[kind][int(index)][0]
            name = name.lstrip(".")
            for message in messages_:
                row_form.add_error(name if name in row_form.fields else None, message)
            continue
        for message in messages_:
            form.add_error(key if key in form.fields else None, message)


@require_POST
@require(EDIT)
def manage_new_draft(request, code: str):
    item = selectors.item_for_editor(request.user, code)
    try:
        draft = services.new_draft(request.user, item)
    except services.OpenDraftExists as exc:
        messages.error(request, str(exc))
        return redirect("catalogue:manage-item", code=code)
    messages.success(request, _("已起草第 %(n)s 版") % {"n": draft.version})
    return redirect("catalogue:manage-version", code=code, number=draft.version)


@require_POST
@require(EDIT)
def manage_submit(request, code: str, number: int):
    item = selectors.item_for_editor(request.user, code)
    return _submit(request, item, selectors.version_for_editor(request.user, item, number))


def _submit(request, item, version):
    try:
        services.submit_for_review(request.user, version)
        messages.success(request, _("已提交审核"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(
            "catalogue:manage-version", code=item.implementation_code, number=version.version
        )
    return redirect("catalogue:manage-item", code=item.implementation_code)


@require_POST
@require(EDIT)
def manage_review(request, code: str, number: int):
    """审核: approve = publish, or return to the drafter with an opinion."""
    item = selectors.item_for_editor(request.user, code)
    version = selectors.version_for_editor(request.user, item, number)
    approve = request.POST.get("decision") == "approve"
    try:
        services.review(
            request.user, version, approve=approve, opinion=request.POST.get("opinion", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
        return redirect("catalogue:manage-version", code=code, number=number)
    messages.success(request, _("已发布") if approve else _("已退回修改"))
    return redirect("catalogue:manage-item", code=code)


@require_POST
@require(EDIT)
def manage_withdraw(request, code: str):
    """停用: the item leaves the catalogue (reviewers only)."""
    item = selectors.item_for_editor(request.user, code)
    try:
        services.withdraw_item(request.user, item, reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        for message in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
            messages.error(request, message)
    else:
        messages.success(request, _("事项已停用"))
    return redirect("catalogue:manage-item", code=code)


@require(EDIT)
def manage_import(request):
    """导入: a JSON or Excel file; every problem listed by place, or the changes summarised."""
    context, status = {}, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["problems"], status = [_("请选择要导入的文件")], 400
        elif upload.size > MAX_UPLOAD:
            context["problems"], status = [_("文件不能超过 20 MB")], 400
        else:
            try:
                data, locator = io.read_file(upload.name, upload.read())
                result = io.import_catalogue(request.user, data, locator=locator)
            except io.ImportFailed as failed:
                context["problems"], status = failed.problems, 400
            else:
                context["result"] = result
                messages.success(request, result.summary())
    return render(request, "catalogue/manage/import.html", context, status=status)


@require(EDIT)
def manage_export(request):
    """导出: the items of the user's organisations as JSON or an Excel workbook."""
    fmt = request.GET.get("format")
    if fmt not in ("json", "xlsx"):
        return render(request, "catalogue/manage/export.html")
    drafts = request.GET.get("drafts") == "1"
    data = io.export_catalogue(request.user, drafts=drafts, mine=True)
    stamp = dt.date.today().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(
            io.to_xlsx(data),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(io.dumps(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="catalogue-{stamp}.{fmt}"'
    return response


def _may(user, item, perm) -> bool:
    try:
        access.check(user, item, perm)
    except PermissionDenied:
        return False
    return True


CODE = "<str:code>"
urlpatterns = [
    path("workbench/catalogue/", manage, name="manage"),
    path("workbench/catalogue/new/", manage_create, name="manage-create"),
    path("workbench/catalogue/import/", manage_import, name="manage-import"),
    path("workbench/catalogue/export/", manage_export, name="manage-export"),
    path(f"workbench/catalogue/{CODE}/", manage_item, name="manage-item"),
    path(f"workbench/catalogue/{CODE}/draft/", manage_new_draft, name="manage-new-draft"),
    path(f"workbench/catalogue/{CODE}/withdraw/", manage_withdraw, name="manage-withdraw"),
    path(f"workbench/catalogue/{CODE}/v<int:number>/", manage_version, name="manage-version"),
    path(f"workbench/catalogue/{CODE}/v<int:number>/submit/", manage_submit, name="manage-submit"),
    path(f"workbench/catalogue/{CODE}/v<int:number>/review/", manage_review, name="manage-review"),
]
