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
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import opencc
import rjieba
from pypinyin import lazy_pinyin

_converter = opencc.OpenCC("hk2s.json")
_WORD = re.compile(r"^[^\W_]+$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ALL_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_LATIN = re.compile(r"^[a-z]+$")

# Colloquial words that carry no subject in a query (怎么办社保卡 → 社保卡; 开饭店要什么证
# → 开饭店). Only used on the query side, and only while something else is left of the query.
STOPWORDS = frozenset(
    """
    怎么 怎么办 怎样 怎么样 如何 哪里 在哪 在哪里 哪儿 哪些 什么 为什么 多少 多久 是否 能否
    可以 能 要 想 需要 我 我们 你 您 的 了 吗 呢 吧 啊 和 与 及 或 在 是 有 去 到 给 把 被
    办 办理 请问 一下 怎么弄 咋 咋办 啥 个 些 证 手续 东西 事 事情 哪个 谁 找谁 得 着 过 还
    就 都 该 应该 一个 能不能 可不可以 有没有 要不要 想要 打算 才能 时候 怎么样才能 需要什么
    """.split()  # noqa: SIM905  (a word list reads better as text)
)


def fold(text: str) -> str:
    """Full-width → half-width, lower case, Traditional → Simplified."""
    return _converter.convert(unicodedata.normalize("NFKC", text).lower())


def fold_aligned(text: str) -> str:
    """``fold`` that keeps every character at its offset (for highlighting the original)."""
    # The common case, whole-string: NFKC only narrowed full-width characters (，（）： …)
    # one for one, lower() and OpenCC kept the length. Per character otherwise (slow).
    lowered = unicodedata.normalize("NFKC", text).lower()
    if len(lowered) == len(text):
        converted = _converter.convert(lowered)
        if len(converted) == len(lowered):
            return converted
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


def facet_token(facet: str) -> str:
    """The index token of a facet ("depth:4", "org:1/36/"): a digit first, so that no word
    typed in pinyin (letters only) can ever prefix-match it, then a hash of the facet."""
    return "0f" + hashlib.blake2s(facet.encode(), digest_size=8).hexdigest()


# --- queries -----------------------------------------------------------------------------

# How a word of a query met a document (``Term.reasons``, ``querying.Match``).
EXACT = "exact"  # the word itself
TRADITIONAL = "traditional"  # typed in Traditional characters
SYNONYM = "synonym"  # a word of its synonym group
HOMOPHONE = "homophone"  # a known word that sounds the same (公基金 → 公积金)
TYPO = "typo"  # a known word one look-alike character away (居往证 → 居住证)
PINYIN = "pinyin"  # typed in full pinyin (gongjijin)
INITIALS = "initials"  # typed as pinyin initials (gjj)
MATCH_KINDS = (EXACT, TRADITIONAL, SYNONYM, HOMOPHONE, TYPO, PINYIN, INITIALS)

# Look-alike characters (形近字) that people type for one another in service names. A word
# of a query one such swap away from a known word (a synonym-table word) also looks for it.
CONFUSABLE = frozenset(
    frozenset(pair)
    for pair in """
    住往 往注 拨拔 候侯 已己 己巳 未末 辨辩 辩辫 籍藉 贷货 凭赁 营菅 戍戌 治冶 准淮 迁迂
    折拆 即既 免兔 历厉 券卷 帐账 贴帖 津律 护沪 执热 抚扰 缴激 低底 抵底 签鉴 驾架 婚昏
    证征 记纪 保堡 补朴 领岭 领邻 续读 续绩 残线 险脸 验脸 检捡 捡拣 障彰 牌碑 赔陪 借惜
    休体 退腿 休伏 证正 照昭 税锐 购构 购沟 房方 户尸 籍箱 居据 租祖 派泒 遗遣 延廷
    """.split()  # noqa: SIM905  (a word list reads better as text)
)


@dataclass
class Term:
    """One word of a query and everything that may stand for it in a document.

    ``alternatives[i]`` are tokens that must all occur; ``reasons[i]`` says why they stand
    for the word: (one of MATCH_KINDS, the word they spell, the corrected word it is a
    synonym of — "" unless a correction was needed first)."""

    word: str
    alternatives: list[list[str]] = field(default_factory=list)  # each: tokens, all required
    pinyin: str = ""  # exact token in the pinyin column (Chinese words)
    prefix: str = ""  # prefix in the pinyin column (a word typed in pinyin / initials)
    typed: str = ""  # the word as the user typed it (Traditional, misspelt …)
    reasons: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, tokens: list[str], kind: str, word: str, via: str = "") -> None:
        if tokens not in self.alternatives:
            self.alternatives.append(tokens)
            self.reasons.append((kind, word, via))

    @property
    def shown(self) -> str:
        return self.typed or self.word


