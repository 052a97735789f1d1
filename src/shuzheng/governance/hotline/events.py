"""Event handlers (being written)."""


def register() -> None:
    pass
