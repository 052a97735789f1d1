"""知识库 (答复口径): the answers 12345 operators read out and citizens find themselves.

An article is written as a draft by staff holding ``hotline.manage`` on its organisation's
subtree, published, edited (optimistic lock on ``version``: an editor who saw an older
version is refused, never silently overwritten), and withdrawn with a reason. Only
published articles inside their validity period (``valid_from`` … ``valid_until``) are
offered (``selectors.knowledge``); each act is one transaction with its audit record and
event, and bad input is a field error with nothing written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access, events, workflow
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit
from shuzheng.governance.hotline.models import ArticleStatus, Category, KnowledgeArticle

MANAGE = "hotline.manage"
DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "knowledge.json"
ANSWER_MAX = 5000
EDITABLE = (
    "title",
    "question",
    "answer",
    "category",
    "keywords",
    "organisation",
    "basis",
    "public",
    "valid_from",
    "valid_until",
)
_KEYWORD_SEPARATORS = re.compile(r"[,，、;；\s/|]+")


# --------------------------------------------------------------------------- helpers


class _Errors:
    def __init__(self):
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message, code: str = "invalid") -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _person(actor):
    return actor if getattr(actor, "pk", None) and actor is not access.SYSTEM else None


def may_manage_organisation(actor, organisation: Organisation) -> bool:
    """Whether ``actor`` holds ``hotline.manage`` on ``organisation``'s subtree."""
    if actor is access.SYSTEM:
        return True
    return any(organisation.path.startswith(p) for p in access.org_paths(actor, MANAGE))


def _text(value, field: str, errors: _Errors, *, limit: int, required=False, label="") -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.add(field, _("请填写%(label)s") % {"label": label}, "required")
    elif len(text) > limit:
        errors.add(field, _("不能超过 %(n)s 个字") % {"n": limit}, "max_length")
    return text


def _date(value, field: str, errors: _Errors, *, required: bool) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors.add(field, _("请填写日期"), "required")
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(field, _("日期格式应为 YYYY-MM-DD"), "invalid")
        return None


def _keywords(value) -> str:
    """Keywords as one "、"-separated line (a list, or text with any common separator)."""
    if isinstance(value, list | tuple | set):
        words = [str(w).strip() for w in value]
    else:
        words = _KEYWORD_SEPARATORS.split(str(value or ""))
    return "、".join(dict.fromkeys(w for w in words if w))


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "是")
    return bool(value)


def _category(value, errors: _Errors) -> Category | None:
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        category = value
    else:
        try:
            category = Category.objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            category = None
    if category is None or not category.is_active:
        errors.add("category", _("诉求分类不存在或已停用"), "invalid_choice")
        return None
    return category


def _organisation(actor, value, errors: _Errors) -> Organisation | None:
    if value in (None, ""):
        errors.add("organisation", _("请选择提供单位"), "required")
        return None
    if isinstance(value, Organisation):
        org = value
    else:
        try:
            org = Organisation.objects.filter(pk=int(value)).first()
        except (TypeError, ValueError):
            org = None
    if org is None or not org.is_active:
        errors.add("organisation", _("提供单位不存在或已撤销"), "invalid_choice")
        return None
    if not may_manage_organisation(actor, org):
        errors.add("organisation", _("您不能为该单位维护知识库"), "out_of_scope")
        return None
    return org


def clean(actor, data: dict) -> dict:
    """The editable fields of an article checked and converted (ids → objects, text →
    dates, keywords → one line); every bad field reported at once as a ValidationError."""
    errors = _Errors()
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise TypeError(f"unknown knowledge article fields: {', '.join(unknown)}")
    values = {
        "title": _text(
            data.get("title"), "title", errors, limit=120, required=True, label=_("标题")
        ),
        "question": _text(data.get("question"), "question", errors, limit=300),
        "answer": _text(
            data.get("answer"),
            "answer",
            errors,
            limit=ANSWER_MAX,
            required=True,
            label=_("答复口径"),
        ),
        "keywords": _keywords(data.get("keywords")),
        "basis": _text(data.get("basis"), "basis", errors, limit=300),
        "public": _bool(data.get("public", True)),
        "category": _category(data.get("category"), errors),
        "organisation": _organisation(actor, data.get("organisation"), errors),
        "valid_from": _date(data.get("valid_from"), "valid_from", errors, required=True),
        "valid_until": _date(data.get("valid_until"), "valid_until", errors, required=False),
    }
    if len(values["keywords"]) > 200:
        errors.add("keywords", _("关键词合计不能超过 %(n)s 个字") % {"n": 200}, "max_length")
    start, end = values["valid_from"], values["valid_until"]
    if start and end and end < start:
        errors.add("valid_until", _("失效日期不能早于生效日期"), "before_start")
    errors.raise_if_any()
    return values


