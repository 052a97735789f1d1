"""Demo grid: schematic outlines of Zhuhai's districts, zones, streets and towns, and the grid
cells that tile them (idempotent)."""

from shuzheng.foundation import access


def load_demo(stdout=None) -> dict:
    from shuzheng.governance.grid import services

    counts = services.load_demo(access.SYSTEM)
    if stdout is not None:
        stdout.write(
            f"Grid (网格): {counts.get('boundaries', 0)} outlines, {counts.get('cells', 0)} cells"
        )
    return counts
