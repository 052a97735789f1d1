"""Simplified → Traditional Chinese as read in Macau: OpenCC ``s2t`` and then the terms and
character forms where Macau usage differs. Used for the zh-Hant UI catalogue
(tools/translate_hant.py) and for content without an editor's translation."""

from functools import lru_cache

import opencc

# Whole strings (UI catalogue entries) that read differently in Macau.
OVERRIDES = {
    "登录": "登入",
    "退出登录": "登出",
    "统一身份认证登录": "統一身份認證登入",
    "登录名": "登入名稱",
}
# Applied inside any text: terms, and s2t's older character forms that Macau does not use.
PHRASES = {"登錄": "登入", "退出登入": "登出", "爲": "為", "覈": "核", "僞": "偽"}


@lru_cache(maxsize=1)
def _s2t():
    return opencc.OpenCC("s2t").convert


@lru_cache(maxsize=8192)
def to_traditional(text: str) -> str:
    if not text:
        return text
    if text in OVERRIDES:
        return OVERRIDES[text]
    converted = _s2t()(text)
    for old, new in PHRASES.items():
        converted = converted.replace(old, new)
    return converted
