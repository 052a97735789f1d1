"""Exchange registry API under /api/v1/data/exchange/ — thin over ``exchange.services`` and
``exchange.selectors``:

GET   services/                     the provider's data services
POST  services/                     登记 (Idempotency-Key)
GET   services/{id}/                one service (ETag = revision)
PATCH services/{id}/                修改 (revision in If-Match or the body → 409 when stale)
POST  services/{id}/status/         暂停 / 恢复 {status: active|suspended}
GET   clients/                      the department's client applications
POST  clients/                      登记: the secret is in this answer only (never replayed,
                                    so no Idempotency-Key; the system code is unique anyway)
GET   clients/{id}/   PATCH clients/{id}/   (name, allowed_ips)
POST  clients/{id}/rotate/          更换密钥: the new secret, once
POST  clients/{id}/status/          停用 / 启用 {status: active|disabled}
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.catalog.models import CatalogueEntry
from shuzheng.data.exchange import selectors, services
from shuzheng.data.exchange.api import serializers as s
from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.identity.models import Organisation, StaffProfile

TAG = ["data-exchange"]
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="读取时的修订号（ETag）"
)
CONFLICTS = {
    400: OpenApiResponse(description="字段错误"),
    403: OpenApiResponse(description="无权操作"),
    409: OpenApiResponse(description="已被他人修改"),
}


def revision_of(request, data) -> int | None:
    """The revision the client read: ``If-Match`` (an ETag) or ``revision`` in the body."""
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        value = header.removeprefix("W/").strip().strip('"')
        try:
            return int(value)
        except ValueError:
            raise ValidationError(
                {"If-Match": ValidationError(_("If-Match 应为修订号"), code="invalid")}
            ) from None
    return data.get("revision")


def _service(request, obj, code=status.HTTP_200_OK, headers=None) -> Response:
    body = s.DataServiceSerializer(obj).data
    return Response(body, status=code, headers={"ETag": f'"{obj.revision}"', **(headers or {})})


def _client(obj, code=status.HTTP_200_OK, extra=None) -> Response:
    body = dict(s.ClientAppSerializer(obj).data)
    body.update(extra or {})
    return Response(body, status=code, headers={"ETag": f'"{obj.revision}"'})


class Services(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="exchange_services_list",
        responses=s.DataServiceSerializer(many=True),
    )
    def get(self, request):
        rows = selectors.services_for(request.user)
        return Response(s.DataServiceSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAG,
        operation_id="exchange_services_register",
        request=s.DataServiceCreateSerializer,
        responses={201: s.DataServiceSerializer, **CONFLICTS},
    )
    @idempotent
    def post(self, request):
        """登记数据服务 for one of the provider's own published catalogue entries."""
        form = s.DataServiceCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        entry = CatalogueEntry.objects.filter(pk=data.pop("entry")).first()
        if entry is None:
            raise ValidationError({"entry": ValidationError(_("没有这个目录条目"))})
        service = services.register_service(request.user, entry=entry, **data)
        location = request.build_absolute_uri(f"{request.path}{service.pk}/")
        return _service(request, service, status.HTTP_201_CREATED, {"Location": location})


class ServiceDetail(APIView):
    @extend_schema(
        tags=TAG, operation_id="exchange_service_detail", responses=s.DataServiceSerializer
    )
    def get(self, request, pk: int):
        return _service(request, selectors.service(request.user, pk))

    @extend_schema(
        tags=TAG,
        operation_id="exchange_service_update",
        request=s.DataServiceUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: s.DataServiceSerializer, **CONFLICTS},
    )
    def patch(self, request, pk: int):
        service = selectors.service(request.user, pk)
        form = s.DataServiceUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = revision_of(request, data)
        data.pop("revision", None)
        services.update_service(request.user, service, revision=revision, **data)
        return _service(request, selectors.service(request.user, pk))


class ServiceStatus(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="exchange_service_status",
        request=s.StatusSerializer,
        parameters=[IF_MATCH],
        responses={200: s.DataServiceSerializer, **CONFLICTS},
    )
    def post(self, request, pk: int):
        """暂停 / 恢复: a suspended service answers 404 at the gateway."""
        service = selectors.service(request.user, pk)
        form = s.StatusSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.set_service_status(
            request.user,
            service,
            form.validated_data["status"],
            revision=revision_of(request, form.validated_data),
        )
        return _service(request, selectors.service(request.user, pk))


