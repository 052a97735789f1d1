"""<mark> around what matched, in the original text; everything else HTML-escaped."""

from __future__ import annotations

import re

import rjieba
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from shuzheng.foundation.search import analysis


def spans(text: str, parsed: analysis.ParsedQuery) -> list[tuple[int, int]]:
    """Character ranges of ``text`` that a query matched: its words and synonyms literally,
    and words whose pinyin (or initials) is what the query meant."""
    folded = analysis.fold_aligned(text)
    found: list[tuple[int, int]] = []
    literal = sorted((w for w in parsed.highlight_words if w), key=len, reverse=True)
    if literal:
        pattern = re.compile("|".join(re.escape(w) for w in literal))
        found += [m.span() for m in pattern.finditer(folded)]
    forms = parsed.highlight_pinyin
    if forms:
        for token, start, end in rjieba.tokenize(folded, mode="search"):
            if not analysis.has_cjk(token):
                continue
            full, initials = analysis.pinyin(token)
            for form, prefix in forms:
                if form in (full, initials) or (
                    prefix and (full.startswith(form) or initials.startswith(form))
                ):
                    found.append((start, end))
                    break
    return _merge(found)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def render(text: str, ranges: list[tuple[int, int]], start: int = 0, end: int | None = None):
    end = len(text) if end is None else end
    out, pos = [], start
    for a, b in ranges:
        a, b = max(a, start), min(b, end)
        if a >= b:
            continue
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]))
    return "".join(out)


def title(text: str, parsed: analysis.ParsedQuery) -> SafeString:
    return mark_safe(render(text, spans(text, parsed)))  # noqa: S308  (escaped by render)


def snippet(text: str, parsed: analysis.ParsedQuery, *, width: int = 120) -> SafeString:
    """About ``width`` characters of ``text`` around its first match."""
    text = text[:5000]
    ranges = spans(text, parsed)
    if ranges:
        first = ranges[0][0]
        start = max(0, first - width // 3)
    else:
        start = 0
    end = min(len(text), start + width)
    body = render(text, ranges, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + body + suffix)  # noqa: S308  (escaped by render)
