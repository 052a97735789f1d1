"""Features of a work order's text for the classifier: rjieba words and word bigrams.

The text is normalised first (NFKC folds full-width letters and digits, traditional
characters become simplified ones — Macau residents often write 繁體 — and letters are
lower-cased), then cut into words with rjieba. Punctuation, digits-only tokens and a short
list of function words break the text into runs; unigrams are the remaining words and
bigrams join two neighbours in the same run (``"垃圾 清运"``), so every feature shown as an
explanation is a piece of the (normalised) text itself.

Training and inference use this one module, so a model never sees features its scorer
cannot reproduce.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

import rjieba

BIGRAM_JOIN = " "
LOCATION_PREFIX = "@"  # location features ("@香洲区") are not words of the text

# Particles, pronouns and courtesies: no evidence for any category, and noise in the
# explanation. Negations (不, 没) stay: "不亮", "没水" carry meaning.
_STOPWORDS = """
    的 了 着 过 是 我 你 您 他 她 它 我们 你们 他们 大家 自己 在 有 和 与 及 或 就 都 也 很 还 又 再
    这 那 这个 那个 这里 那里 这些 那些 一个 一些 一下 一直 吗 呢 吧 啊 呀 哦 嗯 么 把 被 给 让 对 从
    到 向 往 说 个 要 会 能 可以 请 请问 你好 您好 喂 麻烦 谢谢 唔该 现在 已经 非常 比较 真的 就是
    但是 而且 因为 所以 如果 然后 还是 还有 什么 怎么 怎么办 为什么 如何 哪里 多少 几 之 其 此 该
"""
STOPWORDS = frozenset(_STOPWORDS.split())


@cache
def _converter():
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a project dependency
        return None
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """NFKC, traditional → simplified, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    converter = _converter()
    if converter is not None:
        text = converter.convert(text)
    return text.lower()


@lru_cache(maxsize=200_000)
def _is_word(token: str) -> bool:
    if token in STOPWORDS or token.isdigit() or token.startswith(LOCATION_PREFIX):
        return False
    return any(ch.isalnum() for ch in token)


def runs(text: str) -> list[list[str]]:
    """The words of ``text`` in runs of neighbours (a run ends at punctuation, digits or a
    function word)."""
    out: list[list[str]] = []
    current: list[str] = []
    for token in rjieba.cut(normalise(text)):
        if _is_word(token):
            current.append(token)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def features(text: str, *, location: tuple[str, ...] = ()) -> list[str]:
    """Unigram and bigram features of ``text`` (with repeats: counts matter), plus one
    ``@name`` feature per location name given (district, street)."""
    found: list[str] = []
    for run in runs(text):
        found.extend(run)
        found.extend(a + BIGRAM_JOIN + b for a, b in zip(run, run[1:], strict=False))
    found.extend(LOCATION_PREFIX + name for name in location if name)
    return found


def display(feature: str) -> str:
    """How a feature reads in an explanation: a bigram as the two words it joins."""
    return feature.replace(BIGRAM_JOIN, "")


def is_text_feature(feature: str) -> bool:
    return not feature.startswith(LOCATION_PREFIX)
