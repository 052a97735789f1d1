"""Small helpers of the data-quality API: query-parameter parsing, If-Match, ETag."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.http import urlencode
from django.utils.translation import gettext as _

TAG = ["data-quality"]
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def int_param(params, key: str) -> int | None:
    raw = params.get(key)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({key: ValidationError(_("应为整数"), code="invalid")}) from None


def limit_param(params) -> int:
    return max(1, min(int_param(params, "limit") or DEFAULT_LIMIT, MAX_LIMIT))


def if_match(request) -> int | None:
    """The revision in ``If-Match`` (``"3"``, ``W/"3"``; absent or ``*``: none)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip().strip('"')
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            {"If-Match": ValidationError(_("If-Match 应为规则的修订号"), code="invalid")}
        ) from None


def etag(obj) -> str:
    return f'"{obj.revision}"'


def next_url(request, rows, limit: int) -> str | None:
    """The next page's URL (keyset by ``after``) when this page is full."""
    if len(rows) < limit:
        return None
    query = {k: v for k, v in request.query_params.items() if k != "after"}
    query["after"] = rows[-1].pk
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
