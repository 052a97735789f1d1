"""Fill the zh-Hant catalogue from the Simplified source strings with OpenCC (s2hk: the
Hong Kong / Macau standard, which Macau residents read), keeping any hand-made entry."""

from pathlib import Path

import opencc
import polib

PO = Path(__file__).resolve().parents[1] / "src/shuzheng/locale/zh_Hant/LC_MESSAGES/django.po"


def main() -> None:
    convert = opencc.OpenCC("s2hk").convert
    catalogue = polib.pofile(str(PO))
    filled = 0
    for entry in catalogue:
        if entry.msgid_plural:
            if not any(entry.msgstr_plural.values()) or entry.fuzzy:
                entry.msgstr_plural = {0: convert(entry.msgid)}
                filled += 1
        elif not entry.msgstr or entry.fuzzy:
            entry.msgstr = convert(entry.msgid)
            filled += 1
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalogue.metadata_is_fuzzy = False
    catalogue.metadata["Language"] = "zh_Hant"
    catalogue.save()
    print(f"zh-Hant: filled {filled} entries")


if __name__ == "__main__":
    main()
