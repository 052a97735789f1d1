"""申请表中的个人号码 as staff see them: every ID and phone number in an application's form
answers masked by its type (``440402********1234``, ``138****5678``), the one function every
staff view of the answers goes through (the workbench page, the staff API); the clear answers
only through an audited reveal (``services.reveal``).

A field holds a personal number when the form says so — its ``form_ui.prefill`` maps it to
the applicant's ``id_number`` or ``mobile``, or its name or title names an ID or phone number
(``id_number``, ``*_id_number``, ``contact_phone``, 公民身份号码, 通行证号码, 联系电话 …) —
and, whatever the form says, any string that validates as one of the platform's document
numbers or as a mobile number is masked by its type, also inside free text (案情简述)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from shuzheng.foundation.identity.validators import (
    mask_id_number,
    mask_mobile,
    normalize_hk_macao_permit,
    normalize_hk_macao_residence_permit,
    normalize_hong_kong_id,
    normalize_macau_id,
    normalize_mobile,
    normalize_resident_id,
)

ID_NUMBER, PHONE = "id_number", "phone"

# What the form says: prefill sources, field names, titles.
_SOURCES = {"applicant.id_number": ID_NUMBER, "applicant.mobile": PHONE}
_ID_NAME = re.compile(r"(?:^|_)(?:id_number|id_no|id_card|permit_number|passport(?:_number)?)$")
_PHONE_NAME = re.compile(r"(?:^|_)(?:mobile|phone|telephone|tel)$")
_ID_TITLE = ("证件号码", "身份号码", "身份证", "通行证号码", "居住证号码", "护照号码")
_PHONE_TITLE = ("电话", "手机")

# The documents whose numbers a value is tried as: each has a fixed shape (and most a check
# character), so ordinary answers do not pass. Passports (any 5–17 letters or digits),
# 台湾居民来往大陆通行证 (any 8 digits) and a Macau ID without its brackets (any 8 digits
# starting 1, 5 or 7) are masked only where the form names the field.
_DOCUMENTS: tuple[Callable[[str], str], ...] = (
    normalize_resident_id,
    normalize_hk_macao_residence_permit,
    normalize_hk_macao_permit,
    normalize_hong_kong_id,
)
# Candidates inside free text: digit runs (with the spaces or hyphens people type), a
# letter prefix (H/M permits, Hong Kong IDs) and a bracketed check character.
_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?\d[\d -]{5,20}[\dXx](?:\([\dA]\))?|[A-Za-z]{1,2}\d{6,10}(?:\(?[\dA]\)?)?)"
    r"(?![0-9A-Za-z])"
)
_BARE_EIGHT = re.compile(r"\d{8}")


def personal_fields(schema: dict | None, ui: dict | None = None) -> dict[str, str]:
    """The form's fields that hold personal numbers: ``{name: ID_NUMBER | PHONE}``."""
    found: dict[str, str] = {}
    props = (schema or {}).get("properties") or {}
    for name, spec in props.items():
        title = str((spec or {}).get("title") or "") if isinstance(spec, dict) else ""
        if _ID_NAME.search(name) or any(word in title for word in _ID_TITLE):
            found[name] = ID_NUMBER
        elif _PHONE_NAME.search(name) or any(word in title for word in _PHONE_TITLE):
            found[name] = PHONE
    prefill = (ui.get("prefill") or {}) if isinstance(ui, dict) else {}
    for name, source in prefill.items():
        if str(source) in _SOURCES:
            found[str(name)] = _SOURCES[str(source)]
    return found


def _as_mobile(text: str) -> str | None:
    """The E.164 form of a mobile number — a bare 8-digit one tried as Macau, then Hong Kong
    — or None."""
    tries = [text]
    if _BARE_EIGHT.fullmatch(text):
        tries += [f"+853{text}", f"+852{text}"]
    for attempt in tries:
        try:
            return normalize_mobile(attempt)
        except ValidationError:
            continue
    return None


def _as_document(text: str) -> str | None:
    documents = (*_DOCUMENTS, normalize_macau_id) if "(" in text else _DOCUMENTS
    for normalize in documents:
        try:
            return normalize(text)
        except ValidationError:
            continue
    return None


def mask_number(text: str) -> str | None:
    """``text`` masked by its type if it is an ID or mobile number, else None."""
    text = text.strip()
    if not text:
        return None
    mobile = _as_mobile(text)
    if mobile is not None:
        return mask_mobile(mobile)
    document = _as_document(text)
    if document is not None:
        return mask_id_number(document)
    return None


def _keep(text: str, head: int, tail: int) -> str:
    """Letters and digits hidden but the first ``head`` and last ``tail``; all of them when
    the value is too short to hide anything."""
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    keep = set()
    if len(positions) > head + tail:
        keep = set(positions[:head]) | set(positions[len(positions) - tail :])
    return "".join(c if i in keep or not c.isalnum() else "*" for i, c in enumerate(text))


def _mask_as(kind: str, text: str) -> str:
    """A value of a field the form names as ``kind``: by its type, whatever it looks like."""
    text = text.strip()
    if not text:
        return text
    shown = mask_number(text)
    if shown is not None:
        return shown
    if kind == ID_NUMBER:
        return mask_id_number(text)
    digits = sum(c.isalnum() for c in text)
    return _keep(text, 3, 4) if digits >= 10 else _keep(text, 2, 2)  # a landline, say


def _mask_token(token: str) -> str | None:
    shown = mask_number(token)
    if shown is not None or " " not in token.strip():
        return shown
    parts = token.split(" ")
    masked = [mask_number(p) if p else None for p in parts]
    if not any(masked):
        return None
    return " ".join(m if m is not None else p for p, m in zip(parts, masked, strict=True))


def mask_text(text: str) -> str:
    """A free answer with every ID or mobile number in it masked by its type."""
    whole = mask_number(text)
    if whole is not None:
        return whole

    def replace(match: re.Match) -> str:
        shown = _mask_token(match.group(0))
        return match.group(0) if shown is None else shown

    return _CANDIDATE.sub(replace, text)


def _mask_value(value, spec: dict | None, kind: str | None):
    if isinstance(value, bool) or value is None:
        return value
    if kind is not None and isinstance(value, str | int | float):
        return _mask_as(kind, str(value))
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int):
        shown = mask_number(str(value))
        return value if shown is None else shown
    if isinstance(value, dict):
        return mask_form_answers(spec if isinstance(spec, dict) else None, value)
    if isinstance(value, list | tuple):
        items = (spec or {}).get("items") if isinstance(spec, dict) else None
        return [_mask_value(v, items if isinstance(items, dict) else None, kind) for v in value]
    return value


def mask_form_answers(schema: dict | None, data: dict | None, ui: dict | None = None) -> dict:
    """A copy of the answers ``data`` of a form (``schema`` its JSON Schema, ``ui`` its
    ``form_ui`` hints) with every personal number masked by its type: the fields the form
    names as ID or phone numbers, and any value that validates as one."""
    if not isinstance(data, dict):
        return {}
    props = (schema or {}).get("properties") or {}
    kinds = personal_fields(schema, ui)
    return {key: _mask_value(value, props.get(key), kinds.get(key)) for key, value in data.items()}


def mask_case_form(case) -> dict:
    """The form answers of ``case`` as staff see them without a reveal."""
    version = case.item_version
    return mask_form_answers(version.form_schema, case.form_data, version.form_ui)
