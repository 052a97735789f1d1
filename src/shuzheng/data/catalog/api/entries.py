"""Catalogue API under /api/v1/data/catalog/ — thin over ``selectors`` and ``services``:

GET   entries/?provider=&kind=&share_type=&grade=&update_cycle=&status=&classification=&q=
                                    visible entries (+ own working copies); ``q`` searches
POST  entries/                      编目 (the provider's data administrator); Idempotency-Key
GET   entries/{code}/               the publication; owners and reviewers also the working copy
PATCH entries/{code}/               修改 the working copy (revision in body or If-Match)
PUT   entries/{code}/items/         replace the 信息项
POST  entries/{code}/actions/{act}/ submit | publish | return | revise | withdraw
GET   entries/{code}/versions/      the publications (EntryVersion), newest first
GET   entries/{code}/gradings/      grading history (owners, grading reviewers)
POST  entries/{code}/gradings/      定级建议
GET   gradings/                     proposals waiting for the user's review
POST  gradings/{id}/review/         定级审核 {approve, opinion}
GET   reviews/                      entries waiting for the user's review
GET   classifications/              the classification tree (flat, by code)

An entry the user may not read is 404; bad fields 400 problem+json with field errors; an act
the user may not take 403; a stale revision 409 (nothing written).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.catalog import selectors, services
from shuzheng.data.catalog.api import serializers as s
from shuzheng.data.catalog.models import Classification, EntryStatus
from shuzheng.foundation import access
from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.identity.models import Organisation

TAG = ["data-catalog"]
CODE = r"(?P<code>[^/]+/[^/]+)"
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
FILTERS = ("provider", "kind", "share_type", "grade", "update_cycle")
ACTS = ("submit", "publish", "return", "revise", "withdraw")
REVISION_RESPONSES = {
    400: OpenApiResponse(description="字段错误（problem+json，errors 列出字段）"),
    403: OpenApiResponse(description="无权执行此操作"),
    404: OpenApiResponse(description="目录不存在或不可见"),
    409: OpenApiResponse(description="修订号已变化：他人已修改，请刷新后重试"),
}


# --------------------------------------------------------------------------- helpers


def _int(params, name: str, errors: dict, *, low: int = 0, high: int | None = None):
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors[name] = [_("应为整数")]
        return None
    if value < low or (high is not None and value > high):
        errors[name] = [_("超出允许范围")]
        return None
    return value


def _revision(request, data: dict):
    """The revision the client read: ``If-Match`` header, else the body's ``revision``."""
    header = request.headers.get("If-Match", "").strip()
    if header and header != "*":
        value = header.removeprefix("W/").strip().strip('"')
        try:
            return int(value)
        except ValueError:
            raise ValidationError(
                {"If-Match": ValidationError(_("If-Match 应为目录的修订号"), code="invalid")}
            ) from None
    return data.pop("revision", None)


def _entry(request, code: str):
    return selectors.get_entry(request.user, code)


def available_actions(user, entry) -> list[str]:
    """What ``user`` may do to ``entry`` now (``update`` / ``items`` and the acts)."""
    edit = services.may(user, entry, services.EDIT)
    review = services.may(user, entry, services.REVIEW)
    out = []
    if edit and entry.status in services.EDITABLE_STATES:
        out += ["update", "items", "submit"]
    if review and entry.status == EntryStatus.REVIEWING:
        out += ["publish", "return"]
    if edit and entry.status == EntryStatus.PUBLISHED:
        out.append("revise")
    if (edit or review) and entry.status != EntryStatus.WITHDRAWN:
        out.append("withdraw")
    if edit and entry.status != EntryStatus.WITHDRAWN:
        out.append("propose_grading")
    return out


def _detail(request, entry, code=status.HTTP_200_OK, headers=None) -> Response:
    body = s.detail(request.user, entry, available_actions(request.user, entry))
    return Response(body, status=code, headers={"ETag": f'"{entry.revision}"', **(headers or {})})


def _related(data: dict, errors: dict) -> dict:
    """Organisation ids → objects (maintainer)."""
    if "maintainer" in data:
        org = Organisation.objects.filter(pk=data["maintainer"], is_active=True).first()
        if org is None:
            errors["maintainer"] = [_("没有这个机构")]
        data["maintainer"] = org
    return data


def _provider(user, pk) -> Organisation:
    """The provider named, or the one department the user catalogues for."""
    if pk is not None:
        org = Organisation.objects.filter(pk=pk, is_active=True).first()
        if org is None:
            raise ValidationError({"provider": [_("没有这个机构")]})
        return org
    paths = access.org_paths(user, services.EDIT)
    orgs = list(Organisation.objects.filter(path__in=paths, is_active=True)[:2])
    if len(orgs) != 1:
        raise ValidationError({"provider": [_("请指定提供方")]})
    return orgs[0]


# --------------------------------------------------------------------------- views


