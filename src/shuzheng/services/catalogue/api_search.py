"""GET /api/v1/catalogue/search/ — the portal's 办事搜索 as an open, public API."""

from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.services.catalogue import search
from shuzheng.services.catalogue.models import Audience, HandlingScope
from shuzheng.services.catalogue.templatetags.catalogue_tags import badges


class CatalogueSearchMatchSerializer(serializers.Serializer):
    query = serializers.CharField(help_text=_("用户输入的词"))
    kind = serializers.ChoiceField(
        choices=["exact", "traditional", "synonym", "homophone", "typo", "pinyin", "initials"],
        help_text=_("匹配方式：原词、繁体、同义词、同音、错字纠正、拼音、拼音首字母"),
    )
    kind_label = serializers.CharField()
    word = serializers.CharField(help_text=_("事项中出现的词"))
    via = serializers.CharField(help_text=_("先纠正为此词，再经同义词匹配（否则为空）"))
    field = serializers.ChoiceField(choices=["title", "keywords", "body"])
    text = serializers.CharField(help_text=_("如：生孩子 → 同义词 出生"))


class CatalogueSearchBadgeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    title = serializers.CharField()


class CatalogueSearchDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CatalogueSearchHitSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("实施编码"))
    name = serializers.CharField()
    name_html = serializers.CharField(help_text=_("事项名称，匹配处以 <mark> 标出（已转义）"))
    snippet_html = serializers.CharField(help_text=_("受理条件、材料或问答摘录（已转义）"))
    department = CatalogueSearchDepartmentSerializer()
    audience = serializers.ChoiceField(choices=Audience.choices)
    trips = serializers.IntegerField(help_text=_("到办事现场次数"))
    online_depth = serializers.IntegerField(help_text=_("在线办理深度 1–4"))
    scope = serializers.ChoiceField(choices=HandlingScope.choices)
    badges = CatalogueSearchBadgeSerializer(many=True)
    matched = CatalogueSearchMatchSerializer(many=True)
    explanation = serializers.CharField()
    url = serializers.CharField(allow_blank=True, help_text=_("办事指南页面"))


class CatalogueSearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    relaxed = serializers.BooleanField(help_text=_("没有事项包含全部词语时为真：结果包含部分词语"))
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    next_offset = serializers.IntegerField(allow_null=True)
    results = CatalogueSearchHitSerializer(many=True)
    suggestions = serializers.ListField(
        child=serializers.CharField(), help_text=_("无结果时：您是不是要找")
    )


def _guide_url(request, code: str) -> str:
    try:
        return request.build_absolute_uri(reverse("catalogue:guide", kwargs={"code": code}))
    except NoReverseMatch:
        return ""


def _hit(request, hit: search.ItemHit) -> dict:
    item, version = hit.item, hit.version
    return {
        "code": item.implementation_code,
        "name": version.name,
        "name_html": str(hit.name),
        "snippet_html": str(hit.snippet),
        "department": {"id": item.organisation_id, "name": item.organisation.name},
        "audience": version.audience,
        "trips": version.trips,
        "online_depth": version.online_depth,
        "scope": version.scope,
        "badges": [
            {k: str(b.get(k, "")) for k in ("kind", "label", "title")} for b in badges(version)
        ],
        "matched": [m.as_dict() for m in hit.matches],
        "explanation": hit.explanation,
        "url": _guide_url(request, item.implementation_code),
    }


_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description=_("搜索词：口语、拼音、首字母、繁体均可")),
    OpenApiParameter("department", OpenApiTypes.INT, description=_("实施部门（机构 id，含下级）")),
    OpenApiParameter("audience", OpenApiTypes.STR, enum=["person", "legal"]),
    OpenApiParameter("theme", OpenApiTypes.STR, description=_("主题代码")),
    OpenApiParameter("depth", OpenApiTypes.INT, description=_("在线办理深度不低于 1–4")),
    OpenApiParameter("scope", OpenApiTypes.STR, enum=list(HandlingScope.values)),
    OpenApiParameter("limit", OpenApiTypes.INT, description=_("1–50，默认 10")),
    OpenApiParameter("offset", OpenApiTypes.INT, description=_("默认 0")),
]


class CatalogueSearchView(APIView):
    """办事搜索 (public): published items matching citizen language, best first, each with
    the words it matched and how; without ``q``, the filtered items by name."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="catalogue_search",
        tags=["catalogue"],
        parameters=_PARAMETERS,
        responses=CatalogueSearchResultSerializer,
    )
    def get(self, request):
        q, filters, limit, offset = search.parse_request(request.query_params)  # 400 if bad
        results = search.search_items(request.user, q, filters, limit=limit, offset=offset)
        return Response(
            {
                "query": q,
                "relaxed": results.relaxed,
                "limit": limit,
                "offset": offset,
                "next_offset": results.next_offset,
                "results": [_hit(request, hit) for hit in results.hits],
                "suggestions": results.suggestions,
            }
        )


urlpatterns = [
    path("catalogue/search/", CatalogueSearchView.as_view(), name="catalogue-search"),
]
