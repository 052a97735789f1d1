"""Regenerate the zh-Hant catalogue from the Simplified source strings with OpenCC (s2t,
standard Traditional characters as read in Macau), then apply the hand-made overrides
below for the terms where Macau usage differs from a character-by-character conversion."""

from pathlib import Path

import opencc
import polib

PO = Path(__file__).resolve().parents[1] / "src/shuzheng/locale/zh_Hant/LC_MESSAGES/django.po"
# Macau / Hong Kong usage where it is not just a different glyph.
OVERRIDES = {
    "登录": "登入",
    "退出登录": "登出",
    "统一身份认证登录": "統一身份認證登入",
    "登录名": "登入名稱",
}


# Applied inside longer strings too (e.g. "取消并退出登录").
PHRASES = {"登錄": "登入"}


def main() -> None:
    s2t = opencc.OpenCC("s2t").convert

    def convert(text: str) -> str:
        text = s2t(text)
        for old, new in PHRASES.items():
            text = text.replace(old, new)
        return text

    catalogue = polib.pofile(str(PO))
    for entry in catalogue:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: OVERRIDES.get(entry.msgid, convert(entry.msgid))}
        else:
            entry.msgstr = OVERRIDES.get(entry.msgid, convert(entry.msgid))
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalogue.metadata_is_fuzzy = False
    catalogue.metadata["Language"] = "zh_Hant"
    catalogue.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    catalogue.save()
    print(f"zh-Hant: {len(catalogue)} entries")


if __name__ == "__main__":
    main()