class Entries(APIView):
    """目录列表 and 编目."""

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_entries_list",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="搜索词（中文、拼音、首字母）"),
            OpenApiParameter("provider", OpenApiTypes.INT, description="提供方机构 id"),
            OpenApiParameter("kind", OpenApiTypes.STR, description="目录类别"),
            OpenApiParameter("share_type", OpenApiTypes.STR, description="共享类型"),
            OpenApiParameter("grade", OpenApiTypes.STR, description="数据级别"),
            OpenApiParameter("update_cycle", OpenApiTypes.STR, description="更新周期"),
            OpenApiParameter("status", OpenApiTypes.STR, description="状态（无 q 时）"),
            OpenApiParameter("classification", OpenApiTypes.STR, description="分类码（含下级）"),
            OpenApiParameter("mine", OpenApiTypes.BOOL, description="只看本部门编制的目录"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1–100，默认 20"),
            OpenApiParameter("offset", OpenApiTypes.INT, description="默认 0"),
        ],
        responses=s.CatalogEntryPageSerializer,
    )
    def get(self, request):
        params = request.query_params
        errors: dict = {}
        limit = _int(params, "limit", errors, low=1, high=MAX_LIMIT) or DEFAULT_LIMIT
        offset = _int(params, "offset", errors, low=0, high=100_000) or 0
        provider = _int(params, "provider", errors, low=1)
        q = " ".join((params.get("q") or "").split())
        if len(q) > selectors.MAX_QUERY:
            errors["q"] = [_("搜索词不能超过 %(n)d 个字") % {"n": selectors.MAX_QUERY}]
        if errors:
            raise ValidationError(errors)
        filters = {name: (params.get(name) or "").strip() for name in FILTERS[1:]}
        if q:
            facets = {k: v for k, v in filters.items() if v}
            if provider:
                facets["provider"] = provider
            found = selectors.search(request.user, q, facets=facets, limit=limit, offset=offset)
            rows = [hit.object for hit in found]
            more, relaxed = found.has_more, found.relaxed
        else:
            base = (
                selectors.own_entries(request.user)
                if params.get("mine") in ("1", "true", "yes")
                else selectors.visible_entries(request.user)
            )
            qs = selectors.filtered(
                base,
                provider=provider,
                status=(params.get("status") or "").strip(),
                classification=(params.get("classification") or "").strip(),
                **filters,
            ).order_by("code")
            rows = list(qs[offset : offset + limit + 1])
            more, relaxed = len(rows) > limit, False
            rows = rows[:limit]
        return Response(
            {
                "results": [s.list_row(e) for e in rows],
                "limit": limit,
                "offset": offset,
                "next_offset": offset + limit if more else None,
                "relaxed": relaxed,
            }
        )

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_entries_create",
        request=s.CatalogEntryCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="重试时使用同一幂等键，不会重复编目",
            )
        ],
        responses={201: s.CatalogEntryDetailSerializer, **REVISION_RESPONSES},
    )
    @idempotent
    def post(self, request):
        form = s.CatalogEntryCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        errors: dict = {}
        provider = _provider(request.user, data.pop("provider", None))
        code = data.pop("classification")
        classification = Classification.objects.filter(code=code).first()
        if classification is None:
            errors["classification"] = [_("没有这个信息资源分类：%(code)s") % {"code": code}]
        _related(data, errors)
        if errors:
            raise ValidationError(errors)
        data["items"] = [dict(i) for i in data.get("items", [])]
        entry = services.create_entry(
            request.user, provider=provider, classification=classification, **data
        )
        entry = selectors.get_entry(request.user, entry.code)
        location = request.build_absolute_uri(f"{request.path}{entry.code}/")
        return _detail(request, entry, status.HTTP_201_CREATED, headers={"Location": location})


class EntryDetail(APIView):
    """一个目录: its publication, and for the provider and the reviewers its working copy."""

    @extend_schema(
        tags=TAG, operation_id="data_catalog_entry_detail", responses=s.CatalogEntryDetailSerializer
    )
    def get(self, request, code: str):
        return _detail(request, _entry(request, code))

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_entry_update",
        request=s.CatalogEntryUpdateSerializer,
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        responses={200: s.CatalogEntryDetailSerializer, **REVISION_RESPONSES},
    )
    def patch(self, request, code: str):
        entry = _entry(request, code)
        form = s.CatalogEntryUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = _revision(request, data)
        errors: dict = {}
        _related(data, errors)
        if errors:
            raise ValidationError(errors)
        if "items" in data:
            data["items"] = [dict(i) for i in data["items"]]
        entry = services.update_entry(request.user, entry, revision=revision, **data)
        return _detail(request, entry)


class EntryItems(APIView):
    """Replace the 信息项 of the working copy (the whole list, in order)."""

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_entry_items",
        request=s.CatalogItemsReplaceSerializer,
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        responses={200: s.CatalogEntryDetailSerializer, **REVISION_RESPONSES},
    )
    def put(self, request, code: str):
        entry = _entry(request, code)
        form = s.CatalogItemsReplaceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = _revision(request, data)
        items = [dict(i) for i in data["items"]]
        entry = services.set_items(request.user, entry, items, revision=revision)
        return _detail(request, entry)


