"""Zhuhai demo catalogue: every ``data/*.json`` file in the interchange format, imported and
published by the installation through the same import as real use. Idempotent: a second
run finds the same content and creates nothing."""

import json
from pathlib import Path

from django.db import transaction

from shuzheng.foundation import access
from shuzheng.services.catalogue import io

DATA = Path(__file__).with_name("data")


def demo_files(directory: Path | None = None) -> list[tuple[Path, dict]]:
    """The interchange files and their content (``synonyms.json`` and other JSON that is not
    a catalogue are skipped)."""
    files = []
    for path in sorted((directory or DATA).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("format") == io.FORMAT:
            files.append((path, data))
    return files


@transaction.atomic
def load_demo(stdout=None, *, directory: Path | None = None) -> int:
    """Import and publish the demo catalogue files; returns how many items changed. An
    unknown organisation name (or any other problem) stops the load, naming the item."""
    files = demo_files(directory)
    changed = 0
    # Themes and basic items first, from every file: one file's items may use another's themes.
    for path, data in files:
        _import(path, {**data, "items": []})
    for path, data in files:
        result = _import(path, data)
        changed += result.changed
        if stdout is not None:
            stdout.write(f"Service catalogue {path.name}: {result.summary()}")
    from shuzheng.services.catalogue import search

    added = search.load_synonyms(channel="cli")  # idempotent; administrators' edits stay
    if stdout is not None:
        stdout.write(f"Search synonyms (同义词): {len(added)} groups added")
    return changed


def _import(path: Path, data: dict) -> io.ImportResult:
    try:
        return io.import_catalogue(access.SYSTEM, data, publish=True)
    except io.ImportFailed as failed:
        raise io.ImportFailed([f"{path.name}：{p}" for p in failed.problems]) from None
