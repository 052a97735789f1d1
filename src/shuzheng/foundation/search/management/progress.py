"""A progress bar on stderr: redrawn in place on a terminal, a line per 10 % otherwise."""

import sys
import time


class Progress:
    def __init__(self, label: str, total: int, stream=None, width: int = 30):
        self.label, self.total, self.width = label, max(total, 0), width
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self._last_decile = -1

    def update(self, done: int) -> None:
        fraction = min(done / self.total, 1.0) if self.total else 1.0
        rate = done / max(time.monotonic() - self.started, 1e-9)
        if self.tty:
            filled = int(self.width * fraction)
            bar = "█" * filled + "·" * (self.width - filled)
            self.stream.write(
                f"\r{self.label} [{bar}] {fraction:4.0%} {done}/{self.total} {rate:,.0f}/s"
            )
            self.stream.flush()
            return
        decile = int(fraction * 10)
        if decile != self._last_decile:
            self._last_decile = decile
            self.stream.write(f"{self.label}: {fraction:.0%} ({done}/{self.total})\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