class EntryAct(APIView):
    """One act on an entry: submit (提交审核), publish (审核发布), return (退回修改, reason),
    revise (修订), withdraw (下线, reason). Send the revision you read."""

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_entry_act",
        request=s.CatalogActSerializer,
        parameters=[
            OpenApiParameter("act", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ACTS)),
            OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER),
        ],
        responses={200: s.CatalogEntryDetailSerializer, **REVISION_RESPONSES},
    )
    def post(self, request, code: str, act: str):
        if act not in ACTS:
            raise NotFound(_("没有这个操作"))
        entry = _entry(request, code)
        form = s.CatalogActSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = _revision(request, data)
        user = request.user
        if act == "submit":
            entry = services.submit(user, entry, revision=revision, note=data["note"])
        elif act == "publish":
            entry = services.publish(user, entry, revision=revision, note=data["note"])
        elif act == "return":
            reason = data["reason"] or data["note"]
            entry = services.return_for_changes(user, entry, revision=revision, reason=reason)
        elif act == "revise":
            entry = services.revise(user, entry, revision=revision)
        else:
            reason = data["reason"] or data["note"]
            entry = services.withdraw(user, entry, revision=revision, reason=reason)
        entry = selectors.readable_entries(user).filter(pk=entry.pk).first() or entry
        return _detail(request, entry)


class EntryVersions(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_entry_versions",
        responses=s.CatalogVersionSerializer(many=True),
    )
    def get(self, request, code: str):
        entry = _entry(request, code)
        rows = selectors.versions(request.user, entry)
        return Response(s.CatalogVersionSerializer(rows, many=True).data)


class EntryGradings(APIView):
    """定级记录 of an entry, and a new 定级建议 (the provider's data administrator)."""

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_entry_gradings",
        responses=s.CatalogGradingSerializer(many=True),
    )
    def get(self, request, code: str):
        entry = _entry(request, code)
        return Response(
            s.CatalogGradingSerializer(selectors.gradings(request.user, entry), many=True).data
        )

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_grading_propose",
        request=s.CatalogGradingProposalSerializer,
        responses={201: s.CatalogGradingSerializer, **REVISION_RESPONSES},
    )
    def post(self, request, code: str):
        entry = _entry(request, code)
        form = s.CatalogGradingProposalSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = services.propose_grading(request.user, entry, **form.validated_data)
        return Response(s.CatalogGradingSerializer(record).data, status=status.HTTP_201_CREATED)


class Gradings(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_grading_queue",
        responses=s.CatalogGradingSerializer(many=True),
    )
    def get(self, request):
        rows = selectors.grading_queue(request.user)[:200]
        return Response(s.CatalogGradingSerializer(rows, many=True).data)


class GradingReview(APIView):
    """定级审核: approve (applies at once, 就高从严 to derived entries) or reject (opinion)."""

    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_grading_review",
        request=s.CatalogGradingReviewSerializer,
        responses={200: s.CatalogGradingSerializer, **REVISION_RESPONSES},
    )
    def post(self, request, pk: int):
        rows = selectors.grading_records(request.user)
        record = get_object_or_404(rows, pk=pk)
        form = s.CatalogGradingReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = services.review_grading(request.user, record, **form.validated_data)
        return Response(s.CatalogGradingSerializer(record).data)


class Reviews(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_review_queue",
        responses=s.CatalogEntryRowSerializer(many=True),
    )
    def get(self, request):
        rows = selectors.review_queue(request.user)[:200]
        return Response([s.list_row(e) for e in rows])


class Classifications(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="data_catalog_classifications",
        description=str(gettext_lazy("信息资源分类（类 / 项 / 目 / 细目），按分类码排列")),
        responses=s.CatalogClassificationSerializer(many=True),
    )
    def get(self, request):
        return Response(
            s.CatalogClassificationSerializer(selectors.classifications(), many=True).data
        )


urlpatterns = [
    path("entries/", Entries.as_view(), name="data-catalog-entries"),
    re_path(rf"^entries/{CODE}/$", EntryDetail.as_view(), name="data-catalog-entry"),
    re_path(rf"^entries/{CODE}/items/$", EntryItems.as_view(), name="data-catalog-entry-items"),
    re_path(
        rf"^entries/{CODE}/actions/(?P<act>[a-z_]+)/$",
        EntryAct.as_view(),
        name="data-catalog-entry-act",
    ),
    re_path(
        rf"^entries/{CODE}/versions/$", EntryVersions.as_view(), name="data-catalog-entry-versions"
    ),
    re_path(
        rf"^entries/{CODE}/gradings/$", EntryGradings.as_view(), name="data-catalog-entry-gradings"
    ),
    path("gradings/", Gradings.as_view(), name="data-catalog-gradings"),
    path("gradings/<int:pk>/review/", GradingReview.as_view(), name="data-catalog-grading-review"),
    path("reviews/", Reviews.as_view(), name="data-catalog-reviews"),
    path("classifications/", Classifications.as_view(), name="data-catalog-classifications"),
]
