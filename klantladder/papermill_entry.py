"""Papermill's entry points for the klantladder engines (``papermill --engine klantladder``).

Papermill loads its ``papermill.engine`` entry points while :mod:`papermill.engines` itself is
being imported, and :mod:`klantladder.engine` imports that module: naming the engine classes
there directly would make the two imports wait on each other. The names here are stand-ins that
import :mod:`klantladder.engine` on first use and pass every attribute on to its class; once that
module is imported it registers the real classes under the same names.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WarmKernelEngine", "FreshKernelEngine"]


class _EngineByName:
    """Stands for a class of :mod:`klantladder.engine`, resolved when first used."""

    def __init__(self, name: str) -> None:
        self._name = name

    def _target(self) -> Any:
        from . import engine

        return getattr(engine, self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<klantladder.engine.{self._name}>"


WarmKernelEngine = _EngineByName("WarmKernelEngine")
FreshKernelEngine = _EngineByName("FreshKernelEngine")
