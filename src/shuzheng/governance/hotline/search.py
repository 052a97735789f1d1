"""知识库 in ``foundation.search``: registered from ``HotlineConfig.ready()``.

A published article is a document (drafts and withdrawn articles never enter the index):
title = the title, keywords = its keywords, the 常见问法, its category's name and keywords
and the organisation's names, body = the 答复口径 and the 政策依据. Validity dates and the
``public`` flag change with the reader and the day, so the selectors
(``selectors.knowledge``) pass the rows a reader may be offered as ``within`` — the index
never decides them. Facets: ``cat:<code>`` for the category and each level above it.

The search capability ``hotline.knowledge`` is public: a query that names no model's
rows (a future site-wide search) must therefore add the same ``within`` filter as
``selectors.knowledge.offered`` before showing an article.
"""

from __future__ import annotations

from shuzheng.foundation import search
from shuzheng.foundation.identity.models import Organisation
from shuzheng.governance.hotline.models import ArticleStatus, Category, KnowledgeArticle


def indexed_articles():
    """The rows of the index: published articles (validity and audience filtered later),
    with what a suggestion shows (category, organisation) — hits come from these rows."""
    return (
        KnowledgeArticle.objects.filter(status=ArticleStatus.PUBLISHED)
        .select_related("category", "organisation")
        .defer("organisation__note", "organisation__sources", "category__description")
    )


def _for_indexing(rows):
    return rows.defer(None).select_related("category", "organisation")


def _keywords(article: KnowledgeArticle) -> list[str]:
    words = [article.keywords, article.question]
    if article.category is not None:
        words += [article.category.name, *(str(k) for k in article.category.keywords or [])]
    org = article.organisation
    words += [org.name, org.short_name]
    return [w for w in words if w]


def _body(article: KnowledgeArticle) -> str:
    return " ".join(p for p in (article.answer, article.basis) if p)


def _facets(article: KnowledgeArticle) -> list[str]:
    if article.category is None:
        return []
    code = article.category.code
    return [f"cat:{code[:n]}" for n in range(2, len(code) + 1, 2)]


def _articles_of_category(category: Category):
    return KnowledgeArticle.objects.filter(category=category).values_list("pk", flat=True)


def _articles_of_organisation(org: Organisation):
    return KnowledgeArticle.objects.filter(organisation=org).values_list("pk", flat=True)


def register() -> None:
    """Declare how knowledge articles are searched (idempotent: once per process)."""
    search.register(
        KnowledgeArticle,
        perm="hotline.knowledge",
        title="title",
        keywords=_keywords,
        body=_body,
        public=lambda a: a.public,
        org_path="organisation.path",
        queryset=indexed_articles,
        for_indexing=_for_indexing,
        facets=_facets,
        depends_on=[
            (Category, _articles_of_category),
            (Organisation, _articles_of_organisation),
        ],
    )
