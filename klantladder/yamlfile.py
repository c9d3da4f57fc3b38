"""YAML as klantladder reads it: safe, with libyaml's parser where PyYAML was built with it.

libyaml reads the packaged model and texts about ten times faster than PyYAML's Python parser,
which every fresh process (command line, batch worker, report kernel) pays at start. The two build
the same objects from safe YAML; a file that does not parse is read again by the Python parser,
so an error message shows the offending line as it always did.

A user's settings file (``client.yaml``) is read with :func:`load_settings`, which leaves the
checking of its values to the settings themselves: a date that does not exist (``2026-02-30``)
stays its text, so the setting that expects a date names itself in the message. A key written
twice in one mapping (``sla:`` twice) is :class:`DuplicateKeyError` instead of the last one
silently winning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["safe_load", "load_settings", "DuplicateKey", "DuplicateKeyError"]

_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def safe_load(text: str) -> Any:
    """:func:`yaml.safe_load` of ``text`` (libyaml's parser when available)."""
    if _FAST_LOADER is None:
        return yaml.safe_load(text)
    try:
        return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises again, with the Python parser's fuller message


@dataclass(frozen=True)
class DuplicateKey:
    """A key written more than once in one mapping: its dotted path (``sources.tickets.file``)
    and the lines (1-based) it is on."""

    key: str
    lines: tuple[int, ...]


class DuplicateKeyError(yaml.YAMLError):
    """A settings file writes a key more than once in the same mapping."""

    def __init__(self, duplicates: list[DuplicateKey]):
        self.duplicates = duplicates
        super().__init__("; ".join(f"{d.key} on lines {', '.join(map(str, d.lines))}" for d in duplicates))


_MERGE = "tag:yaml.org,2002:merge"


def _duplicate_keys(root: yaml.Node) -> list[DuplicateKey]:
    """Every key written more than once in one mapping of the document ``root``, in the order of
    its first line. Keys brought in by a merge (``<<: *defaults``) may be overridden, as YAML says."""
    found: list[DuplicateKey] = []
    visited: set[int] = set()
    todo: list[tuple[yaml.Node, str]] = [(root, "")]
    while todo:
        node, path = todo.pop()
        if id(node) in visited:  # an alias: its anchor's node, checked once
            continue
        visited.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            todo.extend((item, path) for item in node.value)
        if not isinstance(node, yaml.MappingNode):
            continue
        lines: dict[tuple[str, str], list[int]] = {}
        for key, value in node.value:
            if key.tag == _MERGE:
                continue
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
            if name:
                lines.setdefault((key.tag, name), []).append(key.start_mark.line + 1)
            todo.append((value, f"{path}{name}." if name else path))
        found += [DuplicateKey(path + name, tuple(at)) for (_, name), at in lines.items() if len(at) > 1]
    return sorted(found, key=lambda d: d.lines)


class _Settings:
    """What a settings file needs beyond safe YAML (mixed into a safe loader)."""

    def construct_document(self, node: yaml.Node) -> Any:
        """The document's objects, after checking that no key is written twice in one mapping."""
        duplicates = _duplicate_keys(node)
        if duplicates:
            raise DuplicateKeyError(duplicates)
        return super().construct_document(node)  # type: ignore[misc]

    def construct_yaml_timestamp(self, node: yaml.Node) -> Any:
        """A date or date-time as safe YAML builds it; one that does not exist (``2026-02-30``)
        stays its text, for the setting that expects a date to reject by name."""
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except ValueError:
            return self.construct_scalar(node)  # type: ignore[attr-defined]


class _SettingsLoader(_Settings, yaml.SafeLoader):
    """The settings loader on PyYAML's Python parser (fuller syntax-error messages)."""


_SettingsLoader.add_constructor(_TIMESTAMP, _SettingsLoader.construct_yaml_timestamp)

if _FAST_LOADER is not None:
    class _FastSettingsLoader(_Settings, _FAST_LOADER):  # type: ignore[misc, valid-type]
        """The settings loader on libyaml's parser."""

    _FastSettingsLoader.add_constructor(_TIMESTAMP, _FastSettingsLoader.construct_yaml_timestamp)
    _FAST_SETTINGS: type | None = _FastSettingsLoader
else:
    _FAST_SETTINGS = None


def load_settings(text: str) -> Any:
    """A user's settings file ``text`` read as :func:`safe_load` reads it, except that a date that
    does not exist is kept as its text instead of failing the whole file, and a key written twice
    in one mapping raises :class:`DuplicateKeyError`."""
    if _FAST_SETTINGS is not None:
        try:
            return yaml.load(text, Loader=_FAST_SETTINGS)  # noqa: S506 - a subclass of CSafeLoader
        except DuplicateKeyError:
            raise
        except yaml.YAMLError:
            pass  # read again below: the Python parser's fuller message
    return yaml.load(text, Loader=_SettingsLoader)  # noqa: S506 - a subclass of SafeLoader
