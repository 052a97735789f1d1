"""Catalogue API under /api/v1/catalogue/: thin — parse, call a selector or service, render.

Public (no sign-in): ``items/`` (the published catalogue, filterable), ``items/{code}/``
(the full 办事指南 of the current or an older published version), ``items/{code}/versions/``
and ``themes/``. Editors: ``drafts/`` (open drafts in their scope; POST drafts a new version
of an item), ``drafts/{id}/`` (GET, PATCH), ``drafts/{id}/submit/`` and ``drafts/{id}/review/``.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from shuzheng.foundation import access
from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.api.pagination import KeysetPagination
from shuzheng.services.catalogue import selectors, services
from shuzheng.services.catalogue.models import (
    Audience,
    CaseKind,
    HandlingScope,
    ItemType,
    ItemVersion,
    LimitUnit,
    MaterialKind,
    MaterialSource,
    Necessity,
    OnlineDepth,
    RemovalRule,
    Theme,
    VersionStatus,
)

# --- read serializers ---------------------------------------------------------------------

UNIT_HELP = " / ".join(LimitUnit.values)


class CatalogueOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CatalogueThemeSerializer(serializers.ModelSerializer):
    audience = serializers.CharField(help_text="person（个人办事）/ enterprise（法人办事）")

    class Meta:
        model = Theme
        fields = ["code", "name", "audience", "sort_order"]


class CatalogueItemSerializer(serializers.Serializer):
    """One line of the catalogue: enough to choose an item."""

    code = serializers.CharField(source="implementation_code")
    name = serializers.CharField(source="current.name")
    short_name = serializers.CharField(source="current.short_name")
    organisation = CatalogueOrganisationSerializer()
    item_type = serializers.ChoiceField(source="current.item_type", choices=ItemType.choices)
    audience = serializers.ChoiceField(source="current.audience", choices=Audience.choices)
    case_kind = serializers.ChoiceField(source="current.case_kind", choices=CaseKind.choices)
    online_depth = serializers.ChoiceField(
        source="current.online_depth", choices=OnlineDepth.choices
    )
    scope = serializers.ChoiceField(source="current.scope", choices=HandlingScope.choices)
    trips = serializers.IntegerField(source="current.trips")
    promised_limit = serializers.IntegerField(source="current.promised_limit")
    promised_limit_unit = serializers.CharField(
        source="current.promised_limit_unit", help_text=UNIT_HELP
    )
    charged = serializers.BooleanField(source="current.charged")
    themes = serializers.SerializerMethodField()
    version = serializers.IntegerField(source="current.version")
    published_at = serializers.DateTimeField(source="current.published_at")

    def get_themes(self, item) -> list[str]:
        return [t.code for t in item.current.themes.all()]


class GuideMaterialSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=MaterialKind.choices)
    necessity = serializers.ChoiceField(choices=Necessity.choices)
    source = serializers.ChoiceField(choices=MaterialSource.choices)
    issuing_department = serializers.CharField()
    copies = serializers.IntegerField()
    acceptance_standard = serializers.CharField()
    notes = serializers.CharField()
    basis = serializers.CharField()
    blank_form = serializers.UUIDField(source="blank_form_id", allow_null=True)
    sample = serializers.UUIDField(source="sample_id", allow_null=True)
    removed = serializers.BooleanField(source="is_removed", help_text=_("已按“五个一律取消”取消"))
    removed_rule = serializers.ChoiceField(choices=[("", "—"), *RemovalRule.choices])
    removed_rule_label = serializers.CharField(source="get_removed_rule_display")


class GuideFeeSerializer(serializers.Serializer):
    name = serializers.CharField()
    standard = serializers.CharField()
    basis = serializers.CharField()
    reducible = serializers.BooleanField()


class GuideQuestionSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()


class GuideSerializer(serializers.ModelSerializer):
    """The whole 办事指南 of one version, with its application form definition."""

    code = serializers.CharField(source="item.implementation_code")
    basic_code = serializers.CharField(source="item.basic.basic_code")
    organisation = CatalogueOrganisationSerializer(source="item.organisation")
    item_type_label = serializers.CharField(source="get_item_type_display")
    case_kind_label = serializers.CharField(source="get_case_kind_display")
    audience_label = serializers.CharField(source="get_audience_display")
    online_depth_label = serializers.CharField(source="get_online_depth_display")
    scope_label = serializers.CharField(source="get_scope_display")
    themes = CatalogueThemeSerializer(many=True)
    materials = GuideMaterialSerializer(many=True)
    fees = GuideFeeSerializer(many=True)
    questions = GuideQuestionSerializer(many=True)
    legal_limit_unit = serializers.CharField(help_text=UNIT_HELP)
    promised_limit_unit = serializers.CharField(help_text=UNIT_HELP)
    form_schema = serializers.JSONField()
    form_ui = serializers.JSONField()
    translations = serializers.JSONField()
    process = serializers.ListField(child=serializers.CharField())
    handling_forms = serializers.ListField(child=serializers.CharField())
    review_steps = serializers.ListField(child=serializers.CharField())
    keywords = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = ItemVersion
        fields = [
            "code",
            "basic_code",
            "organisation",
            "version",
            "status",
            "published_at",
            *services.CONTENT_FIELDS,
            "item_type_label",
            "case_kind_label",
            "audience_label",
            "online_depth_label",
            "scope_label",
            "themes",
            "materials",
            "fees",
            "questions",
        ]


class ItemVersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ItemVersion
        fields = ["version", "status", "published_at", "change_note"]


class ItemDraftSerializer(GuideSerializer):
    """An open version, for its editors and reviewers."""

    created_by = serializers.CharField(source="created_by.display_name", default="")
    submitted_by = serializers.CharField(source="submitted_by.display_name", default="")

    class Meta(GuideSerializer.Meta):
        fields = [
            "id",
            *GuideSerializer.Meta.fields,
            "created_at",
            "created_by",
            "submitted_at",
            "submitted_by",
            "review_opinion",
        ]


# --- write serializers --------------------------------------------------------------------


class DraftMaterialSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    kind = serializers.CharField(max_length=12, help_text="original / copy / electronic")
    necessity = serializers.CharField(max_length=12, help_text="required / optional / deferrable")
    source = serializers.CharField(max_length=12, required=False)
    issuing_department = serializers.CharField(max_length=120, required=False, allow_blank=True)
    copies = serializers.IntegerField(required=False)
    acceptance_standard = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    basis = serializers.CharField(required=False, allow_blank=True)
    removed_rule = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text="五个一律取消: no_legal_basis / e_licence / commitment / covered / online_check",
    )


class DraftFeeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    standard = serializers.CharField()
    basis = serializers.CharField(required=False, allow_blank=True)
    reducible = serializers.BooleanField(required=False)


class DraftQuestionSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField()


def _content_field(name: str) -> serializers.Field:
    """The wire type of one content field; its rules are the service's (one validator)."""
    options = {"required": False}
    if name in services.TEXT_FIELDS:
        return serializers.CharField(allow_blank=True, trim_whitespace=False, **options)
    if name in services.INT_FIELDS or name == "online_depth":
        return serializers.IntegerField(**options)
    if name in services.BOOL_FIELDS:
        return serializers.BooleanField(**options)
    if name in services.LIST_FIELDS:
        return serializers.ListField(child=serializers.CharField(), **options)
    if name in services.DICT_FIELDS:
        return serializers.DictField(**options)
    return serializers.CharField(**options)  # an enumeration, checked by the service


