"""<mark> around what matched, in the original text; everything else HTML-escaped."""

from __future__ import annotations

import functools
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
        found += [m.span() for m in _pattern(tuple(literal)).finditer(folded)]
    # Reading every word of the text in pinyin is the slow part: only for the words of the
    # query that none of their alternatives found literally (a sound-alike, a pinyin word).
    forms = _unfound_forms(parsed, folded)
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


@functools.lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in words))


def _unfound_forms(parsed: analysis.ParsedQuery, folded: str) -> list[tuple[str, bool]]:
    forms = []
    for term in parsed.terms:
        if any("".join(alt) in folded for alt in term.alternatives):
            continue
        if term.pinyin:
            forms.append((term.pinyin, False))
        if term.prefix:
            forms.append((term.prefix, True))
    if parsed.whole_pinyin and not found_all(parsed, folded):
        forms.append((parsed.whole_pinyin, False))
    return forms


def found_all(parsed: analysis.ParsedQuery, folded: str) -> bool:
    return all(any("".join(alt) in folded for alt in t.alternatives) for t in parsed.terms)


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
    """About ``width`` characters of ``text`` around its first match (within its first
    2,000 characters)."""
    text = text[:2000]
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
