"""Workflow API: an instance's state, history and possible actions; take a transition.

Reading needs the definition's ``view_permission`` on the subject; a transition needs its
own permission (checked by the engine). A lost race answers 409 problem+json."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from shuzheng.foundation import access
from shuzheng.foundation.workflow import services
from shuzheng.foundation.workflow.models import TransitionRecord, WorkflowInstance


class HistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = TransitionRecord
        fields = [
            "seq",
            "action",
            "from_state",
            "to_state",
            "actor_name",
            "opinion",
            "reason",
            "attachments",
            "at",
        ]


class InstanceSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="definition.code", read_only=True)
    version = serializers.IntegerField(source="definition.version", read_only=True)
    subject_type = serializers.SerializerMethodField()

    class Meta:
        model = WorkflowInstance
        fields = [
            "id",
            "code",
            "version",
            "subject_type",
            "subject_id",
            "state",
            "revision",
            "sla_state",
            "due_at",
            "started_at",
            "updated_at",
        ]

    def get_subject_type(self, obj) -> str:
        return ".".join(obj.subject_type.natural_key())


class TransitionSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=60, label=_("操作"))
    opinion = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, label=_("意见")
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, label=_("理由")
    )
    attachments = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, label=_("附件")
    )
    revision = serializers.IntegerField(
        min_value=0, label=_("修订号"), help_text=_("读取时的修订号；已变化则返回 409")
    )


class InstanceViewSet(viewsets.GenericViewSet):
    """流程实例."""

    serializer_class = InstanceSerializer
    queryset = WorkflowInstance.objects.none()

    def _instance(self, pk) -> WorkflowInstance:
        try:
            instance = WorkflowInstance.objects.select_related("definition").get(pk=pk)
        except (WorkflowInstance.DoesNotExist, ValueError):
            raise NotFound() from None
        spec = services.spec_of(instance.definition)
        subject = instance.subject
        if (
            subject is None
            or not access.scope(
                self.request.user,
                type(subject)._default_manager.filter(pk=subject.pk),
                spec.view_permission,
            ).exists()
        ):
            raise NotFound()  # out of scope looks like absent
        return instance

    def retrieve(self, request, pk=None):
        instance = self._instance(pk)
        body = InstanceSerializer(instance).data
        body["actions"] = [
            {"name": t.name, "label": t.label, "require": list(t.require)}
            for t in services.available_actions(request.user, instance)
        ]
        body["history"] = HistorySerializer(instance.history.all(), many=True).data
        return Response(body)

    @extend_schema(request=TransitionSerializer, responses=InstanceSerializer)
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        """Take a transition; send the ``revision`` you read (optimistic locking)."""
        instance = self._instance(pk)
        via = services.spec_of(instance.definition).transitions_via
        if via:
            raise PermissionDenied(_("此流程的操作须通过其业务接口办理：%(via)s") % {"via": via})
        form = TransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        instance = services.transition(request.user, instance, data.pop("action"), **data)
        return Response(InstanceSerializer(instance).data)
