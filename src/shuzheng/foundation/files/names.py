"""File names from clients: refuse the dangerous ones, tidy the rest.

A client's file name is only ever shown back (list, Content-Disposition); it never becomes a
path — the blob's storage name is random. Still, a name that carries a path, a NUL, control
or direction-override characters is a sign of an attack (or of a broken client), so it is
refused rather than silently rewritten; harmless oddities are tidied.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_NAME_CHARS = 200
"""Longer names are refused (most file systems stop at 255 bytes; 200 CJK characters are
600 bytes in UTF-8, so the byte limit below applies as well)."""
MAX_NAME_BYTES = 255

_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_TIDY = str.maketrans({c: "_" for c in '<>:"|?*'})
_SPACES = re.compile(r"\s+")


def _bad(message) -> ValidationError:
    return ValidationError(message, code="bad_name")


def sanitise_name(raw: str) -> str:
    """The name to keep for ``raw``, or ValidationError(code="bad_name").

    Refused: empty names, path separators (``/`` and ``\\``), ``.`` and ``..``, NUL and
    other control / format characters (including the right-to-left override that makes
    ``exe.pdf`` look like ``fdp.exe``), unpaired surrogates and names over
    :data:`MAX_NAME_CHARS` characters or :data:`MAX_NAME_BYTES` UTF-8 bytes.
    Tidied: Unicode NFC, runs of white space to one space, leading dots and spaces and
    trailing dots and spaces removed, Windows-reserved characters to ``_``, reserved device
    names (``CON``, ``NUL.txt``…) prefixed with ``_``. Tidying a tidy name changes nothing.
    """
    if not isinstance(raw, str) or not raw:
        raise _bad(_("文件名不能为空"))
    if len(raw) > MAX_NAME_CHARS * 4:  # before any work on a huge string
        raise _bad(_("文件名过长"))
    if "/" in raw or "\\" in raw:
        raise _bad(_("文件名不能包含路径"))
    for char in raw:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn") or char in "\u2028\u2029":
            if char == "\x00":
                raise _bad(_("文件名不能包含空字符"))
            raise _bad(_("文件名不能包含控制字符或不可见字符"))
    name = unicodedata.normalize("NFC", raw)
    if "/" in name or "\\" in name:  # NFC never makes one, but keep the promise local
        raise _bad(_("文件名不能包含路径"))
    name = _SPACES.sub(" ", name).translate(_TIDY)
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        raise _bad(_("文件名不能为空，也不能只由点和空格组成"))
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    if len(name) > MAX_NAME_CHARS or len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise _bad(
            _("文件名过长：最多 %(chars)s 个字符（%(bytes)s 字节）")
            % {"chars": MAX_NAME_CHARS, "bytes": MAX_NAME_BYTES}
        )
    return name
