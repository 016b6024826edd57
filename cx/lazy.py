"""Names a package offers, imported from their submodules on first use (PEP 562).

A package whose ``__init__`` imported every submodule made each command pay for all of them: the
command line reads one database and needs neither the demo generator nor the file readers.
"""

from __future__ import annotations

import importlib
import sys


def exports(package: str, homes: dict[str, str]):
    """A module ``__getattr__`` that imports ``name`` from ``package.homes[name]`` and keeps it."""

    def __getattr__(name: str):
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
