"""Administrators edit a definition as YAML; saving stores a new version (never an edit in
place), and the change page shows the state diagram."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.workflow import diagram, services
from shuzheng.foundation.workflow.models import (
    TransitionRecord,
    WorkflowDefinition,
    WorkflowInstance,
)
from shuzheng.foundation.workflow.spec import dump_text, load_text


class DefinitionForm(forms.ModelForm):
    text = forms.CharField(
        label=_("定义（YAML 或 JSON）"),
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "spellcheck": "false"}),
    )

    class Meta:
        model = WorkflowDefinition
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["text"].initial = dump_text(self.instance.spec)

    def clean_text(self):
        raw = load_text(self.cleaned_data["text"])
        services.check_spec(raw)
        return raw


@admin.register(WorkflowDefinition)
class WorkflowDefinitionAdmin(admin.ModelAdmin):
    form = DefinitionForm
    list_display = ("code", "version", "name", "created_at", "created_by")
    list_filter = ("code",)
    readonly_fields = ("code", "version", "name", "created_at", "created_by", "state_diagram")
    actions = ["export_yaml"]

    def get_fields(self, request, obj=None):
        return ["text", "state_diagram"] if obj else ["text"]

    @admin.display(description=_("状态图"))
    def state_diagram(self, obj):
        return mark_safe(diagram.svg(services.spec_of(obj)))  # noqa: S308 (escaped inside)

    def save_model(self, request, obj, form, change):
        try:
            saved = services.save_definition(request.user, form.cleaned_data["text"])
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        obj.pk, obj._state.adding = saved.pk, False
        self.message_user(
            request,
            _("已保存为 %(code)s 第 %(v)s 版；运行中的实例保持原版本。")
            % {"code": saved.code, "v": saved.version},
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("导出为 YAML 文件"))
    def export_yaml(self, request, queryset):
        text = "---\n".join(services.export_definition(d) for d in queryset)
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="workflows.yaml"'
        return response


class HistoryInline(admin.TabularInline):
    model = TransitionRecord
    extra = 0
    can_delete = False
    fields = ("seq", "action", "from_state", "to_state", "actor_name", "opinion", "at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkflowInstance)
class WorkflowInstanceAdmin(admin.ModelAdmin):
    list_display = ("definition", "subject_id", "state", "sla_state", "due_at", "updated_at")
    list_filter = ("definition__code", "state", "sla_state")
    readonly_fields = [f.name for f in WorkflowInstance._meta.fields]
    inlines = [HistoryInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
