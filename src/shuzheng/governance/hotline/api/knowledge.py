"""GET /api/v1/hotline/knowledge/ — the 12345 knowledge base as an open API: the articles
offered today (published, valid; public ones, plus internal ones for hotline staff),
matching ``q`` in citizen language, within a category's branch."""

from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.governance.hotline.models import Category
from shuzheng.governance.hotline.selectors import knowledge as selectors

MAX_LIMIT = 50
DEFAULT_LIMIT = 10


class KnowledgeCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class KnowledgeOrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class KnowledgeArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    title_html = serializers.CharField(
        help_text=gettext_lazy("标题，匹配处以 <mark> 标出（已转义）")
    )
    question = serializers.CharField(help_text=gettext_lazy("常见问法"))
    answer = serializers.CharField(help_text=gettext_lazy("答复口径"))
    basis = serializers.CharField(help_text=gettext_lazy("政策依据"))
    keywords = serializers.CharField()
    category = KnowledgeCategorySerializer(allow_null=True)
    organisation = KnowledgeOrganisationSerializer()
    public = serializers.BooleanField(
        help_text=gettext_lazy("为假时是内部口径（仅热线工作人员可见）")
    )
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    explanation = serializers.CharField(help_text=gettext_lazy("匹配说明，如：户口 → 同义词 户籍"))
    url = serializers.CharField(help_text=gettext_lazy("门户中的条目页面"))


class KnowledgeResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    relaxed = serializers.BooleanField(
        help_text=gettext_lazy("没有条目包含全部词语时为真：结果包含部分词语")
    )
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    next_offset = serializers.IntegerField(allow_null=True)
    results = KnowledgeArticleSerializer(many=True)


def _int(params, name: str, errors: dict, *, low: int, high: int | None = None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        errors[name] = [_("应为整数")]
        return None
    if value < low or (high is not None and value > high):
        errors[name] = [
            _("应在 %(low)d 到 %(high)d 之间") % {"low": low, "high": high}
            if high is not None
            else _("不能小于 %(low)d") % {"low": low}
        ]
        return None
    return value


def parse(params, user) -> tuple[str, Category | None, int, int]:
    """(q, category, limit, offset); every bad parameter reported at once (400)."""
    errors: dict[str, list[str]] = {}
    q = (params.get("q") or "").strip()
    if len(q) > selectors.MAX_QUERY:
        errors["q"] = [_("搜索词不能超过 %(n)d 个字") % {"n": selectors.MAX_QUERY}]
    category = None
    pk = _int(params, "category", errors, low=1)
    code = (params.get("category_code") or "").strip()
    if pk is not None:
        category = selectors.categories(user).filter(pk=pk).first()
        if category is None:
            errors["category"] = [_("没有这个诉求分类")]
    elif code:
        category = selectors.categories(user).filter(code=code).first()
        if category is None:
            errors["category_code"] = [_("没有这个诉求分类")]
    limit = _int(params, "limit", errors, low=1, high=MAX_LIMIT) or DEFAULT_LIMIT
    offset = _int(params, "offset", errors, low=0, high=10_000) or 0
    if errors:
        raise ValidationError(errors)
    return q, category, limit, offset


def _article(request, hit: selectors.ArticleHit) -> dict:
    a = hit.article
    return {
        "id": a.pk,
        "title": a.title,
        "title_html": str(hit.title),
        "question": a.question,
        "answer": a.answer,
        "basis": a.basis,
        "keywords": a.keywords,
        "category": {"id": a.category.pk, "code": a.category.code, "name": a.category.name}
        if a.category
        else None,
        "organisation": {"id": a.organisation_id, "name": a.organisation.name},
        "public": a.public,
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "explanation": hit.explanation,
        "url": request.build_absolute_uri(reverse("hotline:kb-article", kwargs={"pk": a.pk})),
    }


class KnowledgeSearch(APIView):
    """知识库检索 (public): articles offered today matching ``q`` (Chinese, pinyin,
    initials and synonyms), best first; without ``q``, the most used ones."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="hotline_knowledge_search",
        tags=["hotline"],
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description=gettext_lazy("搜索词")),
            OpenApiParameter(
                "category", OpenApiTypes.INT, description=gettext_lazy("诉求分类 id（含下级）")
            ),
            OpenApiParameter(
                "category_code",
                OpenApiTypes.STR,
                description=gettext_lazy("诉求分类编码（含下级），如 0201"),
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description=gettext_lazy("1–50，默认 10")),
            OpenApiParameter("offset", OpenApiTypes.INT, description=gettext_lazy("默认 0")),
        ],
        responses=KnowledgeResultSerializer,
    )
    def get(self, request):
        q, category, limit, offset = parse(request.query_params, request.user)
        results = selectors.search(request.user, q, category=category, limit=limit, offset=offset)
        return Response(
            {
                "query": q,
                "relaxed": results.relaxed,
                "limit": limit,
                "offset": offset,
                "next_offset": results.next_offset,
                "results": [_article(request, hit) for hit in results.hits],
            }
        )


urlpatterns = [
    path("knowledge/", KnowledgeSearch.as_view(), name="hotline-knowledge"),
]
