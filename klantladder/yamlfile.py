"""YAML as klantladder reads it: safe, with libyaml's parser where PyYAML was built with it.

libyaml reads the packaged model and texts about ten times faster than PyYAML's Python parser,
which every fresh process (command line, batch worker, report kernel) pays at start. The two build
the same objects from safe YAML; a file that does not parse is read again by the Python parser,
so an error message shows the offending line as it always did.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["safe_load"]

_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def safe_load(text: str) -> Any:
    """:func:`yaml.safe_load` of ``text`` (libyaml's parser when available)."""
    if _FAST_LOADER is None:
        return yaml.safe_load(text)
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises again, with the Python parser's fuller message
