"""foundation.search — one search interface over SQLite FTS5 and PostgreSQL full text.

``register(Model, perm=..., title=..., ...)`` declares how a model is indexed; saves and
deletes reach the index after commit; ``query(user, text)`` returns ranked, highlighted
hits that ``access.scope`` has already filtered, each with the words it matched and how
(``Hit.matches``: 同义词, 拼音, 同音 …); ``ids(user, Model, text)`` gives a selector the
readable primary keys to filter on; ``suggest(text)`` known words for a "did you mean".
``synonym_file(source, path)`` declares a package's starting synonym groups, loaded by
``load_synonyms`` / ``manage.py search synonyms``.
"""

from shuzheng.foundation.search.registry import register


def query(user, text, *, models=None, limit=20, offset=0, within=None, facets=None, explain=True):
    from shuzheng.foundation.search import querying

    return querying.query(
        user,
        text,
        models=models,
        limit=limit,
        offset=offset,
        within=within,
        facets=facets,
        explain=explain,
    )


def ids(user, model, text, *, limit=200, within=None, facets=None):
    from shuzheng.foundation.search import querying

    return querying.ids(user, model, text, limit=limit, within=within, facets=facets)


def suggest(text, *, limit=5):
    from shuzheng.foundation.search import querying

    return querying.suggest(text, limit=limit)


def reindex(obj) -> None:
    """Re-index one object now (e.g. after a queryset ``update()``, which sends no signal)."""
    from shuzheng.foundation.search import indexing

    indexing.sync(type(obj)._meta.label_lower, [obj.pk])


def synonym_file(source, path) -> None:
    from shuzheng.foundation.search import services

    services.synonym_file(source, path)


def load_synonyms(actor, groups, *, source="", channel=None):
    from shuzheng.foundation.search import services

    return services.load_synonyms(actor, groups, source=source, channel=channel)


__all__ = [
    "ids",
    "load_synonyms",
    "query",
    "register",
    "reindex",
    "suggest",
    "synonym_file",
]
