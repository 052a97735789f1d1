"""The platform's own data store: rows of catalogue entries whose data the platform holds
(``DatasetRecord``, SM4-GCM at rest). Reads here are raw — they do not check access or apply
the grant; callers are the gateway (after its grant check), quality checks and the provider's
own loading. Writes go through ``put_records`` (a use case: access, audit, one transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.catalog.models import CatalogueEntry, DatasetRecord
from shuzheng.foundation import access
from shuzheng.foundation.trust import audit, pii

BATCH = 500


def key_item(entry: CatalogueEntry):
    """The entry's key 信息项 (``is_key``) or ``None``."""
    return next((item for item in entry.items.all() if item.is_key), None)


def put_records(
    actor, entry: CatalogueEntry, rows: Iterable[Mapping], *, replace: bool = False
) -> int:
    """Load ``rows`` (dicts keyed by 信息项标识) into the store of ``entry``; ``replace`` empties
    it first. Every row is checked before anything is written: an unknown item or a row
    without its key value rejects the whole load with the row numbers."""
    access.check(actor, entry, "datacatalog.edit")
    codes = {item.code for item in entry.items.all()}
    key = key_item(entry)
    rows = list(rows)
    errors = []
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - codes)
        if unknown:
            errors.append(
                _("第 %(n)d 行：没有这些信息项：%(codes)s")
                % {"n": number, "codes": ", ".join(unknown)}
            )
        if key is not None and not str(row.get(key.code) or "").strip():
            errors.append(_("第 %(n)d 行：缺少主键 %(key)s") % {"n": number, "key": key.name})
    if errors:
        raise ValidationError({"rows": errors})
    now = timezone.now()
    with transaction.atomic():
        if replace:
            DatasetRecord.objects.filter(entry=entry).delete()
        objs = [
            DatasetRecord(
                entry=entry,
                key_value=str(row.get(key.code)) if key is not None else "",
                data=dict(row),
                updated_at=now,
            )
            for row in rows
        ]
        DatasetRecord.objects.bulk_create(objs, batch_size=BATCH)
        CatalogueEntry.objects.filter(pk=entry.pk).update(data_updated_at=now)
        entry.data_updated_at = now
        audit.record(
            actor,
            "data.catalog.records.load",
            entry,
            details={"rows": len(objs), "replace": replace},
        )
    return len(objs)


def lookup(entry_id: int, key_value: str) -> tuple[int, dict] | None:
    """The stored row whose key item equals ``key_value`` (by blind index), or ``None``."""
    if not key_value:
        return None
    row = (
        DatasetRecord.objects.filter(
            entry_id=entry_id, key_index=pii.blind_index("data.record_key", str(key_value))
        )
        .order_by("pk")  # not the model's ordering: that joins the entry and scans its rows
        .values_list("pk", "data")
        .first()
    )
    return None if row is None else (row[0], row[1])


def page(entry_id: int, *, after: int = 0, limit: int = 100) -> list[tuple[int, dict]]:
    """Rows of ``entry_id`` with store id above ``after``, in id order (keyset paging)."""
    rows = DatasetRecord.objects.filter(entry_id=entry_id, pk__gt=after).order_by("pk")[:limit]
    return [(r.pk, r.data) for r in rows.only("pk", "data")]


def iterate(entry_id: int, *, batch: int = BATCH):
    """Every row of ``entry_id`` as ``(id, dict)``, read in batches."""
    after = 0
    while True:
        rows = page(entry_id, after=after, limit=batch)
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def count(entry_id: int) -> int:
    return DatasetRecord.objects.filter(entry_id=entry_id).count()
