"""Role grants API: the security administrator grants and revokes; holders see their own."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shuzheng.foundation.access import selectors, services
from shuzheng.foundation.access.models import Role, RoleGrant
from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.identity import selectors as identity_selectors
from shuzheng.foundation.identity.models import Organisation, User


class RoleSerializer(serializers.ModelSerializer):
    permissions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Role
        fields = ["code", "name", "description", "triad", "permissions"]


class RoleViewSet(viewsets.ReadOnlyModelViewSet):
    """角色目录."""

    serializer_class = RoleSerializer
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return selectors.roles(self.request.user)


class GrantSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), label=_("账号")
    )
    role = serializers.SlugRelatedField(
        slug_field="code", queryset=Role.objects.all(), label=_("角色")
    )
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), label=_("授权范围（机构）")
    )

    class Meta:
        model = RoleGrant
        fields = ["id", "user", "role", "organisation", "granted_at", "revoked_at"]
        read_only_fields = ["granted_at", "revoked_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only accounts and organisations the caller can see are nameable: an unknown
            # and an out-of-sight username answer alike.
            visible_staff = identity_selectors.staff(request.user)
            self.fields["user"].queryset = User.objects.filter(staff__in=visible_staff)
            self.fields["organisation"].queryset = identity_selectors.organisations_where(
                request.user, "access.grant_role"
            )


class GrantViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """角色授权: 三员分立 is enforced by the service; nobody grants to themselves."""

    serializer_class = GrantSerializer

    def get_queryset(self):
        return selectors.grants(self.request.user, active=False)

    @idempotent
    def create(self, request, *args, **kwargs):
        form = GrantSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        grant = services.grant_role(request.user, **form.validated_data)
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        grant = self.get_object()
        services.revoke_role(request.user, grant)
        return Response(GrantSerializer(grant).data)