@dataclass
class ParsedQuery:
    terms: list[Term]
    whole_pinyin: str = ""  # the whole short Chinese query as one pinyin token
    text: str = ""  # the query as typed
    facets: list[list[str]] = field(default_factory=list)  # required facet tokens (AND of ORs)

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
    """Fold and segment a query; expand each word by synonyms, pinyin, sound-alike and
    look-alike known words, remembering why each alternative stands for the word."""
    synonyms = synonyms or {}
    typed_text = unicodedata.normalize("NFKC", text).lower()
    folded = fold(text)
    aligned = len(typed_text) == len(folded)  # OpenCC kept every character in place
    cut = [(w, a, b) for w, a, b in rjieba.tokenize(folded) if is_word(w)]
    pieces = _join_known(cut, synonyms)
    kept = [p for p in pieces if p[0] not in STOPWORDS] or pieces
    terms: list[Term] = []
    seen: set[str] = set()
    for word, start, end, fixed in kept:
        if word in seen:
            continue
        seen.add(word)
        typed = typed_text[start:end] if aligned else word
        term = Term(word, typed=typed)
        own = TRADITIONAL if typed != word and fold(typed) == word else EXACT
        sources = [(word, own)]
        if has_cjk(word):
            # only an all-Chinese word has a reading of its own (开ktv does not read "kai")
            term.pinyin = pinyin(word)[0] if _ALL_CJK.match(word) else ""
            # a homophone of a known word (社宝 → shebao → 社保) stands for that word
            sounds = _spelt(synonyms).get(term.pinyin, set()) - {word}
            sources += [(w, HOMOPHONE) for w in sorted(sounds)]
            sources += [(w, TYPO) for w in typos(word, synonyms, fixed) if w not in sounds]
        elif is_latin(word) and len(word) >= 2:
            term.prefix = word
            # typed in pinyin or initials: the known words read that way (sbk → 社保卡)
            for w in sorted(_spelt(synonyms).get(word, set())):
                sources.append((w, PINYIN if pinyin(w)[0] == word else INITIALS))
        for source, kind in sources:
            corrected = kind not in (EXACT, TRADITIONAL)
            for n, variant in enumerate(_variants(source, synonyms)):
                why = kind if corrected or not n else SYNONYM
                via = source if corrected and n else ""
                for tokens in _alternatives(variant):
                    term.add(tokens, why, variant, via)
        terms.append(term)
    whole = ""
    chinese = [t.word for t in terms if has_cjk(t.word)]
    if len(chinese) > 1 and len("".join(chinese)) <= 8:
        whole = pinyin("".join(chinese))[0]
    return ParsedQuery(terms, whole, text)


def _join_known(cut: list[tuple[str, int, int]], synonyms: dict[str, set[str]]):
    """Re-join words that together form a synonym-table entry (房屋 档案 → 房屋档案), or
    that sound like one (公 基金 → 公基金 ≈ 公积金) or are one look-alike character from one
    (居往 证 → 居往证 ≈ 居住证). Items: (word, start, end, positions a correction must
    keep) in the folded query."""
    out, i = [], 0
    while i < len(cut):
        for j in range(min(len(cut), i + 5), i + 1, -1):
            window = cut[i:j]
            joined = "".join(w for w, _a, _b in window)
            fixed = _filler_positions(window)
            if joined in synonyms or (
                _fuzzy_window(window) and _near_known(joined, synonyms, fixed)
            ):
                out.append((joined, window[0][1], window[-1][2], fixed))
                i = j
                break
        else:
            out.append((*cut[i], frozenset()))
            i += 1
    return out


def _filler_positions(window) -> frozenset[int]:
    """Offsets (within the joined window) of filler words standing alone: a correction may
    not replace them (我想开个奶茶店: 个奶茶店 is not a misspelt 开奶茶店)."""
    fixed, at = set(), 0
    for w, _a, _b in window:
        if w in STOPWORDS:
            fixed.update(range(at, at + len(w)))
        at += len(w)
    return frozenset(fixed)


def _fuzzy_window(window) -> bool:
    """Only Chinese words, not all of them filler words (要办 is no misspelt word; 居往 证 may
    be one although 证 alone is filler)."""
    return all(has_cjk(w) for w, _a, _b in window) and any(
        w not in STOPWORDS for w, _a, _b in window
    )


def _near_known(joined: str, synonyms: dict[str, set[str]], fixed=frozenset()) -> bool:
    return bool(_spelt(synonyms).get(pinyin(joined)[0])) or bool(typos(joined, synonyms, fixed))


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


_typo_cache: dict[int, dict[str, set[str]]] = {}


def _typo_index(synonyms: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each known word under each of its one-character wildcards (居住证 → ?住证, 居?证 …)."""
    key = id(synonyms)
    if key not in _typo_cache:
        table: dict[str, set[str]] = {}
        for word in synonyms:
            if len(word) >= 3 and has_cjk(word):
                for p in range(len(word)):
                    table.setdefault(word[:p] + "\0" + word[p + 1 :], set()).add(word)
        _typo_cache.clear()
        _typo_cache[key] = table
    return _typo_cache[key]


def typos(word: str, synonyms: dict[str, set[str]], fixed=frozenset()) -> list[str]:
    """Known words that ``word`` is one mistyped character away from: a look-alike or a
    sound-alike character in a word of three characters, any one character in a longer one
    (never one at the ``fixed`` offsets)."""
    if len(word) < 3 or word in synonyms or not has_cjk(word):
        return []
    index = _typo_index(synonyms)
    found = set()
    for p in range(len(word)):
        if p in fixed:
            continue
        for known in index.get(word[:p] + "\0" + word[p + 1 :], ()):
            a, b = word[p], known[p]
            if a == b or not has_cjk(a):
                continue
            if len(word) >= 4 or frozenset((a, b)) in CONFUSABLE or pinyin(a)[0] == pinyin(b)[0]:
                found.add(known)
    return sorted(found)


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
    own = synonyms.get(word, set())
    out = [word, *sorted(own)]
    for term, others in synonyms.items():
        # not a word of the word's own group: 营业执照 ⇄ 执照 must not make 营业营业执照
        if len(term) >= 2 and term != word and term in word and term not in own:
            out += [word.replace(term, other) for other in sorted(others)]
    unique = list(dict.fromkeys(out))
    return unique[:limit]