def _publish_event(kind: str, article: KnowledgeArticle) -> None:
    events.publish(
        f"governance.knowledge.{kind}",
        {"article": article.pk, "organisation": article.organisation_id, "status": article.status},
        key=str(article.pk),
    )


_RELATIONS = ("category", "organisation")


def _stored(article: KnowledgeArticle, name: str):
    return getattr(article, name + "_id" if name in _RELATIONS else name)


def _plain(name: str, value):
    return value.pk if name in _RELATIONS and value is not None else value


def _locked(article: KnowledgeArticle) -> KnowledgeArticle:
    return KnowledgeArticle.objects.select_for_update().get(pk=article.pk)


def _refresh(article: KnowledgeArticle, fresh: KnowledgeArticle) -> KnowledgeArticle:
    """Copy the saved state onto the caller's object, so it sees what was written."""
    for f in KnowledgeArticle._meta.concrete_fields:
        setattr(article, f.attname, getattr(fresh, f.attname))
    return article


# --------------------------------------------------------------------------- use cases


@transaction.atomic
def create(actor, **fields) -> KnowledgeArticle:
    """起草: a new draft article of an organisation the actor manages."""
    access.require(actor, MANAGE)
    values = clean(actor, fields)
    article = KnowledgeArticle.objects.create(
        **values,
        status=ArticleStatus.DRAFT,
        version=1,
        updated_by=_person(actor),
        updated_at=timezone.now(),
    )
    audit.record(
        actor,
        "hotline.knowledge.create",
        article,
        details={"title": article.title, "organisation": article.organisation_id},
    )
    _publish_event("created", article)
    return article


@transaction.atomic
def update(actor, article: KnowledgeArticle, *, version, **fields) -> KnowledgeArticle:
    """修改: the fields given replace the article's; ``version`` is the version the editor
    saw — if someone saved in between, ``workflow.Conflict`` and nothing is written."""
    access.check(actor, article, MANAGE)
    try:
        seen = int(version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("缺少版本号，请刷新后重试")}) from None
    current = _locked(article)
    data = {name: getattr(current, name) for name in EDITABLE}
    data.update(fields)
    values = clean(actor, data)
    # the optimistic lock: only the version the editor saw may be replaced
    bumped = KnowledgeArticle.objects.filter(pk=current.pk, version=seen).update(
        version=F("version") + 1
    )
    if not bumped:
        raise workflow.Conflict(_("该知识条目已被他人修改，请刷新后重试"))
    changed = sorted(n for n, v in values.items() if _stored(current, n) != _plain(n, v))
    for name, value in values.items():
        setattr(current, name, value)
    current.version = seen + 1
    current.updated_by = _person(actor)
    current.updated_at = timezone.now()
    current.save()  # post_save: the search index follows after commit
    audit.record(
        actor,
        "hotline.knowledge.update",
        current,
        details={"version": current.version, "changed": changed},
    )
    _publish_event("updated", current)
    return _refresh(article, current)


