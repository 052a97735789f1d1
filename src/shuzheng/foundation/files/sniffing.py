"""What a file *is*, decided from its bytes — never from its name or the client's
Content-Type — and whether a container would explode when opened.

Signatures at fixed offsets come from ``filetype`` (pure Python, no system library: nothing
to install on a fresh server, and no C parser of hostile input in the web process). The
containers (ZIP, DOCX, XLSX, OFD) all start with the same ZIP signature, so they are told
apart here from the ZIP's member names, read during the bomb check that walks them anyway.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from shuzheng.foundation.files.registry import DOCX, MB, OFD, PPTX, XLSX, ZIP

HEAD_BYTES = 8192
MACRO_DOCX = "application/vnd.ms-word.document.macroenabled.12"
MACRO_XLSX = "application/vnd.ms-excel.sheet.macroenabled.12"
UNKNOWN = "application/octet-stream"
TEXT = "text/plain"

# Native executables and loaders (ELF, PE/MZ, Mach-O and fat binaries, WebAssembly,
# Windows shortcuts, Java classes share 0xCAFEBABE with fat Mach-O).
_EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",
    b"L\x00\x00\x00\x01\x14\x02\x00",
)
# Scripts a browser, a shell or Windows Script Host would run (checked on the lowered head,
# after a byte-order mark and leading white space).
_SCRIPT_STARTS = (
    b"#!",
    b"<?php",
    b"<%",
    b"<script",
    b"<html",
    b"<!doctype html",
    b"<hta:",
    b"@echo off",
    b"<?xml-stylesheet",
)
_SCRIPT_ANYWHERE = (b"wscript.", b"createobject(", b"invoke-expression", b"<script")
_ARCHIVE_MIMES = {
    "application/zip",
    "application/x-tar",
    "application/x-rar-compressed",
    "application/gzip",
    "application/x-bzip2",
    "application/x-7z-compressed",
    "application/x-xz",
    "application/zstd",
    "application/x-lzip",
    "application/x-lz4",
    "application/x-compress",
    "application/vnd.ms-cab-compressed",
    "application/x-brotli",
    "application/x-lzop",
}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CHUNK = 64 * 1024


class Refused(ValidationError):
    """A refusal of the content, with one of the documented codes."""


def _refuse(message, code: str) -> Refused:
    return Refused(message, code=code)


def is_executable(head: bytes) -> bool:
    if head.startswith(_EXECUTABLE_MAGIC):
        return True
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith(_SCRIPT_STARTS):
        return True
    return _looks_textual(head) and any(marker in text for marker in _SCRIPT_ANYWHERE)


def _looks_textual(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut off at the end of the head is still text
        return exc.start >= len(head) - 3
    return True


def is_zip(head: bytes) -> bool:
    return head.startswith(_ZIP_MAGIC)


def is_archive(head: bytes) -> bool:
    if is_zip(head):
        return True
    kind = filetype.guess(head) if head else None
    return kind is not None and kind.mime in _ARCHIVE_MIMES


def sniff_head(head: bytes) -> str:
    """The MIME type of a non-container file from its first bytes (executables refused)."""
    if is_executable(head):
        raise _refuse(_("不接受可执行文件或脚本（无论扩展名如何）"), "executable")
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return kind.mime
    return TEXT if _looks_textual(head) else UNKNOWN


@dataclass
class Limits:
    max_uncompressed: int
    max_ratio: int
    max_entries: int
    ratio_floor: int = 1 * MB
    """Ratios are only judged past this many uncompressed bytes (tiny files compress oddly)."""

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_uncompressed=settings.FILES_ARCHIVE_MAX_UNCOMPRESSED,
            max_ratio=settings.FILES_ARCHIVE_MAX_RATIO,
            max_entries=settings.FILES_ARCHIVE_MAX_ENTRIES,
        )


@dataclass
class _Budget:
    limits: Limits
    entries: int = 0
    total: int = 0
    names: list[str] = field(default_factory=list)

    def bomb(self, message) -> Refused:
        return _refuse(message, "archive_bomb")


def sniff_container(fileobj: BinaryIO, size: int, limits: Limits | None = None) -> str:
    """The MIME type of a ZIP-based file, after walking every member with bounded effort.

    Every member is decompressed and its bytes are counted (declared sizes are not trusted),
    stopping as soon as the entry count, the total uncompressed size or the compression
    ratio passes its limit. Archives inside archives are refused, except the Office parts an
    OOXML or OFD document legitimately embeds (a chart's workbook), which are walked in turn
    on the same budget and may not nest further. Members are never written anywhere.
    """
    budget = _Budget(limits or Limits.from_settings())
    mime = _walk(fileobj, size, budget, depth=0)
    if budget.total > budget.limits.ratio_floor and budget.total > budget.limits.max_ratio * max(
        size, 1
    ):
        raise budget.bomb(_("压缩比异常，疑似压缩炸弹"))
    return mime


def _classify(names: list[str]) -> str:
    top = set(names)
    if "OFD.xml" in top:
        return OFD
    if "[Content_Types].xml" in top:
        macro = any(name.lower().endswith("vbaproject.bin") for name in names)
        if any(name.startswith("word/") for name in names):
            return MACRO_DOCX if macro else DOCX
        if any(name.startswith("xl/") for name in names):
            return MACRO_XLSX if macro else XLSX
        if any(name.startswith("ppt/") for name in names):
            return PPTX
    return ZIP


def _walk(fileobj: BinaryIO, size: int, budget: _Budget, *, depth: int) -> str:
    limits = budget.limits
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(_("压缩文件已损坏，无法检查"), "type_not_allowed") from exc
    with archive:
        infos = archive.infolist()
        if budget.entries + len(infos) > limits.max_entries:
            raise budget.bomb(
                _("压缩文件内的条目过多（上限 %(n)s 个）") % {"n": limits.max_entries}
            )
        mime = _classify([info.filename for info in infos])
        embeds_allowed = depth == 0 and mime in (DOCX, XLSX, PPTX, OFD)
        for info in infos:
            budget.entries += 1
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise _refuse(_("不接受加密的压缩文件：其内容无法检查"), "type_not_allowed")
            _read_member(archive, info, budget, depth=depth, embeds_allowed=embeds_allowed)
    return mime


def _read_member(archive, info, budget: _Budget, *, depth: int, embeds_allowed: bool) -> None:
    limits = budget.limits
    count = 0
    head = b""
    nested: list[bytes] | None = None
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                if not head:
                    head = chunk[:HEAD_BYTES]
                    if is_executable(head) and not _is_office_part(info.filename):
                        raise _refuse(
                            _("压缩文件内含可执行文件或脚本：%(name)s")
                            % {"name": info.filename[:100]},
                            "executable",
                        )
                    if is_archive(head):
                        if not (embeds_allowed and is_zip(head)):
                            raise budget.bomb(_("压缩文件内不得再含压缩文件"))
                        nested = []
                count += len(chunk)
                budget.total += len(chunk)
                if budget.total > limits.max_uncompressed:
                    raise budget.bomb(
                        _("解压后总大小超过上限 %(mb)s MB，疑似压缩炸弹")
                        % {"mb": limits.max_uncompressed // MB}
                    )
                if count > limits.ratio_floor and count > limits.max_ratio * max(
                    info.compress_size, 1
                ):
                    raise budget.bomb(_("压缩比异常，疑似压缩炸弹"))
                if nested is not None:
                    nested.append(chunk)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        NotImplementedError,
    ) as exc:
        raise _refuse(_("压缩文件已损坏，无法检查"), "type_not_allowed") from exc
    if nested is not None:
        import io

        data = b"".join(nested)
        _walk(io.BytesIO(data), len(data), budget, depth=depth + 1)


def _is_office_part(name: str) -> bool:
    """XML and relationship parts may well start like HTML-ish markup; they are data to the
    Office reader, not scripts. Anything else is sniffed like a top-level file."""
    return name.endswith((".xml", ".rels")) or name == "mimetype"