class DraftPatchSerializer(serializers.Serializer):
    """Any content field, and whole lists of parts (a list given replaces the old one)."""

    themes = serializers.ListField(child=serializers.CharField(), required=False)
    materials = DraftMaterialSerializer(many=True, required=False)
    fees = DraftFeeSerializer(many=True, required=False)
    questions = DraftQuestionSerializer(many=True, required=False)

    def get_fields(self):
        fields = {name: _content_field(name) for name in services.CONTENT_FIELDS}
        fields.update(super().get_fields())
        return fields

    def validate(self, attrs):
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: [_("未知字段")] for name in sorted(unknown)}, code="unknown"
            )
        return attrs


class NewItemDraftSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=36, help_text=_("事项的实施编码"))


class ItemReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=_("true = 审核通过并发布；false = 退回修改"))
    opinion = serializers.CharField(required=False, allow_blank=True, default="")


class CatalogueFilterSerializer(serializers.Serializer):
    department = serializers.IntegerField(required=False, min_value=1)
    audience = serializers.ChoiceField(choices=["person", "legal"], required=False)
    theme = serializers.SlugField(required=False)
    depth = serializers.ChoiceField(choices=OnlineDepth.values, required=False)
    scope = serializers.ChoiceField(choices=HandlingScope.values, required=False)


# --- views --------------------------------------------------------------------------------


class ItemPagination(KeysetPagination):
    ordering = "implementation_code"


FILTERS = [
    OpenApiParameter("department", int, description="实施主体（机构 id），含其下级机构"),
    OpenApiParameter(
        "audience", str, enum=["person", "legal"], description="服务对象：个人 / 法人（含两者皆可）"
    ),
    OpenApiParameter("theme", str, description="主题分类代码"),
    OpenApiParameter("depth", int, enum=OnlineDepth.values, description="在线办理深度（不低于）"),
    OpenApiParameter("scope", str, enum=HandlingScope.values, description="通办范围"),
]
VERSION_PARAM = OpenApiParameter("version", int, description="已发布的历史版本号")
CODE_PARAM = OpenApiParameter("code", str, OpenApiParameter.PATH, description="实施编码")


