"""Tables as CSV downloads that Excel opens correctly and that cannot smuggle a formula.

UTF-8 with a byte-order mark (Excel otherwise reads Chinese headers as mojibake); text that
a spreadsheet would take for a formula (= + - @, tab, carriage return) is prefixed with '
(CSV injection, OWASP), numbers are written as they are; times in local time."""

import csv
import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """One value as written to the file."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    if hasattr(value, "astimezone"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def percent_header(label) -> str:
    """A column heading of a rate given in per cent."""
    return _("%(label)s（%%）") % {"label": label}


def response(filename: str, columns, rows, *, percent=lambda key: False) -> HttpResponse:
    """``columns``: (key, label) pairs; ``rows``: dicts by key; ``percent(key)`` marks the
    columns whose heading gets "(%)"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [percent_header(label) if percent(key) else str(label) for key, label in columns]
    )
    for row in rows:
        writer.writerow([cell(row.get(key)) for key, _label in columns])
    result = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    result["Content-Disposition"] = f'attachment; filename="{filename}"'
    return result
