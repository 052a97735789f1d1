"""Compile the .po catalogues to .mo with polib — no GNU gettext and no Django settings
needed, so ``make`` can run it on a fresh machine before any key exists."""

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def compile_all(root: Path = LOCALE, out=sys.stdout) -> int:
    count = 0
    for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path))
        catalogue.save_as_mofile(str(mo_path))
        count += 1
        out.write(f"compiled {po_path.relative_to(root)} ({catalogue.percent_translated()}%)\n")
    return count


if __name__ == "__main__":
    compile_all()
