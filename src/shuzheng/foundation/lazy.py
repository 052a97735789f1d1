"""Package facades that load their attributes on first use.

A foundation package is imported by its AppConfig before the app registry is ready, so its
``__init__`` cannot import the modules that define models. ``lazy_exports`` gives it a
module ``__getattr__`` (PEP 562) that imports the named module the first time an attribute
is asked for."""

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], object]:
    """``exports`` maps an attribute to the module that defines it (absolute, or relative to
    ``package`` when it starts with a dot)."""

    def __getattr__(name: str):
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(importlib.import_module(module, package), name)

    return __getattr__
