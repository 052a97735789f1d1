"""Workbench and portal menu entries of the exchange pages (owned by the pages' author)."""


def register() -> None:
    """Add this app's pages to the menus (``foundation.web.nav``)."""
