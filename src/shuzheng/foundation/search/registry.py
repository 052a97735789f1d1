"""How each model is indexed: declared once with :func:`register`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

Getter = str | Callable[[Any], Any] | None

DEFAULT_BOOSTS = {"title": 3.0, "keywords": 2.0, "body": 1.0}


@dataclass(frozen=True)
class IndexSpec:
    model: type[models.Model]
    perm: str
    title: Getter
    body: Getter = None
    keywords: Getter = None
    boosts: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_BOOSTS))
    public: bool | Callable[[Any], bool] = False
    org_path: Getter = None
    language: Getter = None
    queryset: Callable[[], models.QuerySet] | None = None
    depends_on: tuple[tuple[type[models.Model], Callable[[Any], Iterable[Any]]], ...] = ()
    for_indexing: Callable[[models.QuerySet], models.QuerySet] | None = None
    facets: Getter = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    def rows(self) -> models.QuerySet:
        """The rows that belong in the index (and the only ones a search may return)."""
        if self.queryset is not None:
            return self.queryset()
        return self.model._default_manager.all()

    def indexing_rows(self) -> models.QuerySet:
        """``rows()`` with what building a document reads (related rows prefetched) — kept
        apart so that the access step of a search loads only what a hit shows."""
        rows = self.rows()
        return self.for_indexing(rows) if self.for_indexing is not None else rows

    def value(self, getter: Getter, obj) -> Any:
        if getter is None:
            return None
        if callable(getter):
            return getter(obj)
        value = obj
        for part in getter.replace("__", ".").split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value() if callable(value) else value

    def text(self, getter: Getter, obj) -> str:
        value = self.value(getter, obj)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, Iterable):
            return " ".join(str(v) for v in value if v)
        return str(value)

    def access_hint(self, obj) -> str:
        """ "public", the owning organisation's path, or "" — a pre-filter only: every hit
        is still passed through ``access.scope`` before anyone sees it."""
        public = self.public(obj) if callable(self.public) else self.public
        if public:
            return "public"
        return self.text(self.org_path, obj)


SPECS: dict[type[models.Model], IndexSpec] = {}


def register(
    model: type[models.Model],
    *,
    perm: str,
    title: Getter,
    body: Getter = None,
    keywords: Getter = None,
    boosts: dict[str, float] | None = None,
    public: bool | Callable[[Any], bool] = False,
    org_path: Getter = None,
    language: Getter = None,
    queryset: Callable[[], models.QuerySet] | None = None,
    depends_on: Iterable[tuple[type[models.Model], Callable[[Any], Iterable[Any]]]] = (),
    for_indexing: Callable[[models.QuerySet], models.QuerySet] | None = None,
    facets: Getter = None,
) -> IndexSpec:
    """Declare how ``model`` is indexed and which capability reads it.

    ``title`` / ``body`` / ``keywords`` / ``org_path`` / ``language``: a field name, a
    dotted path ("organisation.path") or a callable taking the object. ``boosts``: weight
    per field (title, keywords, body); ≥ 3 ranks as a title, ≥ 1.5 as keywords, less as
    body text. ``perm``: the capability ``access.scope`` checks on every hit. ``queryset``:
    the rows that are searchable at all (e.g. active ones). ``depends_on``: (other model,
    function from one of its objects to the objects of ``model`` to re-index) pairs; a save
    of such an object re-indexes those after commit (domain apps register in their own
    ``ready()``, after the search app's: the handlers are connected here). ``for_indexing``:
    adds what building documents reads to ``queryset`` (``prefetch_related`` …), used when
    indexing only. ``facets``: a callable giving the object's facet values ("depth:4",
    "org:1/36/" …) that ``query(facets=…)`` filters on inside the index.
    """
    spec = IndexSpec(
        model=model,
        perm=perm,
        title=title,
        body=body,
        keywords=keywords,
        boosts={**DEFAULT_BOOSTS, **(boosts or {})},
        public=public,
        org_path=org_path,
        language=language,
        queryset=queryset,
        depends_on=tuple(depends_on),
        for_indexing=for_indexing,
        facets=facets,
    )
    SPECS[model] = spec
    from shuzheng.foundation.search import indexing

    indexing.connect_dependencies(spec)
    return spec


def spec_for_label(label: str) -> IndexSpec | None:
    for spec in SPECS.values():
        if spec.label == label:
            return spec
    return None


def resolve(models_arg) -> list[IndexSpec]:
    """Specs for ``models`` given as classes or "app.Model" labels (None: all)."""
    if models_arg is None:
        return list(SPECS.values())
    out = []
    for item in models_arg:
        spec = spec_for_label(item.lower()) if isinstance(item, str) else SPECS.get(item)
        if spec is None:
            raise LookupError(f"{item} is not registered with search.register()")
        out.append(spec)
    return out
