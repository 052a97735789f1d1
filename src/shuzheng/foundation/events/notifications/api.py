"""My messages API: ``GET /api/v1/messages/`` (cursor-paginated, one's own only, ``?unread=1``
for the unread ones) and ``POST /api/v1/messages/{id}/read/``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuzheng.foundation.api.pagination import KeysetPagination
from shuzheng.foundation.events.notifications import selectors, services
from shuzheng.foundation.events.notifications.models import Message


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "event_type", "title", "body", "link", "created_at", "read_at"]
        read_only_fields = fields


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """站内消息: the signed-in user's own inbox."""

    serializer_class = MessageSerializer
    pagination_class = KeysetPagination
    queryset = Message.objects.none()  # for the schema; get_queryset scopes

    def get_queryset(self):
        flag = self.request.query_params.get("unread")
        unread = {"1": True, "true": True, "0": False, "false": False}.get((flag or "").lower())
        return selectors.messages(self.request.user, unread=unread)

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="只看未读 / 已读")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=MessageSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        message = self.get_object()  # 404 for anyone else's
        services.mark_read(request.user, message)
        return Response(MessageSerializer(message).data)
