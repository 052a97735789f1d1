"""Regenerate the zh-Hant catalogue from the Simplified source strings with the platform's
own converter (OpenCC s2t plus Macau usage: shuzheng.foundation.web.hant)."""

from pathlib import Path

import polib

from shuzheng.foundation.web.hant import to_traditional

PO = Path(__file__).resolve().parents[1] / "src/shuzheng/locale/zh_Hant/LC_MESSAGES/django.po"


def main() -> None:
    catalogue = polib.pofile(str(PO))
    for entry in catalogue:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: to_traditional(entry.msgid)}
        else:
            entry.msgstr = to_traditional(entry.msgid)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalogue.metadata_is_fuzzy = False
    catalogue.metadata["Language"] = "zh_Hant"
    catalogue.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    catalogue.save()
    print(f"zh-Hant: {len(catalogue)} entries")


if __name__ == "__main__":
    main()
