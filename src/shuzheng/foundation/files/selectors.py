"""Read queries for files. Every one starts from :func:`readable`, which goes through
``access.scope`` for the file itself (its owner) and for every object a domain package
linked with ``files.readable_through`` — one path, so a list and a download agree."""

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from shuzheng.foundation import access
from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.files.registry import LINKS


def readable(user) -> QuerySet[StoredFile]:
    """Files ``user`` may read: their own, and those attached to objects they may see."""
    files = StoredFile.objects.filter(deleted_at__isnull=True, purged_at__isnull=True)
    allowed = Q(pk__in=access.scope(user, StoredFile.objects.all(), "files.read").values("pk"))
    for link in LINKS:
        through = access.scope(user, link.model._default_manager.all(), link.perm)
        allowed |= Q(pk__in=through.filter(**{f"{link.field}__isnull": False}).values(link.field))
    return files.filter(allowed)


def file_for(user, pk) -> StoredFile:
    """One readable file, or Http404 — a file one may not read is a file that isn't there."""
    try:
        key = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
    except ValueError as exc:
        raise Http404 from exc
    try:
        return readable(user).get(pk=key)
    except StoredFile.DoesNotExist as exc:
        raise Http404 from exc


def open_content(stored: StoredFile):
    """The stored bytes, opened for reading (the caller closes it)."""
    from shuzheng.foundation.files.services import storage

    return storage().open(stored.storage_name, "rb")