@transaction.atomic
def publish(actor, article: KnowledgeArticle, *, today: dt.date | None = None) -> KnowledgeArticle:
    """发布 (a draft, or again after 下架): offered from its ``valid_from`` on. An article
    already past its ``valid_until`` cannot be published: it would never be offered."""
    access.check(actor, article, MANAGE)
    current = _locked(article)
    today = today or timezone.localdate()
    if current.status == ArticleStatus.PUBLISHED:
        raise ValidationError({"status": _("该条目已发布")})
    if current.valid_until is not None and current.valid_until < today:
        raise ValidationError({"valid_until": _("已过失效日期，请先修改有效期再发布")})
    current.status = ArticleStatus.PUBLISHED
    current.updated_by = _person(actor)
    current.updated_at = timezone.now()
    current.save(update_fields=["status", "updated_by", "updated_at"])
    audit.record(actor, "hotline.knowledge.publish", current, details={"version": current.version})
    _publish_event("published", current)
    return _refresh(article, current)


@transaction.atomic
def withdraw(actor, article: KnowledgeArticle, *, reason: str) -> KnowledgeArticle:
    """下架: no longer offered to anyone; the reason is kept in the audit record."""
    access.check(actor, article, MANAGE)
    errors = _Errors()
    reason = _text(reason, "reason", errors, limit=300, required=True, label=_("下架理由"))
    errors.raise_if_any()
    current = _locked(article)
    if current.status != ArticleStatus.PUBLISHED:
        raise ValidationError({"status": _("只有已发布的条目可以下架")})
    current.status = ArticleStatus.WITHDRAWN
    current.updated_by = _person(actor)
    current.updated_at = timezone.now()
    current.save(update_fields=["status", "updated_by", "updated_at"])
    audit.record(
        actor,
        "hotline.knowledge.withdraw",
        current,
        details={"version": current.version, "reason": reason},
    )
    _publish_event("withdrawn", current)
    return _refresh(article, current)


# --------------------------------------------------------------------------- demo data


def read_articles(path=None) -> list[dict]:
    """The article records of a knowledge file (``data/knowledge.json`` by default)."""
    data = json.loads(Path(path or DATA_FILE).read_text(encoding="utf-8"))
    return data["articles"] if isinstance(data, dict) else data


def _organisation_named(name: str) -> Organisation | None:
    found = Organisation.objects.filter(name=name, is_active=True).order_by("path").first()
    if found is None:
        found = (
            Organisation.objects.filter(short_name=name, is_active=True).order_by("path").first()
        )
    return found


def _category_for(record: dict) -> Category | None:
    """By code when the record has one, else by the leaf's name (exact, then the one
    active category whose name contains it or is contained in it)."""
    code = record.get("category")
    if code:
        found = Category.objects.filter(code=str(code), is_active=True).first()
        if found is not None:
            return found
    name = (record.get("category_name") or "").strip()
    if not name:
        return None
    active = Category.objects.filter(is_active=True)
    exact = list(active.filter(name=name).order_by("-level", "code")[:1])
    if exact:
        return exact[0]
    near = [c for c in active.filter(level=3) if name in c.name or c.name in name]
    return near[0] if len(near) == 1 else None


def load_articles(actor, path=None) -> int:
    """Load the demo knowledge base through the services (create, then publish unless the
    record says ``"status": "draft"`` / ``"withdrawn"``). Idempotent: an article whose title
    already exists for the same organisation is left as it is (edits made since stay).
    Records whose organisation does not exist are skipped. Returns how many were created."""
    created = 0
    for record in read_articles(path):
        org = _organisation_named(record["organisation"])
        if org is None:
            continue
        if KnowledgeArticle.objects.filter(title=record["title"], organisation=org).exists():
            continue
        with transaction.atomic():
            article = create(
                actor,
                title=record["title"],
                question=record.get("question", ""),
                answer=record["answer"],
                category=_category_for(record),
                keywords=record.get("keywords", ""),
                organisation=org,
                basis=record.get("basis", ""),
                public=record.get("public", True),
                valid_from=record["valid_from"],
                valid_until=record.get("valid_until"),
            )
            status = record.get("status", ArticleStatus.PUBLISHED)
            if status in (ArticleStatus.PUBLISHED, ArticleStatus.WITHDRAWN):
                # the demo shows expired articles too: published while they were valid
                publish(actor, article, today=article.valid_from)
            if status == ArticleStatus.WITHDRAWN:
                withdraw(actor, article, reason=record.get("withdrawn_reason") or _("政策调整"))
        created += 1
    return created
