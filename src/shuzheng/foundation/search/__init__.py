"""foundation.search — one search interface over SQLite FTS5 and PostgreSQL full text.

``register(Model, perm=..., title=..., ...)`` declares how a model is indexed; saves and
deletes reach the index after commit; ``query(user, text)`` returns ranked, highlighted
hits that ``access.scope`` has already filtered; ``ids(user, Model, text)`` gives a
selector the readable primary keys to filter on.
"""

from shuzheng.foundation.search.registry import register


def query(user, text, *, models=None, limit=20, offset=0):
    from shuzheng.foundation.search import querying

    return querying.query(user, text, models=models, limit=limit, offset=offset)


def ids(user, model, text, *, limit=200):
    from shuzheng.foundation.search import querying

    return querying.ids(user, model, text, limit=limit)


def reindex(obj) -> None:
    """Re-index one object now (e.g. after a queryset ``update()``, which sends no signal)."""
    from shuzheng.foundation.search import indexing

    indexing.sync(type(obj)._meta.label_lower, [obj.pk])


__all__ = ["ids", "query", "register", "reindex"]
