"""Identity API: thin — parse, call a service or selector, render."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from shuzheng.foundation import access
from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.identity import selectors, services
from shuzheng.foundation.identity.models import (
    EnterpriseAgent,
    EnterpriseRegistry,
    NaturalPerson,
    Organisation,
    OrgKind,
)
from shuzheng.foundation.identity.validators import IdType, mask_id_number, mask_mobile


class OrganisationSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "parent",
            "depth",
            "division_code",
            "uscc",
            "category",
            "uncertain",
            "note",
        ]


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """组织机构 (public): the tree of Zhuhai's government bodies and divisions."""

    serializer_class = OrganisationSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        params = self.request.query_params
        parent = params.get("parent")
        return selectors.organisations(  # the JSON columns are not part of this answer
            self.request.user,
            parent=Organisation(pk=int(parent)) if parent and parent.isdigit() else None,
            kind=params.get("kind") if params.get("kind") in OrgKind.values else None,
            q=params.get("q"),
        ).defer("sources", "alt_names")

    def list(self, request, *args, **kwargs):
        """The page as plain rows with the serializer's fields and values: building a model
        instance and a serializer pass per row was ~60 % of this public, hot request."""
        fields = OrganisationSerializer.Meta.fields
        columns = ["parent_id" if name == "parent" else name for name in fields]
        # "pk": the keyset pagination reads its position from it.
        query = self.filter_queryset(self.get_queryset()).values("pk", *columns)
        page = self.paginate_queryset(query)
        rows = [{name: row[c] for name, c in zip(fields, columns, strict=True)} for row in page]
        return self.get_paginated_response(rows)


class StaffSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), label=_("所属机构")
    )
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    username = serializers.CharField(source="user.username", max_length=150, label=_("登录名"))
    display_name = serializers.CharField(source="user.display_name", max_length=60, label=_("姓名"))
    position = serializers.CharField(
        max_length=60, required=False, allow_blank=True, label=_("职务")
    )
    employee_no = serializers.CharField(
        max_length=30, required=False, allow_null=True, allow_blank=True, label=_("工号")
    )
    office_phone = serializers.CharField(
        max_length=30, required=False, allow_blank=True, label=_("办公电话")
    )
    password = serializers.CharField(
        write_only=True, required=False, label=_("初始密码"), style={"input_type": "password"}
    )


class StaffViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """工作人员: visible within the caller's organisation subtree (and one's own record)."""

    serializer_class = StaffSerializer

    def get_queryset(self):
        return selectors.staff(self.request.user, q=self.request.query_params.get("q"))

    @idempotent
    def create(self, request, *args, **kwargs):
        form = StaffSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        user_data = data.pop("user")
        profile = services.create_staff(request.user, **user_data, **data)
        return Response(StaffSerializer(profile).data, status=status.HTTP_201_CREATED)


class PersonSerializer(serializers.Serializer):
    """ID and phone numbers are always shown masked through the API."""

    id = serializers.IntegerField(read_only=True)
    # Blank passes parsing so the service reports it together with the other field errors.
    name = serializers.CharField(max_length=60, allow_blank=True, label=_("姓名"))
    id_type = serializers.ChoiceField(choices=IdType.choices, label=_("证件类型"))
    id_number = serializers.CharField(max_length=40, write_only=True, label=_("证件号码"))
    id_number_masked = serializers.SerializerMethodField(label=_("证件号码（脱敏）"))
    mobile = serializers.CharField(
        max_length=30, required=False, allow_blank=True, write_only=True, label=_("手机号码")
    )
    mobile_masked = serializers.SerializerMethodField(label=_("手机号码（脱敏）"))

    def get_id_number_masked(self, obj: NaturalPerson) -> str:
        return mask_id_number(obj.id_number)

    def get_mobile_masked(self, obj: NaturalPerson) -> str:
        return mask_mobile(obj.mobile) if obj.mobile else ""


class RevealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, label=_("查看事由"))


class RevealedSerializer(serializers.Serializer):
    id_number = serializers.CharField(label=_("证件号码"))
    mobile = serializers.CharField(label=_("手机号码"))


class PersonViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """自然人: registered by window staff; a person sees their own record."""

    serializer_class = PersonSerializer

    @extend_schema(request=RevealSerializer, responses=RevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """查看完整证件号码与手机号码: needs the reveal capability and a reason; audited."""
        person = self.get_object()
        form = RevealSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = services.reveal_person(
            request.user, person, request=request, **form.validated_data
        )
        return Response(RevealedSerializer(values).data)

    def get_queryset(self):
        return selectors.persons(self.request.user, q=self.request.query_params.get("q"))

    @idempotent
    def create(self, request, *args, **kwargs):
        form = PersonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        person = services.register_person(request.user, **form.validated_data)
        return Response(PersonSerializer(person).data, status=status.HTTP_201_CREATED)


class EnterpriseSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200, label=_("名称"))
    registry = serializers.ChoiceField(choices=EnterpriseRegistry.choices, label=_("登记地"))
    registration_number = serializers.CharField(
        max_length=30, label=_("统一社会信用代码 / 澳门商业登记编号")
    )
    legal_representative = serializers.CharField(max_length=60, label=_("法定代表人"))
    address = serializers.CharField(max_length=255, label=_("住所"))


class AgentSerializer(serializers.ModelSerializer):
    """The agent is named by document and name (write), shown by name (read)."""

    id_type = serializers.ChoiceField(choices=IdType.choices, write_only=True, label=_("证件类型"))
    id_number = serializers.CharField(max_length=40, write_only=True, label=_("证件号码"))
    name = serializers.CharField(max_length=60, write_only=True, label=_("姓名"))
    person_name = serializers.CharField(source="person.name", read_only=True)
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=80), allow_empty=False, label=_("授权范围")
    )

    class Meta:
        model = EnterpriseAgent
        fields = [
            "id",
            "id_type",
            "id_number",
            "name",
            "person_name",
            "kind",
            "scopes",
            "valid_from",
            "valid_until",
            "granted_at",
            "revoked_at",
        ]
        read_only_fields = ["kind", "valid_from", "granted_at", "revoked_at"]


class EnterpriseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """企业: registered by staff; agents see the enterprises they act for."""

    serializer_class = EnterpriseSerializer

    def get_queryset(self):
        return selectors.enterprises(self.request.user, q=self.request.query_params.get("q"))

    @idempotent
    def create(self, request, *args, **kwargs):
        form = EnterpriseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        enterprise = services.register_enterprise(request.user, **form.validated_data)
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AgentSerializer, responses=AgentSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def agents(self, request, pk=None):
        """经办人: list the enterprise's agents, or authorise a new one."""
        enterprise = self.get_object()
        if request.method == "GET":
            rows = selectors.agents(request.user, enterprise)
            return Response(AgentSerializer(rows, many=True).data)
        return self._authorise(request, enterprise)

    @idempotent
    def _authorise(self, request, enterprise):
        form = AgentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        agency = services.authorise_agent_by_document(
            request.user, enterprise, **form.validated_data
        )
        return Response(AgentSerializer(agency).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AgentSerializer)
    @action(detail=True, methods=["post"], url_path=r"agents/(?P<agent_id>\d+)/revoke")
    def revoke_agent(self, request, pk=None, agent_id=None):
        """撤销经办人授权."""
        enterprise = self.get_object()
        agency = selectors.agents(request.user, enterprise).get(pk=agent_id)
        services.revoke_agent(request.user, agency)
        return Response(AgentSerializer(agency).data)


class MeView(viewsets.ViewSet):
    """The signed-in account: profiles, roles held and the enterprises it acts for."""

    @extend_schema(responses={200: dict})
    def list(self, request):
        user = request.user
        person = getattr(user, "person", None)
        staff = getattr(user, "staff", None)
        from shuzheng.foundation.access import selectors as access_selectors

        grants = access_selectors.grants(user, holder=user)
        return Response(
            {
                "username": user.username,
                "display_name": user.display_name,
                "person": PersonSerializer(person).data if person else None,
                "staff": StaffSerializer(staff).data if staff else None,
                "roles": [
                    {"role": g.role.code, "name": g.role.name, "organisation": g.organisation_id}
                    for g in grants
                ],
                "enterprises": [
                    {
                        "enterprise": a.enterprise_id,
                        "name": a.enterprise.name,
                        "kind": a.kind,
                        "scopes": a.scopes,
                    }
                    for a in selectors.my_agencies(user)
                ],
                "workbench": access.holds(user, "web.use_workbench"),
            }
        )
