"""What a consumer receives of one record: only the granted items, each clear, masked or
withheld by its level (GB/T 43697) and the grant — the one policy every path that lets data
out (the gateway's list, detail, search and export; previews in the workbench) applies.

The policy (``delivery``):

* 核心数据 items are never delivered (withheld), whatever the grant says;
* 重要数据 items are always masked;
* 一般数据 3–4 级 items and sensitive personal information are masked unless the grant names
  them in ``clear_fields`` (the provider agreed to clear delivery);
* 一般数据 1–2 级 items are delivered clear.

An item is the published item dict of ``CatalogueEntry.published["items"]`` (keys ``code``,
``grade``, ``mask``, ``sensitive_personal``, …) or a ``DataItem``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shuzheng.data.catalog.models import GRADE_RANK, Grade, MaskRule
from shuzheng.foundation.identity.validators import mask_id_number
from shuzheng.foundation.trust import pii

CLEAR, MASKED, WITHHELD = "clear", "masked", "withheld"


def _get(item, name: str, default=None):
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def delivery(item, *, clear_granted: bool) -> str:
    """``clear``, ``masked`` or ``withheld`` for ``item`` under a grant that does
    (``clear_granted``) or does not name it among its clear fields."""
    rank = GRADE_RANK[_get(item, "grade") or Grade.GENERAL_1]
    if rank >= GRADE_RANK[Grade.CORE]:
        return WITHHELD
    if rank >= GRADE_RANK[Grade.IMPORTANT]:
        return MASKED
    if rank >= GRADE_RANK[Grade.GENERAL_3] or _get(item, "sensitive_personal"):
        return CLEAR if clear_granted else MASKED
    return CLEAR


def may_grant_clear(item) -> bool:
    """Whether clear delivery of ``item`` can be granted at all (below 重要数据)."""
    return GRADE_RANK[_get(item, "grade") or Grade.GENERAL_1] < GRADE_RANK[Grade.IMPORTANT]


def _keep(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value) if len(value) > 1 else "*"
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


_ADDRESS_CUT = ("街道", "镇", "区", "县", "市")


def _address(value: str) -> str:
    for mark in _ADDRESS_CUT:
        at = value.find(mark)
        if 0 < at < len(value) - 1:
            return value[: at + len(mark)] + "****"
    return _keep(value, 3, 0)


def mask_value(rule: str, value: Any) -> Any:
    """``value`` masked by ``rule`` (a ``MaskRule``). ``None`` stays ``None``; a rule that
    cannot apply to the value's type suppresses it rather than risk showing it."""
    if value is None or value == "":
        return value
    text = str(value)
    if rule == MaskRule.ID_NUMBER:
        return mask_id_number(text)
    if rule == MaskRule.PHONE:
        digits = text.lstrip("+")
        return _keep(digits, 3, 4) if len(digits) >= 8 else "*" * len(digits)
    if rule == MaskRule.NAME:
        return text[0] + "*" * max(len(text) - 1, 1)
    if rule == MaskRule.ADDRESS:
        return _address(text)
    if rule == MaskRule.DATE_YEAR:
        return text[:4] if len(text) >= 4 and text[:4].isdigit() else None
    if rule == MaskRule.PSEUDONYM:
        return pii.blind_index("data.pseudonym", text)[:16]
    if rule == MaskRule.PARTIAL or (rule == MaskRule.NONE and isinstance(value, str)):
        return _keep(text, 1, 1)
    return None  # SUPPRESS, or a masked non-text value without a rule


def deliver(
    items: Iterable, record: Mapping[str, Any], fields: Iterable[str], clear_fields: Iterable[str]
) -> dict[str, Any]:
    """The part of ``record`` a consumer receives: the ``fields`` asked for and granted (the
    caller has checked the grant), each clear, masked or left out by :func:`delivery`."""
    by_code = {_get(item, "code"): item for item in items}
    clear = set(clear_fields)
    out: dict[str, Any] = {}
    for code in fields:
        item = by_code.get(code)
        if item is None:
            continue
        how = delivery(item, clear_granted=code in clear)
        if how == WITHHELD:
            continue
        value = record.get(code)
        out[code] = value if how == CLEAR else mask_value(_get(item, "mask") or "none", value)
    return out


def plan(items: Iterable, fields: Iterable[str], clear_fields: Iterable[str]) -> dict[str, str]:
    """``{code: clear|masked|withheld}`` for ``fields`` — shown to requesters, providers and
    in the gateway's response header so a consumer knows which values are masked."""
    by_code = {_get(item, "code"): item for item in items}
    clear = set(clear_fields)
    return {
        code: delivery(by_code[code], clear_granted=code in clear)
        for code in fields
        if code in by_code
    }