class ItemViewSet(viewsets.ReadOnlyModelViewSet):
    """政务服务事项目录 (public): published items and their 办事指南."""

    permission_classes = [AllowAny]
    pagination_class = ItemPagination
    lookup_field = "implementation_code"
    lookup_url_kwarg = "code"
    lookup_value_regex = "[0-9A-Za-z]+"

    def get_serializer_class(self):
        return GuideSerializer if self.action == "retrieve" else CatalogueItemSerializer

    def get_queryset(self):
        return selectors.published_items().prefetch_related("current__themes")

    @extend_schema(parameters=FILTERS)
    def list(self, request, *args, **kwargs):
        form = CatalogueFilterSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        items = selectors.filter_items(self.get_queryset(), **form.validated_data)
        page = self.paginate_queryset(items)
        return self.get_paginated_response(CatalogueItemSerializer(page, many=True).data)

    @extend_schema(parameters=[CODE_PARAM, VERSION_PARAM], responses=GuideSerializer)
    def retrieve(self, request, code=None):
        number = request.query_params.get("version")
        if number is not None and not number.isdigit():
            raise exceptions.ValidationError({"version": [_("版本号应为正整数")]})
        version = selectors.version_for_guide(code, int(number) if number else None)
        return Response(GuideSerializer(version).data)

    @extend_schema(
        parameters=[CODE_PARAM], responses=ItemVersionSummarySerializer(many=True), filters=False
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request, code=None):
        """The published history of an item (newest first)."""
        rows = selectors.guide_versions(code)
        return Response(ItemVersionSummarySerializer(rows, many=True).data)


class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    """主题分类: life events for persons, stages for enterprises."""

    permission_classes = [AllowAny]
    pagination_class = None
    serializer_class = CatalogueThemeSerializer
    lookup_field = "code"
    queryset = Theme.objects.all()


class DraftViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """事项编制: open versions in the caller's scope; draft, edit, submit, review."""

    serializer_class = ItemDraftSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (
            access.holds(request.user, services.EDIT) or access.holds(request.user, services.REVIEW)
        ):
            access.require(request.user, services.EDIT)

    def get_queryset(self):
        return selectors.open_drafts(self.request.user).prefetch_related(
            "themes", "materials", "fees", "questions"
        )

    def _draft(self, pk) -> ItemVersion:
        return selectors.draft_for_editor(self.request.user, pk)

    @extend_schema(request=NewItemDraftSerializer, responses={201: ItemDraftSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        """起草新版本 of an item (a copy of its current version)."""
        form = NewItemDraftSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        code = form.validated_data["item"]
        item = (
            selectors.items_for_editor(request.user).filter(implementation_code=code).first()
            or selectors.published_items().filter(implementation_code=code).first()
        )
        if item is None:
            raise Http404
        draft = services.new_draft(request.user, item)
        return Response(
            ItemDraftSerializer(self._draft(draft.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses=ItemDraftSerializer)
    def retrieve(self, request, pk=None):
        return Response(ItemDraftSerializer(self._draft(pk)).data)

    @extend_schema(request=DraftPatchSerializer, responses=ItemDraftSerializer)
    def partial_update(self, request, pk=None):
        draft = self._draft(pk)
        form = DraftPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        parts = {key: data.pop(key, None) for key in ("themes", "materials", "fees", "questions")}
        for key in ("materials", "fees", "questions"):
            if parts[key] is not None:
                parts[key] = [dict(row) for row in parts[key]]
        services.update_draft(request.user, draft, fields=data, **parts)
        return Response(ItemDraftSerializer(self._draft(pk)).data)

    @extend_schema(request=None, responses=ItemDraftSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """提交审核."""
        services.submit_for_review(request.user, self._draft(pk))
        return Response(ItemDraftSerializer(self._draft(pk)).data)

    @extend_schema(
        request=ItemReviewSerializer,
        responses={
            200: inline_serializer(
                "ReviewResult",
                {
                    "code": serializers.CharField(),
                    "version": serializers.IntegerField(),
                    "status": serializers.ChoiceField(choices=VersionStatus.choices),
                    "review_opinion": serializers.CharField(),
                },
            )
        },
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """审核: approve = publish; return = back to the editor with an opinion."""
        form = ItemReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        version = services.review(request.user, self._draft(pk), **form.validated_data)
        return Response(
            {
                "code": version.item.implementation_code,
                "version": version.version,
                "status": version.status,
                "review_opinion": version.review_opinion,
            }
        )


router = SimpleRouter()
router.register("catalogue/items", ItemViewSet, basename="catalogue-item")
router.register("catalogue/themes", ThemeViewSet, basename="catalogue-theme")
router.register("catalogue/drafts", DraftViewSet, basename="catalogue-draft")

urlpatterns = router.urls
