"""Text analysis shared by indexing and querying: fold, segment, transliterate.

Both sides run the same pipeline, so a query meets the index in the same form:

1. fold: NFKC (full-width → half-width), lower case, Traditional → Simplified (OpenCC
   ``hk2s``: Hong Kong / Macau variants first, then standard Traditional);
2. segment with rjieba (jieba's dictionary and HMM in Rust, ≈ 10× jieba): the index takes
   the search-mode cut (words *and* their dictionary sub-words: 社会保障 → 社会, 保障,
   社会保障), a query takes the precise cut (the words the user meant);
3. pinyin (pypinyin): full pinyin and initials of the title / keyword words, so shebaoka
   and sbk find 社保卡 — and so does 社宝, a homophone misspelling, through its pinyin.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import opencc
import rjieba
from pypinyin import lazy_pinyin

_converter = opencc.OpenCC("hk2s.json")
_WORD = re.compile(r"^[^\W_]+$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"^[a-z]+$")

# Colloquial words that carry no subject in a query (怎么办社保卡 → 社保卡). Only used on
# the query side, and only while something else is left of the query.
STOPWORDS = frozenset(
    """
    怎么 怎么办 怎样 怎么样 如何 哪里 在哪 在哪里 哪儿 哪些 什么 为什么 多少 多久 是否 能否
    可以 能 要 想 需要 我 我们 你 您 的 了 吗 呢 吧 啊 和 与 及 或 在 是 有 去 到 给 把 被
    办 办理 请问 一下 怎么弄 咋 咋办 啥 个 些
    """.split()  # noqa: SIM905  (a word list reads better as text)
)


def fold(text: str) -> str:
    """Full-width → half-width, lower case, Traditional → Simplified."""
    return _converter.convert(unicodedata.normalize("NFKC", text).lower())


def fold_aligned(text: str) -> str:
    """``fold`` that keeps every character at its offset (for highlighting the original)."""
    chars = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch).lower()
        chars.append(folded if len(folded) == 1 else ch.lower())
    plain = "".join(chars)
    converted = _converter.convert(plain)
    if len(converted) == len(plain):
        return converted
    return "".join(c if len(c := _converter.convert(ch)) == 1 else ch for ch in plain)


def is_word(token: str) -> bool:
    return bool(_WORD.match(token))


def has_cjk(token: str) -> bool:
    return bool(_CJK.search(token))


def is_latin(token: str) -> bool:
    return bool(_LATIN.match(token))


def index_tokens(text: str) -> list[str]:
    """Search-mode tokens of folded ``text`` (words and their dictionary sub-words)."""
    return [t for t in rjieba.cut_for_search(fold(text)) if is_word(t)]


def words(folded: str) -> list[str]:
    """Precise-mode words of already folded text."""
    return [t for t in rjieba.cut(folded) if is_word(t)]


@functools.lru_cache(maxsize=200_000)
def pinyin(word: str) -> tuple[str, str]:
    """(full pinyin, initials) of a word, e.g. 社保卡 → ("shebaoka", "sbk")."""
    syllables = [s for s in lazy_pinyin(word, errors="ignore") if s.isalpha()]
    if not syllables:
        return "", ""
    return "".join(syllables), "".join(s[0] for s in syllables)


def pinyin_tokens(text: str) -> list[str]:
    """Pinyin forms of the Chinese words of ``text`` for the pinyin column.

    Full pinyin of every word and sub-word (shebao, shebaoka), initials of words of two or
    more characters (sb, sbk), and both forms of adjacent word pairs of the precise cut
    (社会保障 + 卡 → shehuibaozhangka, shbzk), so a whole name typed in pinyin matches.
    """
    folded = fold(text)
    out: list[str] = []
    for token in rjieba.cut_for_search(folded):
        if is_word(token) and has_cjk(token):
            full, initials = pinyin(token)
            if full:
                out.append(full)
                if len(initials) > 1:
                    out.append(initials)
    precise = [w for w in words(folded) if has_cjk(w)]
    for left, right in zip(precise, precise[1:], strict=False):
        full, initials = pinyin(left + right)
        if full:
            out.extend((full, initials))
    return out


# --- queries -----------------------------------------------------------------------------


@dataclass
class Term:
    """One word of a query and everything that may stand for it in a document."""

    word: str
    alternatives: list[list[str]] = field(default_factory=list)  # each: tokens, all required
    pinyin: str = ""  # exact token in the pinyin column (Chinese words)
    prefix: str = ""  # prefix in the pinyin column (a word typed in pinyin / initials)


@dataclass
class ParsedQuery:
    terms: list[Term]
    whole_pinyin: str = ""  # the whole short Chinese query as one pinyin token

    @property
    def highlight_words(self) -> set[str]:
        return {" ".join(alt).replace(" ", "") for t in self.terms for alt in t.alternatives}

    @property
    def highlight_pinyin(self) -> list[tuple[str, bool]]:
        forms = [(t.pinyin, False) for t in self.terms if t.pinyin]
        forms += [(t.prefix, True) for t in self.terms if t.prefix]
        if self.whole_pinyin:
            forms.append((self.whole_pinyin, False))
        return forms


def parse_query(text: str, synonyms: dict[str, set[str]] | None = None) -> ParsedQuery:
    """Fold and segment a query; expand each word by synonyms and pinyin."""
    synonyms = synonyms or {}
    folded = fold(text)
    all_words = _join_known(words(folded), synonyms)
    kept = [w for w in all_words if w not in STOPWORDS] or all_words
    terms: list[Term] = []
    seen: set[str] = set()
    for word in kept:
        if word in seen:
            continue
        seen.add(word)
        term = Term(word)
        spelt: set[str] = set()
        if has_cjk(word):
            term.pinyin = pinyin(word)[0]
            # a homophone of a known word (社宝 → shebao → 社保) stands for that word
            spelt = _spelt(synonyms).get(term.pinyin, set()) - {word}
        elif is_latin(word) and len(word) >= 2:
            term.prefix = word
            # typed in pinyin or initials: the known words read that way (sbk → 社保卡)
            spelt = _spelt(synonyms).get(word, set())
        for source in [word, *sorted(spelt)]:
            for variant in _variants(source, synonyms):
                for tokens in _alternatives(variant):
                    if tokens not in term.alternatives:
                        term.alternatives.append(tokens)
        terms.append(term)
    whole = ""
    chinese = [t.word for t in terms if has_cjk(t.word)]
    if len(chinese) > 1 and len("".join(chinese)) <= 8:
        whole = pinyin("".join(chinese))[0]
    return ParsedQuery(terms, whole)


def _join_known(cut: list[str], synonyms: dict[str, set[str]]) -> list[str]:
    """Re-join words that together form a synonym-table entry (房屋 档案 → 房屋档案)."""
    out, i = [], 0
    while i < len(cut):
        for j in range(min(len(cut), i + 5), i + 1, -1):
            if "".join(cut[i:j]) in synonyms:
                out.append("".join(cut[i:j]))
                i = j
                break
        else:
            out.append(cut[i])
            i += 1
    return out


_spelt_cache: dict[int, dict[str, set[str]]] = {}


def _spelt(synonyms: dict[str, set[str]]) -> dict[str, set[str]]:
    """Full pinyin and initials → the synonym words read that way."""
    key = id(synonyms)
    if key not in _spelt_cache:
        table: dict[str, set[str]] = {}
        for word in synonyms:
            for form in pinyin(word):
                if len(form) >= 2:
                    table.setdefault(form, set()).add(word)
        _spelt_cache.clear()
        _spelt_cache[key] = table
    return _spelt_cache[key]


def _alternatives(variant: str) -> list[list[str]]:
    """How a word may appear in the index: as itself (as segmented in the query), and —
    because the segmenter may cut it differently inside a longer word (社会保险费 →
    社会, 保险, 保险费, 社会保险费: no 社会保险) — as its pieces, all required."""
    tokens = words(variant) or [variant]
    out = [tokens]
    if len(tokens) == 1 and len(variant) > 2 and has_cjk(variant):
        subs = [(a, b) for t, a, b in rjieba.tokenize(variant, mode="search") if t != variant]
        pieces, covered = [], 0
        while covered < len(variant):
            ends = [b for a, b in subs if a <= covered < b]
            end = max(ends) if ends else covered + 1
            start = max(a for a, b in subs if b == end) if ends else covered
            pieces.append(variant[min(start, covered) : end])
            covered = end
        if len(pieces) > 1:
            out.append(pieces)
    return out


def _variants(word: str, synonyms: dict[str, set[str]], limit: int = 8) -> list[str]:
    """The word, its synonyms, and the word with a contained synonym swapped in
    (社保卡办理点 → 社会保障卡办理点 when 社保卡 ⇄ 社会保障卡)."""
    out = [word, *sorted(synonyms.get(word, ()))]
    for term, others in synonyms.items():
        if len(term) >= 2 and term != word and term in word:
            out += [word.replace(term, other) for other in sorted(others)]
    unique = list(dict.fromkeys(out))
    return unique[:limit]
