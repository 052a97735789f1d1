"""Code-side registries of the files package: the *uses* an upload may serve, and the
*links* through which domain objects grant reading of the files attached to them.

Both are declared in code (like ``access.capability``), in an app's ``ready()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

# MIME types the sniffer reports (the only spellings a use may list).
PDF = "application/pdf"
OFD = "application/ofd"
JPEG = "image/jpeg"
PNG = "image/png"
MP4 = "video/mp4"
ZIP = "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

MB = 1024 * 1024


@dataclass(frozen=True)
class Use:
    """What an upload is for (申请材料, 公文附件, 现场取证…): which types, how big, how long."""

    code: str
    label: str
    allowed_types: frozenset[str]
    max_bytes: int
    retention_days: int
    upload_capability: str | None = None
    """When set, only holders of this capability may upload for this use."""


@dataclass(frozen=True)
class ReadLink:
    """Rows of ``model`` that a user may use with ``perm`` make the files at ``field`` readable."""

    model: type[models.Model]
    field: str
    perm: str


USES: dict[str, Use] = {}
LINKS: list[ReadLink] = []


def register_use(
    code: str,
    *,
    label: str,
    allowed_types: set[str] | frozenset[str],
    max_bytes: int,
    retention_days: int,
    upload_capability: str | None = None,
) -> Use:
    """Declare a use. Declaring the same code twice with different terms is a programming
    error (two packages disagreeing about one kind of file), so it raises."""
    if not code or "." not in code:
        raise ValueError(f"a use code is 'package.name', not {code!r}")
    if not allowed_types:
        raise ValueError(f"use {code!r} allows no type")
    if max_bytes <= 0 or retention_days <= 0:
        raise ValueError(f"use {code!r}: max_bytes and retention_days must be positive")
    use = Use(
        code,
        label,
        frozenset(allowed_types),
        int(max_bytes),
        int(retention_days),
        upload_capability,
    )
    known = USES.get(code)
    if known is not None and known != use:
        raise ValueError(f"use {code!r} is already declared with other terms")
    USES[code] = use
    return use


def readable_through(model: type[models.Model], field: str, perm: str) -> None:
    """Let whoever may use ``perm`` on a row of ``model`` read the file(s) at ``field``.

    ``field`` is a lookup path from ``model`` to ``StoredFile`` (a ForeignKey, a
    OneToOneField or a ManyToManyField, possibly across relations). Example, in the
    services package's ``apps.py``::

        files.readable_through(Material, "file", "services.view_application")

    The files selector then admits a file when ``access.scope(user, Material.objects.all(),
    "services.view_application")`` reaches a row that points at it, so reading through an
    object is governed by exactly the object's own rule.
    """
    link = ReadLink(model, field, perm)
    if link not in LINKS:
        LINKS.append(link)
