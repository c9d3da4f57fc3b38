"""Errors and findings a user can meet.

Every problem with a user's input is a :class:`Finding`: which file, which column, which rows,
what was expected and how to fix it, in Dutch and English. A finding is either an ``error`` (the
client stops) or a ``warning`` (scoring goes on and the report's data-quality appendix says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

Level = Literal["error", "warning"]

__all__ = ["Finding", "KlantladderError", "InputError", "ModelError", "UsageError", "format_rows"]


def format_rows(rows: Sequence[int], limit: int = 5) -> str:
    """Show the first ``limit`` row numbers (1-based data rows as a spreadsheet shows them)."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (", ..." if len(rows) > limit else "")


@dataclass(frozen=True)
class Finding:
    """One problem found in one input file.

    ``rows`` are the line numbers as a spreadsheet shows them (header = row 1), so a consultant
    can find them in Excel. ``message`` maps a language code ("nl", "en") to the text.
    """

    rule: str
    level: Level
    file: str
    message: dict[str, str]
    column: str | None = None
    rows: tuple[int, ...] = ()
    count: int = 0

    def text(self, language: str = "nl") -> str:
        """The full message in ``language``: where, what, how many, how to fix."""
        lang = language if language in self.message else "en"
        where = [self.file]
        if self.column:
            if self.file.endswith((".yaml", ".yml")):  # a settings file has keys, not columns
                label = "sleutel " if lang == "nl" else "key "
            else:
                label = "kolom " if lang == "nl" else "column "
            where.append(label + repr(self.column))
        if self.rows:
            label = "rijen" if lang == "nl" else "rows"
            total = f" ({self.count} {'in totaal' if lang == 'nl' else 'in total'})" if self.count > len(self.rows[:5]) else ""
            where.append(f"{label} {format_rows(self.rows)}{total}")
        level = {"error": {"nl": "FOUT", "en": "ERROR"}, "warning": {"nl": "WAARSCHUWING", "en": "WARNING"}}
        return f"{level[self.level][lang]} [{self.rule}] {', '.join(where)}: {self.message[lang]}"

    def to_dict(self) -> dict:
        """A JSON-ready form (for ``scores.json`` and the manifest)."""
        return {
            "rule": self.rule,
            "level": self.level,
            "file": self.file,
            "column": self.column,
            "rows": list(self.rows[:5]),
            "count": self.count,
            "message": dict(self.message),
        }


class KlantladderError(Exception):
    """Base class of every error klantladder reports to a user (never shown as a traceback)."""

    exit_code = 1

    def __init__(self, message: str | dict[str, str], findings: Sequence[Finding] = ()):
        self.messages = message if isinstance(message, dict) else {"nl": message, "en": message}
        self.findings = list(findings)
        super().__init__(self.messages.get("en", next(iter(self.messages.values()))))

    def text(self, language: str = "nl") -> str:
        """The message and every finding, in ``language``."""
        head = self.messages.get(language) or self.messages.get("en", "")
        lines = [head] + ["  " + f.text(language) for f in self.findings]
        return "\n".join(line for line in lines if line)


class InputError(KlantladderError):
    """The user's input cannot be scored (exit code 1)."""


class ModelError(KlantladderError):
    """The scoring model file is malformed (exit code 1)."""


class UsageError(KlantladderError):
    """The command was called wrongly (exit code 2)."""

    exit_code = 2
