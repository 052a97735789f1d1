"""Write use-cases for files: store an upload, discard it, keep it longer, purge.

``store`` streams the upload once into a private temporary file, counting bytes and
computing SM3 on the way; everything after that (sniffing, the archive walk, the virus
scan) reads that copy, so what is checked is exactly what is stored. On any refusal the
temporary copy is removed and nothing reaches the storage or the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.files import scanning, sniffing
from shuzheng.foundation.files.models import StoredFile
from shuzheng.foundation.files.names import sanitise_name
from shuzheng.foundation.files.registry import MB, USES, Use
from shuzheng.foundation.trust import audit
from shuzheng.foundation.trust.models import Result

log = logging.getLogger(__name__)
_CHUNK = 64 * 1024

# Human names of the sniffed types, for messages.
TYPE_LABELS = {
    "application/pdf": "PDF",
    "application/ofd": "OFD",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "video/mp4": "MP4",
    "application/zip": "ZIP",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
}


def storage():
    return storages["files"]


def field_error(field_name: str, message, code: str) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, code=code)})


def get_use(code: str) -> Use:
    use = USES.get(code) if isinstance(code, str) else None
    if use is None:
        raise field_error(
            "use", _("未知的文件用途：%(code)s") % {"code": str(code)[:64]}, "unknown_use"
        )
    return use


def _label(mime: str) -> str:
    return TYPE_LABELS.get(mime, mime)


def _actor_ok(actor) -> None:
    if actor is access.SYSTEM or not getattr(actor, "is_authenticated", False):
        # Every file has a person who uploaded it; the installation uploads nothing itself.
        raise PermissionDenied(_("上传文件需要登录"))
    if not actor.is_active:
        raise PermissionDenied(_("账号已停用"))


def store(actor, use: str | Use, uploaded_file, *, name: str | None = None) -> StoredFile:
    """上传文件: keep ``uploaded_file`` for ``use`` if its bytes are of an allowed type,
    within the size limit, no executable, no archive bomb and not infected.

    The type is sniffed from the content; the client's name and Content-Type are ignored.
    The declared size is ignored too: bytes are counted while reading. Raises
    ValidationError with field ``file`` (codes ``too_large``, ``type_not_allowed``,
    ``executable``, ``archive_bomb``, ``infected``, ``bad_name``) or ``use``
    (``unknown_use``); in every such case no blob and no row remain.
    """
    _actor_ok(actor)
    use = use if isinstance(use, Use) else get_use(use)
    if use.upload_capability:
        access.require(actor, use.upload_capability)
    raw_name = name if name is not None else getattr(uploaded_file, "name", "") or ""
    try:
        clean_name = sanitise_name(raw_name)
    except ValidationError as exc:
        raise ValidationError({"file": exc.error_list}) from None
    temp_dir = getattr(settings, "FILES_TEMP_DIR", None) or None
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed in finally)
        prefix="upload-", dir=temp_dir, delete=False
    )
    try:
        size, digest = _copy(uploaded_file, handle, use)
        handle.flush()
        handle.seek(0)
        mime = _sniff(handle, size)
        if mime not in use.allowed_types:
            allowed = "、".join(sorted(_label(t) for t in use.allowed_types))
            raise field_error(
                "file",
                _("%(use)s只接受 %(allowed)s 文件，上传的是 %(type)s")
                % {"use": use.label, "allowed": allowed, "type": _label(mime)},
                "type_not_allowed",
            )
        try:
            scanning.scan(handle.name)
        except scanning.Infected as exc:
            _record_refusal(actor, use, "infected", signature=exc.signature, sm3=digest)
            raise field_error("file", _("文件未通过病毒查杀，已拒收"), "infected") from None
        except scanning.ScannerUnavailable:
            log.exception("virus scanner unavailable; upload refused")
            raise field_error(
                "file", _("病毒查杀服务暂不可用，请稍后再上传"), "scan_unavailable"
            ) from None
        handle.seek(0)
        return _keep(actor, use, handle, clean_name, mime, size, digest)
    except ValidationError as exc:
        codes = {error.code for error in exc.error_dict.get("file", [])}
        if codes & {"executable", "archive_bomb"}:
            _record_refusal(actor, use, ",".join(sorted(codes)))
        raise
    finally:
        handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)


def _copy(uploaded_file, handle, use: Use) -> tuple[int, str]:
    """Copy, count and hash; stop reading one byte past the limit."""
    digest = hashes.Hash(hashes.SM3())  # gm.sm3 is one-shot; the same primitive, streamed
    size = 0
    chunks = (
        uploaded_file.chunks(_CHUNK)
        if hasattr(uploaded_file, "chunks")
        else iter(lambda: uploaded_file.read(_CHUNK), b"")
    )
    for chunk in chunks:
        size += len(chunk)
        if size > use.max_bytes:
            raise field_error(
                "file",
                _("文件超过%(use)s的大小上限 %(limit)s")
                % {"use": use.label, "limit": human_size(use.max_bytes)},
                "too_large",
            )
        digest.update(chunk)
        handle.write(chunk)
    if size == 0:
        raise field_error("file", _("文件为空"), "empty")
    return size, digest.finalize().hex()


def _sniff(handle, size: int) -> str:
    head = handle.read(sniffing.HEAD_BYTES)
    handle.seek(0)
    try:
        if sniffing.is_zip(head):
            return sniffing.sniff_container(handle, size)
        return sniffing.sniff_head(head)
    except sniffing.Refused as exc:
        raise ValidationError({"file": exc.error_list}) from None


def human_size(n: int) -> str:
    if n % MB == 0:
        return f"{n // MB} MB"
    if n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} B"


def _storage_name() -> str:
    """Random, date-sharded, no extension: the name says nothing and runs as nothing."""
    today = timezone.localdate()
    return f"{today:%Y/%m}/{secrets.token_hex(16)}"


def _keep(actor, use: Use, handle, name: str, mime: str, size: int, digest: str) -> StoredFile:
    blob = storage()
    saved = blob.save(_storage_name(), File(handle, name="upload"))
    try:
        with transaction.atomic():
            now = timezone.now()
            stored = StoredFile.objects.create(
                owner=actor,
                purpose=use.code,
                name=name,
                content_type=mime,
                size=size,
                sm3=digest,
                storage_name=saved,
                created_at=now,
                retain_until=now + dt.timedelta(days=use.retention_days),
            )
            audit.record(
                actor,
                "files.file.store",
                stored,
                details={"use": use.code, "type": mime, "size": size, "sm3": digest},
            )
    except BaseException:
        blob.delete(saved)
        raise
    # A caller's enclosing transaction may still roll back: then the row goes but the blob
    # stays; `manage.py files purge --orphans` removes such blobs.
    return stored


def _record_refusal(actor, use: Use, reason: str, **extra) -> None:
    """A refused executable, bomb or virus is a security event: on record even though the
    request fails (in its own transaction when none is open)."""
    details = {"use": use.code, "reason": reason, **{k: v for k, v in extra.items() if v}}
    log.warning("upload refused: %s", details)
    try:
        if connection.in_atomic_block:
            audit.record(actor, "files.file.refuse", None, result=Result.DENIED, details=details)
        else:
            audit.record_outside(
                actor, "files.file.refuse", None, result=Result.DENIED, details=details
            )
    except Exception:  # never let the record of a refusal turn it into a 500
        log.exception("could not record an upload refusal")


@transaction.atomic
def discard(actor, stored: StoredFile) -> StoredFile:
    """删除文件: the owner withdraws a file; the bytes stay for the grace period
    (``FILES_DELETED_GRACE_DAYS``) so that a mistake can be undone by an operator."""
    access.check(actor, stored, "files.discard")
    if stored.deleted_at is None:
        stored.deleted_at = timezone.now()
        stored.save(update_fields=["deleted_at"])
        audit.record(actor, "files.file.discard", stored, details={"use": stored.purpose})
    return stored


@transaction.atomic
def keep_until(actor, stored: StoredFile, until: dt.datetime) -> StoredFile:
    """延长保存期限: a domain object that files a document (归档) extends its retention.
    Retention is only ever extended here, never shortened."""
    if actor is not access.SYSTEM:
        access.check(actor, stored, "files.read")
    if until > stored.retain_until:
        before = stored.retain_until
        stored.retain_until = until
        stored.save(update_fields=["retain_until"])
        audit.record(
            actor,
            "files.file.retain",
            stored,
            details={"from": before.isoformat(), "to": until.isoformat()},
        )
    return stored


@dataclass
class PurgeReport:
    expired: int = 0
    deleted: int = 0
    orphans: int = 0
    failed: list[str] = field(default_factory=list)


def purge(*, now: dt.datetime | None = None, orphans: bool = False, dry_run: bool = False):
    """清除过期文件: remove the bytes of files past their retention, and of discarded files
    past the grace period; the row stays, marked ``purged_at`` (and audited), as the record
    that the file existed and when it went. Blob first, then the row: a crash in between
    leaves a row that the next run purges again (deleting a missing blob is harmless)."""
    now = now or timezone.now()
    grace = dt.timedelta(days=settings.FILES_DELETED_GRACE_DAYS)
    report = PurgeReport()
    live = StoredFile.objects.filter(purged_at__isnull=True)
    batches = (
        ("retention", live.filter(retain_until__lte=now)),
        ("deleted", live.filter(deleted_at__lte=now - grace, retain_until__gt=now)),
    )
    for reason, rows in batches:
        for stored in rows.order_by("created_at").iterator():
            if dry_run:
                _count(report, reason)
                continue
            try:
                storage().delete(stored.storage_name)
                with transaction.atomic():
                    StoredFile.objects.filter(pk=stored.pk).update(
                        purged_at=now, deleted_at=stored.deleted_at or now
                    )
                    audit.record(
                        access.SYSTEM,
                        "files.file.purge",
                        stored,
                        details={"reason": reason, "use": stored.purpose, "sm3": stored.sm3},
                    )
                _count(report, reason)
            except Exception:
                log.exception("could not purge file %s", stored.pk)
                report.failed.append(str(stored.pk))
    if orphans:
        report.orphans = sweep_orphans(now=now, dry_run=dry_run)
    return report


def _count(report: PurgeReport, reason: str) -> None:
    if reason == "retention":
        report.expired += 1
    else:
        report.deleted += 1


def sweep_orphans(*, now: dt.datetime, dry_run: bool = False, min_age_hours: int = 24) -> int:
    """Blobs no row names (a caller's transaction rolled back after ``store``), older than a
    day so that an upload in flight is never touched."""
    blob = storage()
    known = set(StoredFile.objects.values_list("storage_name", flat=True))
    removed = 0
    for name in _walk_storage(blob, ""):
        if name in known:
            continue
        try:
            modified = blob.get_modified_time(name)
        except (NotImplementedError, OSError):
            continue
        if modified > now - dt.timedelta(hours=min_age_hours):
            continue
        if not dry_run:
            blob.delete(name)
            with transaction.atomic():
                audit.record(access.SYSTEM, "files.blob.sweep", ("files.blob", name))
        removed += 1
    return removed


def _walk_storage(blob, path: str):
    dirs, names = blob.listdir(path)
    for name in names:
        yield f"{path}/{name}" if path else name
    for sub in dirs:
        yield from _walk_storage(blob, f"{path}/{sub}" if path else sub)