def _own_department(user) -> Organisation | None:
    profile = StaffProfile.objects.filter(user_id=user.pk).select_related("organisation").first()
    return profile.organisation if profile else None


class Clients(APIView):
    @extend_schema(
        tags=TAG, operation_id="exchange_clients_list", responses=s.ClientAppSerializer(many=True)
    )
    def get(self, request):
        return Response(s.ClientAppSerializer(selectors.clients_for(request.user), many=True).data)

    @extend_schema(
        tags=TAG,
        operation_id="exchange_clients_register",
        request=s.ClientCreateSerializer,
        responses={201: s.ClientCreatedSerializer, **CONFLICTS},
    )
    def post(self, request):
        """登记接入应用: the answer carries the secret — the only time it is shown."""
        form = s.ClientCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        org_id = data.pop("organisation", None)
        organisation = (
            Organisation.objects.filter(pk=org_id).first()
            if org_id is not None
            else _own_department(request.user)
        )
        if organisation is None:
            raise ValidationError({"organisation": ValidationError(_("请选择使用部门"))})
        client, secret = services.create_client(request.user, organisation=organisation, **data)
        response = _client(
            client,
            status.HTTP_201_CREATED,
            {"secret": secret, "authorization": f"Bearer {client.key_id}.{secret}"},
        )
        response["Location"] = request.build_absolute_uri(f"{request.path}{client.pk}/")
        response["Cache-Control"] = "no-store"
        return response


class ClientDetail(APIView):
    @extend_schema(tags=TAG, operation_id="exchange_client_detail", responses=s.ClientAppSerializer)
    def get(self, request, pk: int):
        return _client(selectors.client(request.user, pk))

    @extend_schema(
        tags=TAG,
        operation_id="exchange_client_update",
        request=s.ClientUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: s.ClientAppSerializer, **CONFLICTS},
    )
    def patch(self, request, pk: int):
        client = selectors.client(request.user, pk)
        form = s.ClientUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = revision_of(request, data)
        data.pop("revision", None)
        services.update_client(request.user, client, revision=revision, **data)
        return _client(selectors.client(request.user, pk))


class ClientRotate(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="exchange_client_rotate",
        request=s.RevisionSerializer,
        parameters=[IF_MATCH],
        responses={200: s.SecretSerializer, **CONFLICTS},
    )
    def post(self, request, pk: int):
        """更换密钥: the new secret, shown once; the old one stops working."""
        client = selectors.client(request.user, pk)
        form = s.RevisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        secret = services.rotate_secret(
            request.user, client, revision=revision_of(request, form.validated_data)
        )
        return Response(
            {
                "key_id": client.key_id,
                "secret": secret,
                "authorization": f"Bearer {client.key_id}.{secret}",
                "revision": client.revision,
            },
            headers={"Cache-Control": "no-store", "ETag": f'"{client.revision}"'},
        )


class ClientStatus(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="exchange_client_status",
        request=s.StatusSerializer,
        parameters=[IF_MATCH],
        responses={200: s.ClientAppSerializer, **CONFLICTS},
    )
    def post(self, request, pk: int):
        """停用 / 启用: a disabled client is refused (403) at the gateway."""
        client = selectors.client(request.user, pk)
        form = s.StatusSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.set_client_status(
            request.user,
            client,
            form.validated_data["status"],
            revision=revision_of(request, form.validated_data),
        )
        return _client(selectors.client(request.user, pk))


urlpatterns = [
    path("services/", Services.as_view(), name="exchange-services"),
    path("services/<int:pk>/", ServiceDetail.as_view(), name="exchange-service"),
    path("services/<int:pk>/status/", ServiceStatus.as_view(), name="exchange-service-status"),
    path("clients/", Clients.as_view(), name="exchange-clients"),
    path("clients/<int:pk>/", ClientDetail.as_view(), name="exchange-client"),
    path("clients/<int:pk>/rotate/", ClientRotate.as_view(), name="exchange-client-rotate"),
    path("clients/<int:pk>/status/", ClientStatus.as_view(), name="exchange-client-status"),
]
