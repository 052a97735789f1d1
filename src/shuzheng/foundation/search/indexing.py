"""Keeping the index in step with the data: after-commit sync on save / delete, and the
full rebuild (``manage.py search rebuild``)."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from shuzheng.foundation.search import analysis, backends
from shuzheng.foundation.search.registry import SPECS, IndexSpec, spec_for_label

log = logging.getLogger(__name__)
CHUNK = 1000


@dataclass
class Source:
    """What the index needs of one object, whatever its model."""

    model_label: str
    object_id: str
    title: str
    body: str = ""
    keywords: str = ""
    boosts: dict | None = None
    language: str = ""
    access_hint: str = ""
    facets: list[str] | None = None


def weight_class(boost: float) -> str:
    return "a" if boost >= 3 else "b" if boost >= 1.5 else "c"


def analyse(source: Source) -> dict[str, list[str]]:
    """The tokens of each weighted field (see ``backends``)."""
    boosts = source.boosts or {}
    fields: dict[str, list[str]] = {"a": [], "b": [], "c": [], "py": []}
    for name in ("title", "keywords", "body"):
        text = getattr(source, name)
        if not text:
            continue
        klass = weight_class(float(boosts.get(name, 1.0)))
        fields[klass] += analysis.index_tokens(text)
        if klass != "c":  # names are typed in pinyin; running text is not
            fields["py"] += analysis.pinyin_tokens(text)
    # facets ride in the pinyin field: in both PostgreSQL vectors and FTS5's py column
    fields["py"] += [analysis.facet_token(f) for f in source.facets or ()]
    return fields


def _language(spec: IndexSpec, obj, text: str) -> str:
    if spec.language is not None:
        return spec.text(spec.language, obj)
    if not analysis.has_cjk(text):
        return ""
    return "zh-hant" if analysis._converter.convert(text) != text else "zh-hans"


def source_of(spec: IndexSpec, obj) -> Source:
    title = spec.text(spec.title, obj)[:500]
    body = spec.text(spec.body, obj)
    return Source(
        model_label=spec.label,
        object_id=str(obj.pk),
        title=title,
        body=body,
        keywords=spec.text(spec.keywords, obj),
        boosts=dict(spec.boosts),
        language=_language(spec, obj, title + body),
        access_hint=spec.access_hint(obj),
        facets=[str(f) for f in spec.value(spec.facets, obj) or ()] if spec.facets else None,
    )


def write_documents(sources: Iterable[Source], *, replace: bool = True) -> int:
    """Insert or replace the documents of ``sources`` (one transaction per call)."""
    from shuzheng.foundation.search.models import SearchDocument

    sources = list(sources)
    if not sources:
        return 0
    backend = backends.current()
    now = timezone.now()
    with transaction.atomic():
        if replace:
            by_label: dict[str, list[str]] = defaultdict(list)
            for s in sources:
                by_label[s.model_label].append(s.object_id)
            for label, ids in by_label.items():
                _delete(
                    backend, SearchDocument.objects.filter(model_label=label, object_id__in=ids)
                )
        docs = SearchDocument.objects.bulk_create(
            [
                SearchDocument(
                    model_label=s.model_label,
                    object_id=s.object_id,
                    title=s.title,
                    body=s.body,
                    keywords=s.keywords,
                    boosts=s.boosts or {},
                    language=s.language,
                    access_hint=s.access_hint,
                    updated_at=now,
                )
                for s in sources
            ]
        )
        with connection.cursor() as cursor:
            backend.write(cursor, [(d.pk, analyse(s)) for d, s in zip(docs, sources, strict=True)])
    return len(docs)


def _delete(backend, documents) -> None:
    ids = list(documents.values_list("pk", flat=True))
    if ids:
        with connection.cursor() as cursor:
            backend.delete(cursor, ids)
        documents.model.objects.filter(pk__in=ids).delete()


def remove(label: str, object_ids: Iterable[str]) -> None:
    from shuzheng.foundation.search.models import SearchDocument

    ids = [str(i) for i in object_ids]
    with transaction.atomic():
        _delete(
            backends.current(), SearchDocument.objects.filter(model_label=label, object_id__in=ids)
        )


def sync(label: str, pks: Iterable) -> None:
    """Make the index match the database for these objects: (re)index the ones that are
    searchable, drop the others (deleted, or no longer in the spec's queryset)."""
    spec = spec_for_label(label)
    pks = list(pks)
    if spec is None or not pks:
        return
    objects = list(spec.indexing_rows().filter(pk__in=pks))
    present = {str(o.pk) for o in objects}
    missing = [str(pk) for pk in pks if str(pk) not in present]
    if missing:
        remove(label, missing)
    write_documents(source_of(spec, o) for o in objects)


# --- after-commit sync -------------------------------------------------------------------

_pending = threading.local()


def _queue() -> dict[str, set]:
    if not hasattr(_pending, "keys"):
        _pending.keys = defaultdict(set)
    return _pending.keys


def enqueue(label: str, pk) -> None:
    """Sync (label, pk) once the current transaction commits (right away outside one).

    Keys wait in a per-thread queue; the first callback after a commit drains it, so an
    object saved five times in one transaction is indexed once. A key left behind by a
    rolled-back transaction is drained by the next commit: harmless, ``sync`` reads the
    database as it is."""
    _queue()[label].add(pk)
    transaction.on_commit(flush, robust=True)


def flush() -> None:
    queue = _queue()
    while queue:
        label, pks = queue.popitem()
        try:
            sync(label, pks)
        except Exception:  # the business commit is done; a rebuild repairs the index
            log.exception("search: indexing %s %s failed", label, sorted(pks, key=str)[:20])


def _on_save(sender, instance, **kwargs) -> None:
    if sender in SPECS:
        enqueue(SPECS[sender].label, instance.pk)


def _on_delete(sender, instance, **kwargs) -> None:
    if sender in SPECS:
        enqueue(SPECS[sender].label, instance.pk)


def _dependency_handler(spec: IndexSpec, related: Callable) -> Callable:
    def handler(sender, instance, **kwargs) -> None:
        for obj in related(instance) or ():
            enqueue(spec.label, getattr(obj, "pk", obj))

    return handler


def connect_signals() -> None:
    """Called from the search app's ready(): saves and deletes of registered models."""
    post_save.connect(_on_save, dispatch_uid="search.on_save")
    post_delete.connect(_on_delete, dispatch_uid="search.on_delete")
    for spec in SPECS.values():
        connect_dependencies(spec)


def connect_dependencies(spec: IndexSpec) -> None:
    """Re-index ``spec``'s objects when an object they depend on is saved (idempotent: one
    handler per spec and dependency, whoever calls this first)."""
    for n, (model, related) in enumerate(spec.depends_on):
        post_save.connect(
            _dependency_handler(spec, related),
            sender=model,
            weak=False,
            dispatch_uid=f"search.depends.{spec.label}.{n}",
        )


# --- full rebuild ------------------------------------------------------------------------


def rebuild(spec: IndexSpec, progress: Callable[[int], None] | None = None) -> int:
    """Drop and re-create every document of one model, in one transaction."""
    from shuzheng.foundation.search.models import SearchDocument

    backend = backends.current()
    done = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            backend.delete_label(cursor, spec.label)
        SearchDocument.objects.filter(model_label=spec.label).delete()
        batch: list[Source] = []
        for obj in spec.indexing_rows().order_by("pk").iterator(chunk_size=CHUNK):
            batch.append(source_of(spec, obj))
            if len(batch) >= CHUNK:
                done += write_documents(batch, replace=False)
                batch = []
                if progress:
                    progress(done)
        done += write_documents(batch, replace=False)
        if progress:
            progress(done)
    return done
