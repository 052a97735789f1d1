"""Write use cases of search: loading synonym groups (同义词组) from files.

Domain packages ship starting groups of their own words (the service catalogue: what
citizens say for what the government calls it) as a JSON file and declare it with
:func:`synonym_file` from their ``AppConfig.ready()``; ``manage.py search synonyms`` and
the demo loader load them. Loading only adds what is missing, so administrators' additions
and switched-off groups survive a reload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.search import analysis
from shuzheng.foundation.search.models import Synonym

SYNONYM_FORMAT = "shuzheng.synonyms/1"
MANAGE = "system.configure"
_FILES: dict[str, Path] = {}


def synonym_file(source: str, path: str | Path) -> None:
    """Declare ``path`` (a ``shuzheng.synonyms/1`` JSON file) as ``source``'s groups."""
    _FILES[source] = Path(path)


def synonym_files() -> dict[str, Path]:
    return dict(_FILES)


def read_synonym_file(path: str | Path) -> list[dict]:
    """The groups of a synonym file: ``{"format": "shuzheng.synonyms/1", "groups":
    [{"terms": ["生孩子", "生育", "出生"], "note": "…"}, …]}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("无法读取同义词文件 %(path)s：%(error)s") % {"path": path, "error": exc}
        ) from exc
    if not isinstance(data, dict) or data.get("format") != SYNONYM_FORMAT:
        raise ValidationError(_("同义词文件格式应为 %(format)s") % {"format": SYNONYM_FORMAT})
    groups = data.get("groups")
    if not isinstance(groups, list):
        raise ValidationError(_("同义词文件缺少 groups 列表"))
    return groups


def _words(group) -> tuple[list[str], str]:
    if isinstance(group, dict):
        terms, note = group.get("terms"), str(group.get("note") or "")
    else:
        terms, note = group, ""
    if isinstance(terms, str):
        terms = Synonym(terms=terms).words()
    if not isinstance(terms, Iterable) or not all(isinstance(t, str) for t in terms):
        raise ValidationError(_("同义词组应为词语列表：%(group)s") % {"group": group})
    words = list(dict.fromkeys(t.strip() for t in terms if t and t.strip()))
    if not words or any(Synonym(terms=w).words() != [w] for w in words):
        raise ValidationError(_("同义词组的词语不能为空或含分隔符：%(group)s") % {"group": group})
    return words, note[:200]


@transaction.atomic
def load_synonyms(actor, groups: Iterable, *, source: str = "", channel: str | None = None):
    """Add the groups the table does not have yet: a group all of whose words (folded) are
    already in one group — perhaps grown by an administrator, or switched off (启用 unticked)
    — is skipped. A group an administrator shrank comes back: switch a group off rather than
    emptying it. Returns the created :class:`Synonym` rows. All or nothing: one malformed
    group and nothing is added."""
    if actor is not access.SYSTEM:
        access.require(actor, MANAGE)
    from shuzheng.foundation.search import querying
    from shuzheng.foundation.trust import audit

    existing = [
        frozenset(analysis.fold(w) for w in synonym.words()) for synonym in Synonym.objects.all()
    ]
    new: list[Synonym] = []
    skipped = 0
    for group in groups:
        words, note = _words(group)
        key = frozenset(analysis.fold(w) for w in words)
        terms = "，".join(words)
        if len(terms) > Synonym._meta.get_field("terms").max_length:
            raise ValidationError(_("同义词组过长：%(terms)s") % {"terms": terms[:60]})
        if any(key <= other for other in existing):  # already there, perhaps grown in admin
            skipped += 1
            continue
        existing.append(key)
        new.append(Synonym(terms=terms, note=note))
    created = Synonym.objects.bulk_create(new)
    audit.record(
        actor,
        "search.synonyms.load",
        "search.synonym",
        details={"source": source[:100], "created": len(created), "skipped": skipped},
        channel=channel,
    )
    transaction.on_commit(querying.forget_synonyms)
    return created


def load_declared(actor, *, channel: str | None = None) -> dict[str, int]:
    """Load every declared synonym file; {source: groups created}."""
    return {
        source: len(load_synonyms(actor, read_synonym_file(path), source=source, channel=channel))
        for source, path in synonym_files().items()
    }
