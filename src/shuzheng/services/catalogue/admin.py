"""The service catalogue in the Django admin (the system administrator's configuration tool).

Themes and basic items are plain configuration. Item versions follow the catalogue's rules:
only a draft is editable, its whole content (fields, materials, fees, Q&A, themes) is checked
by :func:`services.check_content` and written by :func:`services.update_draft` (audited);
published, superseded and withdrawn versions are shown read-only. Submitting and publishing
are admin actions that call the same services as the workbench."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.foundation import access
from shuzheng.services.catalogue import services
from shuzheng.services.catalogue.models import (
    BasicItem,
    Fee,
    ItemVersion,
    Material,
    Question,
    ServiceItem,
    Theme,
    VersionStatus,
)


def _may_configure(request) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or access.holds(user, "system.configure")))


class ConfigureOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return _may_configure(request)

    def has_view_permission(self, request, obj=None):
        return _may_configure(request)

    def has_add_permission(self, request):
        return _may_configure(request)

    def has_change_permission(self, request, obj=None):
        return _may_configure(request)

    def has_delete_permission(self, request, obj=None):
        return False  # items and versions refer to them; retire instead


@admin.register(Theme)
class ThemeAdmin(ConfigureOnly):
    list_display = ("code", "name", "audience", "sort_order")
    list_filter = ("audience",)
    search_fields = ("code", "name")


@admin.register(BasicItem)
class BasicItemAdmin(ConfigureOnly):
    list_display = ("basic_code", "name", "item_type", "version", "is_active")
    list_filter = ("item_type", "is_active")
    search_fields = ("basic_code", "name")


class VersionInline(admin.TabularInline):
    model = ItemVersion
    fields = ("version", "status", "name", "created_by", "reviewed_by", "published_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(ConfigureOnly):
    list_display = ("implementation_code", "__str__", "organisation", "current_status")
    search_fields = ("implementation_code", "basic__name", "current__name")
    readonly_fields = ("implementation_code", "basic", "organisation", "current", "created_at")
    inlines = [VersionInline]
    actions = ["draft_new_version"]

    @admin.display(description=gettext_lazy("现行版本状态"))
    def current_status(self, obj):
        return obj.current.get_status_display() if obj.current_id else _("未发布")

    def has_add_permission(self, request):
        return False  # created in the workbench (事项管理) or by an import

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("起草新版本"))
    def draft_new_version(self, request, queryset):
        for item in queryset:
            try:
                draft = services.new_draft(request.user, item)
                self.message_user(request, _("已起草 %(v)s") % {"v": draft})
            except (PermissionDenied, services.OpenDraftExists) as exc:
                self.message_user(request, f"{item}：{exc}", messages.ERROR)


class PartFormSet(BaseInlineFormSet):
    """A draft's parts are checked with the catalogue's own rules, against the new values of
    the version above them (``self.instance`` carries the edited fields)."""

    kind = ""

    def rows(self) -> list[tuple[forms.Form, dict]]:
        fields = {
            "materials": services.MATERIAL_FIELDS,
            "fees": services.FEE_FIELDS,
            "questions": services.QUESTION_FIELDS,
        }[self.kind]
        out = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            out.append((form, {name: data.get(name) for name in fields}))
        return out

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = self.rows()
        errors = services.Errors()
        plain = [row for _form, row in rows]
        if self.kind == "materials":
            services._check_materials(
                [{k: v for k, v in r.items() if v not in (None,)} for r in plain], errors
            )
        elif self.kind == "fees":
            services._check_fees(plain, {"charged": self.instance.charged}, errors)
        else:
            services._check_questions(plain, errors)
        for path, message in errors.messages():
            head, _sep, name = path.partition(".")
            if "[" in head and name:
                index = int(head[head.index("[") + 1 : -1])
                rows[index][0].add_error(name if name in rows[index][0].fields else None, message)
            else:
                raise ValidationError(message)


class MaterialFormSet(PartFormSet):
    kind = "materials"


class FeeFormSet(PartFormSet):
    kind = "fees"


class QuestionFormSet(PartFormSet):
    kind = "questions"


class PartInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj) -> bool:
        return obj is not None and obj.status == VersionStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return _may_configure(request) and self._editable(obj)

    def has_change_permission(self, request, obj=None):
        return _may_configure(request) and self._editable(obj)

    def has_delete_permission(self, request, obj=None):
        return _may_configure(request) and self._editable(obj)

    def has_view_permission(self, request, obj=None):
        return _may_configure(request)


class MaterialInline(PartInline):
    model = Material
    formset = MaterialFormSet
    fields = services.MATERIAL_FIELDS


class FeeInline(PartInline):
    model = Fee
    formset = FeeFormSet
    fields = services.FEE_FIELDS


class QuestionInline(PartInline):
    model = Question
    formset = QuestionFormSet
    fields = services.QUESTION_FIELDS


class VersionForm(forms.ModelForm):
    class Meta:
        model = ItemVersion
        fields = [*services.CONTENT_FIELDS, "themes"]

    def clean(self):
        cleaned = super().clean()
        request = getattr(self, "request", None)
        version = self.instance
        if request is not None and version.pk:
            try:
                access.check(request.user, version, services.EDIT)
            except PermissionDenied as exc:
                raise ValidationError(str(exc)) from None
        values = services.content_of(version)
        values.update({k: cleaned[k] for k in services.CONTENT_FIELDS if k in cleaned})
        themes = [t.code for t in cleaned.get("themes") or []]
        errors = services.check_content(values, themes=themes, known_themes=set(themes))
        for path, message in errors.messages():
            if path in ("fees", "materials", "questions") or "[" in path:
                continue  # the parts are checked by their own inline rows
            self.add_error(path if path in self.fields else None, message)
        return cleaned


@admin.register(ItemVersion)
class ItemVersionAdmin(ConfigureOnly):
    form = VersionForm
    list_display = ("__str__", "item_code", "version", "status", "created_by", "published_at")
    list_filter = ("status",)
    search_fields = ("name", "item__implementation_code")
    readonly_fields = (
        "item",
        "version",
        "status",
        "created_by",
        "created_at",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "review_opinion",
        "published_at",
    )
    filter_horizontal = ("themes",)
    inlines = [MaterialInline, FeeInline, QuestionInline]
    actions = ["submit", "publish"]

    def get_fields(self, request, obj=None):
        return [*self.readonly_fields, *services.CONTENT_FIELDS, "themes"]

    @admin.display(description=gettext_lazy("实施编码"))
    def item_code(self, obj):
        return obj.item.implementation_code

    def has_add_permission(self, request):
        return False  # a version is drafted from its item (services.new_draft)

    def has_change_permission(self, request, obj=None):
        # A published (superseded, withdrawn) version is never edited in place.
        return _may_configure(request) and (obj is None or obj.status == VersionStatus.DRAFT)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        pass  # written with its parts in save_related, through the service, in one call

    def save_related(self, request, form, formsets, change):
        parts = {}
        for formset in formsets:
            if isinstance(formset, PartFormSet):
                parts[formset.kind] = [row for _form, row in formset.rows()]
            # Not saved row by row (the service replaces the parts): nothing to list here.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        materials = parts.get("materials")
        if materials is not None:
            materials = [{k: v for k, v in r.items() if v is not None} for r in materials]
        services.update_draft(
            request.user,
            form.instance,
            fields={
                k: form.cleaned_data[k] for k in services.CONTENT_FIELDS if k in form.cleaned_data
            },
            themes=[t.code for t in form.cleaned_data.get("themes") or []],
            materials=materials,
            fees=parts.get("fees"),
            questions=parts.get("questions"),
        )

    @admin.action(description=gettext_lazy("提交审核"))
    def submit(self, request, queryset):
        for version in queryset:
            try:
                services.submit_for_review(request.user, version)
                self.message_user(request, _("已提交审核：%(v)s") % {"v": version})
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{version}：{_message(exc)}", messages.ERROR)

    @admin.action(description=gettext_lazy("审核通过并发布"))
    def publish(self, request, queryset):
        for version in queryset:
            try:
                services.review(
                    request.user, version, approve=True, opinion=_("系统配置后台审核通过")
                )
                self.message_user(request, _("已发布：%(v)s") % {"v": version})
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"{version}：{_message(exc)}", messages.ERROR)


def _message(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)
