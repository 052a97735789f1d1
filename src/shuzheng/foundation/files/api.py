"""Files API: upload (multipart), metadata, download. Thin: parse, call, render."""

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.files import registry, selectors, services
from shuzheng.foundation.files.uploads import LimitedUploadHandler


class StoredFileSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    use = serializers.CharField(source="purpose", read_only=True, label=_("用途"))
    name = serializers.CharField(read_only=True, label=_("文件名"))
    type = serializers.CharField(source="content_type", read_only=True, label=_("文件类型"))
    size = serializers.IntegerField(read_only=True, label=_("大小（字节）"))
    sm3 = serializers.CharField(read_only=True, label=_("SM3 摘要"))
    created_at = serializers.DateTimeField(read_only=True, label=_("上传时间"))
    retain_until = serializers.DateTimeField(read_only=True, label=_("保存期限"))


class UploadSerializer(serializers.Serializer):
    use = serializers.CharField(max_length=64, label=_("用途"))
    file = serializers.FileField(label=_("文件"), allow_empty_file=True, use_url=False)
    name = serializers.CharField(
        max_length=1000, required=False, label=_("文件名（不填则用上传文件的名称）")
    )

    def validate_use(self, value):
        if value not in registry.USES:
            raise serializers.ValidationError(
                _("未知的文件用途：%(code)s") % {"code": value}, code="unknown_use"
            )
        return value


class FileViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """文件: upload for a use; read metadata and content of files one may read."""

    serializer_class = StoredFileSerializer
    parser_classes = [MultiPartParser]
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_queryset(self):
        return selectors.readable(self.request.user)

    def get_object(self):
        return selectors.file_for(self.request.user, self.kwargs["pk"])

    def initialize_request(self, request, *args, **kwargs):
        # Stop reading an upload past the largest size any use accepts, before it fills a
        # disk; the service counts again against the chosen use's own limit.
        request.upload_handlers = [LimitedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": UploadSerializer}, responses=StoredFileSerializer
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        form = UploadSerializer(data=request.data)  # parses the upload
        LimitedUploadHandler.raise_if_too_large(request)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        stored = services.store(request.user, data["use"], data["file"], name=data.get("name"))
        return Response(
            StoredFileSerializer(stored).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"{request.path}{stored.pk}/"},
        )

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="content")
    def content(self, request, pk=None):
        """The bytes, always as an attachment and never sniffed by the browser."""
        stored = self.get_object()
        response = FileResponse(
            selectors.open_content(stored),
            as_attachment=True,
            filename=stored.name,
            content_type=stored.content_type,
        )
        response["Content-Length"] = str(stored.size)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        response["X-SM3"] = stored.sm3
        return response

    def perform_content_negotiation(self, request, force=False):
        # A download's Accept header names the file's type; errors still answer in JSON.
        return super().perform_content_negotiation(request, force=True)
