"""The ``klantladder`` command line: a thin shell over functions the tests call directly.

Exit codes: 0 success; 1 the input is bad or (batch) some clients failed; 2 wrong usage.
Messages speak the user's language (``--taal``/``--lang`` before or after the command, or
``KLANTLADDER_LANG``), never Python's: a wrongly called command too (:data:`USAGE_ERRORS`), and
``--help`` (:data:`HELP`).
"""

from __future__ import annotations

import argparse
import errno
import functools
import logging
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Callable, Sequence

from . import __version__
from .errors import KlantladderError, UsageError
from .memory import keep_freed_memory
from .threads import BLAS_VARIABLES, THREAD_VARIABLES, one_thread_per_library

__all__ = ["main", "build_parser"]

MSG = {
    "valid": {"nl": "In orde: {name} kan worden gescoord ({rows} rijen gelezen, {rejected} apart gezet, {warnings}).",
              "en": "OK: {name} can be scored ({rows} rows read, {rejected} set aside, {warnings})."},
    "waves": {"nl": "Meting {current} wordt gescoord; de eerdere metingen in de kolom wave ({earlier}) vormen de "
                    "trend.",
              "en": "Wave {current} is scored; the earlier waves in the wave column ({earlier}) are the trend."},
    "wave_folder": {"nl": "Meting {wave}:", "en": "Wave {wave}:"},
    "scored": {"nl": "{name}: trede {level} ({rung}), totaalscore {score}. Geschreven: {path}",
               "en": "{name}: rung {level} ({rung}), overall score {score}. Written: {path}"},
    "report": {"nl": "Rapport voor {name} (trede {level}) staat in {path} ({seconds:.1f} s).",
               "en": "Report for {name} (rung {level}) is in {path} ({seconds:.1f} s)."},
    "init": {"nl": "Klantmap gemaakt: {path}. Vul client.yaml in en zet de exports erbij (sjablonen in templates/).",
             "en": "Client folder created: {path}. Fill in client.yaml and add the exports (templates in templates/)."},
    "demo": {"nl": "{n} demo-klanten gemaakt in {data}; rapporten in {out}.",
             "en": "{n} demo clients made in {data}; reports in {out}."},
    "batch": {"nl": "Klaar: {ok} gelukt, {failed} mislukt, {skipped} ongewijzigd overgeslagen. Overzicht: {manifest}",
              "en": "Done: {ok} succeeded, {failed} failed, {skipped} unchanged and skipped. Overview: {manifest}"},
    "failed": {"nl": "Mislukt: {key}: {error}", "en": "Failed: {key}: {error}"},
    "failed_head": {"nl": "{n} klant(en) mislukt (details en half uitgevoerde notebooks: zie {manifest}):",
                    "en": "{n} client(s) failed (details and partly executed notebooks: see {manifest}):"},
    "portfolio": {"nl": "Portfolio-overzicht: {path}", "en": "Portfolio overview: {path}"},
    "portfolio_failed": {"nl": "Portfolio-overzicht mislukt: {error}", "en": "Portfolio overview failed: {error}"},
    "interrupted": {"nl": "Onderbroken. Wat klaar was, is bewaard; hetzelfde commando opnieuw maakt de rest.",
                    "en": "Interrupted. What was finished is kept; the same command again makes the rest."},
    "os_error": {"nl": "Kan '{path}' niet lezen of schrijven ({msg}). Controleer of de map bestaat, geen bestand is "
                       "en of u er mag schrijven.",
                 "en": "Cannot read or write '{path}' ({msg}). Check that the folder exists, is not a file and "
                       "that you may write there."},
    "not_writable": {"nl": "Kan niet schrijven in de map '{path}': u mag daar niet schrijven (of de map is alleen-"
                           "lezen). Kies{option_nl} een andere map waarin u wel mag schrijven, of pas de rechten van "
                           "deze map aan.",
                     "en": "Cannot write in the folder '{path}': you may not write there (or it is read-only). Choose "
                           "another folder you can write to{option_en}, or fix this folder's permissions."},
    "unexpected": {"nl": "Onverwachte fout ({kind}): {msg}. Meld dit met de invoermap erbij.",
                   "en": "Unexpected error ({kind}): {msg}. Please report this with the input folder."},
}


def _say(key: str, lang: str, **values) -> None:
    print(MSG[key][lang].format(**values))


def _warning_count(n: int, lang: str) -> str:
    """``n`` warnings in words: "1 warning", "3 warnings" ("1 waarschuwing", "3 waarschuwingen")."""
    from .i18n import fmt_number

    word = {"nl": ("waarschuwing", "waarschuwingen"), "en": ("warning", "warnings")}[lang][n != 1]
    return f"{fmt_number(n, lang)} {word}"


#: argparse's complaints about a command line (as Python words them) and what the user reads instead,
#: per language; ``{0}``, ``{1}``, ... are the pattern's groups. Anything else is shown in general words.
USAGE_ERRORS: list[tuple[re.Pattern[str], dict[str, str]]] = [(re.compile(pattern), words) for pattern, words in [
    (r"the following arguments are required: command",
     {"nl": "geef een commando: init, validate, score, report, batch of demo",
      "en": "give a command: init, validate, score, report, batch or demo"}),
    (r"the following arguments are required: (.+)",
     {"nl": "verplicht argument ontbreekt: {0}", "en": "required argument missing: {0}"}),
    (r"unrecognized arguments: (.+)",
     {"nl": "onbekende optie of onbekend argument: {0}", "en": "unknown option or argument: {0}"}),
    (r"argument command: invalid choice: (.+?) \(choose from (.+)\)",
     {"nl": "onbekend commando {0} (kies uit {1})", "en": "unknown command {0} (choose from {1})"}),
    (r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)",
     {"nl": "{0}: ongeldige keuze {1} (kies uit {2})", "en": "{0}: invalid choice {1} (choose from {2})"}),
    (r"argument (\S+): expected one argument",
     {"nl": "{0} verwacht een waarde", "en": "{0} needs a value"}),
    (r"argument (\S+): expected at least one argument",
     {"nl": "{0} verwacht minstens één waarde", "en": "{0} needs at least one value"}),
    (r"argument (\S+): ignored explicit argument (.+)",
     {"nl": "{0} neemt geen waarde ({1})", "en": "{0} takes no value ({1})"}),
    (r"argument (\S+): not a whole number: (.+)",
     {"nl": "{0} verwacht een geheel getal, niet {1}", "en": "{0} needs a whole number, not {1}"}),
    (r"argument (\S+): must be at least 1: (.+)",
     {"nl": "{0} moet minstens 1 zijn, niet {1}", "en": "{0} must be at least 1, not {1}"}),
    (r"argument (\S+): invalid \S+ value: (.+)",
     {"nl": "{0}: ongeldige waarde {1}", "en": "{0}: invalid value {1}"}),
    (r"ambiguous option: (\S+) could match (.+)",
     {"nl": "optie {0} is niet eenduidig: bedoelt u {1}?", "en": "option {0} is ambiguous: did you mean {1}?"}),
]]
_USAGE_WORDS = {
    "usage": {"nl": "gebruik: ", "en": "usage: "},
    "error": {"nl": "fout", "en": "error"},
    "other": {"nl": "het commando is niet goed aangeroepen ({0})", "en": "the command was not called correctly ({0})"},
    "help": {"nl": "Zie '{prog} --help'.", "en": "See '{prog} --help'."},
}


def usage_error(message: str, language: str) -> str:
    """argparse's ``message`` about a command line in the words of ``language`` (nl, en)."""
    for pattern, words in USAGE_ERRORS:
        m = pattern.fullmatch(message)
        if m:
            return words[language].format(*m.groups())
    return _USAGE_WORDS["other"][language].format(message)


def _argv_language(argv: Sequence[str]) -> str:
    """The language of usage errors: the last ``--lang``/``--taal`` on the command line (before or
    after the command) that names one, else ``KLANTLADDER_LANG``, else Dutch."""
    chosen = None
    for i, token in enumerate(argv):
        name, eq, value = token.partition("=")
        if name in ("--lang", "--taal"):
            value = value if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            if value in ("nl", "en"):
                chosen = value
    env = os.environ.get("KLANTLADDER_LANG")
    return chosen or (env if env in ("nl", "en") else "nl")


#: The help text (``--help``) per language: the description, each command's line, each argument's
#: explanation and shown value (``metavar``; None: argparse's own) and argparse's own headings.
HELP: dict[str, dict[str, str | None]] = {
    "description": {"nl": "Klantgerichtheidsladder: scoren en rapporteren.",
                    "en": "Klantgerichtheidsladder (customer-centricity ladder): scoring and reporting."},
    "positionals": {"nl": "argumenten", "en": "positional arguments"},
    "optionals": {"nl": "opties", "en": "options"},
    "help": {"nl": "toon deze hulp en stop", "en": "show this help message and exit"},
    "version": {"nl": "toon het versienummer en stop", "en": "show program's version number and exit"},
    "lang": {"nl": "taal van meldingen en rapporten (standaard: client.yaml / nl)",
             "en": "language of messages and reports (default: client.yaml / nl)"},
    # the commands
    "init": {"nl": "maak een klantmap aan", "en": "scaffold a client folder"},
    "validate": {"nl": "controleer de invoer van een klant", "en": "check a client's inputs"},
    "score": {"nl": "schrijf scores.json", "en": "write scores.json"},
    "report": {"nl": "maak het HTML/PDF-rapport", "en": "make the HTML/PDF report"},
    "batch": {"nl": "rapporten voor elke klant in een map (zie docs/batch.md)",
              "en": "reports for every client under a folder (see docs/batch.md)"},
    "demo": {"nl": "maak de demoklanten en hun rapporten", "en": "make the demo clients and their reports"},
    # their arguments
    "client_dir": {"nl": "de klantmap", "en": "the client folder"},
    "root": {"nl": "de map met de klantmappen", "en": "the folder holding the client folders"},
    "score_out": {"nl": "scorebestand, of een bestaande map om het in te zetten (standaard: "
                          "<client_dir>/../<naam>-scores.json)",
                  "en": "scores file, or an existing folder to put it in (default: <client_dir>/../<name>-scores.json)"},
    "score_out_metavar": {"nl": "BESTAND", "en": None},
    "report_out": {"nl": "map voor het rapport", "en": "folder for the report"},
    "batch_out": {"nl": "map voor de rapporten, manifest.json en portfolio.html",
                  "en": "folder for the reports, manifest.json and portfolio.html"},
    "demo_out": {"nl": "map voor de demorapporten (standaard: reports/demo)",
                 "en": "folder for the demo reports (default: reports/demo)"},
    "out_metavar": {"nl": "MAP", "en": None},
    "no_pdf": {"nl": "alleen HTML, geen PDF", "en": "HTML only, no PDF"},
    "data": {"nl": "map voor de demodata (standaard: data/demo)",
             "en": "where to write the demo data (default: data/demo)"},
    "data_metavar": {"nl": "MAP", "en": None},
    "only": {"nl": "alleen deze klantmappen (of klant/meting)", "en": "only these client folders (or client/wave)"},
    "only_metavar": {"nl": "KLANT", "en": "CLIENT"},
    "force": {"nl": "maak ook ongewijzigde klanten opnieuw", "en": "redo unchanged clients too"},
    "notebook": {"nl": "een ander rapportnotebook (standaard: notebooks/assessment.ipynb)",
                 "en": "another report notebook (default: notebooks/assessment.ipynb)"},
    "workers": {"nl": "aantal werkprocessen (of Dask-workers bij --scheduler local)",
                "en": "worker processes (or Dask workers for --scheduler local)"},
    "workers_metavar": {"nl": "AANTAL", "en": None},
    "scheduler": {"nl": "draai op een Dask-cluster: tcp://host:8786, of 'local' voor een LocalCluster",
                  "en": "run on a Dask cluster: tcp://host:8786, or 'local' for a LocalCluster"},
    "scheduler_metavar": {"nl": "ADRES", "en": "ADDRESS"},
    "quiet": {"nl": "geen voortgangsbalk; toon alleen wat mislukt en de samenvatting",
              "en": "no progress bar; print failures and the summary only"},
    "fresh_kernels": {"nl": "een gloednieuwe Jupyter-kernel per rapport (trager; standaard wordt een opgeschoonde "
                            "kernel hergebruikt)",
                      "en": "a brand-new Jupyter kernel per report (slower; the default reuses a reset kernel)"},
    "kernel_reuse": {"nl": "rapporten per warme kernel voordat een nieuwe start (standaard 25)",
                     "en": "reports per warm kernel before a fresh one (default 25)"},
    "timeout": {"nl": "hoe lang een notebookcel hoogstens mag lopen (standaard 600)",
                "en": "longest a notebook cell may run (default 600)"},
    "timeout_metavar": {"nl": "SECONDEN", "en": "SECONDS"},
    "no_portfolio": {"nl": "schrijf geen portfolio.html", "en": "do not write portfolio.html"},
    "portfolio_names": {"nl": "toon klantnamen in portfolio.html (alleen voor intern gebruik; standaard anoniem)",
                        "en": "show client names in portfolio.html (internal use only; anonymous by default)"},
}


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with the usage line's prefix ("usage: ", "gebruik: ") of the parser's language."""

    def __init__(self, prog: str, *, usage_prefix: str = "usage: ", **kwargs):
        super().__init__(prog, **kwargs)
        self.usage_prefix = usage_prefix

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, self.usage_prefix if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help, usage line and errors speak ``language``."""

    def __init__(self, *args, language: str = "nl", **kwargs):
        self.language = language
        kwargs.setdefault("formatter_class",
                          functools.partial(_HelpFormatter, usage_prefix=_USAGE_WORDS["usage"][language]))
        super().__init__(*args, **kwargs)
        # argparse's own words (after the parents are merged: their groups go by argparse's titles)
        self._positionals.title = HELP["positionals"][language]
        self._optionals.title = HELP["optionals"][language]
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = HELP["help"][language]

    def error(self, message: str) -> None:  # wrong usage: exit 2 with the usage line, no traceback
        lang = self.language
        text = usage_error(message, lang)
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {_USAGE_WORDS['error'][lang]}: {text}{'' if text.endswith('?') else '.'} "
              f"{_USAGE_WORDS['help'][lang].format(prog=self.prog)}", file=sys.stderr)
        raise SystemExit(2)


def _lang_option(parser: argparse.ArgumentParser, default: object, language: str) -> None:
    parser.add_argument("--lang", "--taal", dest="lang", choices=["nl", "en"], default=default,
                        help=HELP["lang"][language])


def build_parser(language: str = "nl") -> argparse.ArgumentParser:
    """The command line; ``language`` (nl, en) is that of its help, usage line and errors.

    ``--lang``/``--taal`` is taken before the command and after it (``klantladder validate X --lang
    en``); given after it, it wins.
    """
    say = functools.partial(_help_text, language=language)

    p = _Parser(prog="klantladder", description=say("description"), language=language)
    p.add_argument("--version", action="version", version=f"klantladder {__version__}", help=say("version"))
    _lang_option(p, default=None, language=language)
    after = argparse.ArgumentParser(add_help=False)  # each command's own --lang: unset unless given
    _lang_option(after, default=argparse.SUPPRESS, language=language)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p.set_defaults(commands=sub.choices)  # each command's parser, to name it in an error about its options

    def command(name: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=say(name), parents=[after], language=language)

    s = command("init")
    s.add_argument("client_dir", type=Path, help=say("client_dir"))
    s = command("validate")
    s.add_argument("client_dir", type=Path, help=say("client_dir"))
    s = command("score")
    s.add_argument("client_dir", type=Path, help=say("client_dir"))
    s.add_argument("--out", type=Path, default=None, metavar=say("score_out_metavar"), help=say("score_out"))
    s = command("report")
    s.add_argument("client_dir", type=Path, help=say("client_dir"))
    s.add_argument("--out", type=Path, required=True, metavar=say("out_metavar"), help=say("report_out"))
    s.add_argument("--no-pdf", action="store_true", help=say("no_pdf"))
    s = command("batch")
    s.add_argument("root", type=Path, help=say("root"))
    s.add_argument("--out", type=Path, required=True, metavar=say("out_metavar"), help=say("batch_out"))
    _batch_options(s, workers_default=1, say=say)
    s.add_argument("--only", nargs="+", default=None, metavar=say("only_metavar"), help=say("only"))
    s.add_argument("--force", action="store_true", help=say("force"))
    s.add_argument("--notebook", type=Path, default=None, help=say("notebook"))
    s = command("demo")
    s.add_argument("--out", type=Path, default=Path("reports/demo"), metavar=say("out_metavar"),
                   help=say("demo_out"))
    s.add_argument("--data", type=Path, default=None, metavar=say("data_metavar"), help=say("data"))
    _batch_options(s, workers_default=min(2, os.cpu_count() or 1), say=say)
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _help_text(key: str, language: str) -> str | None:
    """The help text ``key`` of :data:`HELP` in ``language``."""
    return HELP[key][language]


def _batch_options(s: argparse.ArgumentParser, workers_default: int, say: Callable[[str], str | None]) -> None:
    """The options ``batch`` and ``demo`` share; ``say`` gives a help text in the parser's language."""
    s.add_argument("--workers", type=_positive, default=workers_default, metavar=say("workers_metavar"),
                   help=say("workers"))
    s.add_argument("--scheduler", default=None, metavar=say("scheduler_metavar"), help=say("scheduler"))
    s.add_argument("--no-pdf", action="store_true", help=say("no_pdf"))
    s.add_argument("--quiet", action="store_true", help=say("quiet"))
    s.add_argument("--fresh-kernels", action="store_true", help=say("fresh_kernels"))
    s.add_argument("--kernel-reuse", type=_positive, default=None, metavar="N", help=say("kernel_reuse"))
    s.add_argument("--timeout", type=_positive, default=600, metavar=say("timeout_metavar"), help=say("timeout"))
    s.add_argument("--no-portfolio", action="store_true", help=say("no_portfolio"))
    s.add_argument("--portfolio-names", action="store_true", help=say("portfolio_names"))


def _lang(args, client_dir: Path | None = None) -> str:
    if args.lang:
        return args.lang
    env = os.environ.get("KLANTLADDER_LANG")
    if env in ("nl", "en"):
        return env
    if client_dir is not None:
        try:
            from .config import load_client_config

            return load_client_config(client_dir).language
        except KlantladderError:
            pass
    return "nl"


def _wave_subfolders(folder: str | Path) -> list[Path]:
    """The wave folders of a client's folder that holds one folder per wave (``client/2025-voorjaar``,
    ``client/2026-najaar``); empty for a client folder itself (or a folder that is not there)."""
    from .assess import find_wave_folders
    from .config import is_client_folder

    folder = Path(folder)
    if not folder.is_dir() or is_client_folder(folder):
        return []
    waves = find_wave_folders(folder)  # a folder of several clients: UsageError
    return [] if waves == [folder] else sorted(waves)


def _validate(folder: str | Path, lang: str) -> int:
    """``validate`` of one client folder: its warnings, the waves in a wave column, and the verdict."""
    from .i18n import fmt_number
    from .intake import read_client
    from .waves import current_wave, survey_waves, wave_sort_key

    data = read_client(folder)
    for f in data.warnings:
        print(f.text(lang))
    waves = survey_waves(data.frames)
    if len(waves) > 1:  # one folder, several waves: say what score and report will use
        current = current_wave(data.config.wave, waves)
        _say("waves", lang, current=current, earlier=", ".join(sorted(waves - {current}, key=wave_sort_key)))
    _say("valid", lang, name=data.config.name, rows=fmt_number(sum(data.rows_read.values()), lang),
         rejected=fmt_number(len(data.rejects), lang), warnings=_warning_count(len(data.warnings), lang))
    return 0


def _scores_target(args) -> Path:
    """Where ``score`` writes: ``--out`` (a file, or an existing folder to write
    ``<client>-scores.json`` into), else ``<client>-scores.json`` beside the client folder."""
    from .config import safe_name

    # the client id is the folder's safe name (config.load_client_config)
    client = args.client_dir.resolve()  # "." has no parent of its own: the resolved folder has
    name = f"{safe_name(client.name)}-scores.json"
    if args.out:
        folder = args.out.resolve()
        inside_client = folder == client or client in folder.parents  # never among the client's inputs
        return args.out / name if folder.is_dir() and not inside_client else args.out
    return client.parent / name


def _output_targets(args) -> list[tuple[Path, str]]:
    """The paths the command writes to, each with the option that chooses it."""
    if args.command == "init":
        return [(args.client_dir, "")]
    if args.command == "score":
        return [(_scores_target(args), "--out")]
    if args.command in ("report", "batch"):
        return [(args.out, "--out")]
    if args.command == "demo":
        from .paths import DEMO_DATA

        return [(args.out, "--out"), (args.data or DEMO_DATA, "--data")]
    return []


def _nearest_folder(path: Path) -> Path:
    """``path`` if it is a folder, else the nearest folder above it that exists."""
    while not path.is_dir() and path != path.parent:
        path = path.parent
    return path


def _unwritable(exc: OSError, args) -> tuple[Path, str] | None:
    """For a refused write where the command writes (no rights, a read-only folder or disk): the
    folder that refused it and the option that chose it. None for any other error, such as an
    input file that may not be read."""
    refused = isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
    if not refused or not exc.filename:
        return None
    failed = Path(os.path.abspath(exc.filename))
    for target, option in _output_targets(args):
        target = Path(os.path.abspath(target))
        staging = failed.parent == target.parent and failed.name.startswith(".")  # a hidden temporary beside it
        if failed == target or failed in target.parents or target in failed.parents or staging:
            return _nearest_folder(failed), option
    return None


def _os_error_text(exc: OSError, args, lang: str) -> str:
    """The message for a path that cannot be read or written: a folder the command may not write in
    is named with what to do about it, any other problem with the path and the system's reason."""
    unwritable = _unwritable(exc, args)
    if unwritable is not None:
        folder, option = unwritable
        return MSG["not_writable"][lang].format(path=folder, option_nl=f" met {option}" if option else "",
                                                option_en=f" with {option}" if option else "")
    where = Path(exc.filename) if exc.filename else None
    if where is not None and where.name.startswith("."):  # a hidden temporary beside the target: its folder
        where = where.parent
    return MSG["os_error"][lang].format(path=where or "", msg=exc.strerror or type(exc).__name__)


def _run(args) -> int:
    cmd = args.command
    if cmd == "init":
        from .scaffold import init_client

        init_client(args.client_dir)
        _say("init", _lang(args), path=args.client_dir)
        return 0
    if cmd == "validate":
        waves = _wave_subfolders(args.client_dir)
        if not waves:
            return _validate(args.client_dir, _lang(args, args.client_dir))
        worst = 0  # a client measured in wave folders: each wave, one after the other
        for folder in waves:
            lang = _lang(args, folder)
            _say("wave_folder", lang, wave=folder.name)
            try:
                _validate(folder, lang)
            except KlantladderError as exc:
                print(exc.text(lang), file=sys.stderr)
                worst = max(worst, exc.exit_code)
        return worst
    if cmd == "score":
        from .assess import assess_with_history
        from .outputs import check_scores_target, write_scores

        lang = _lang(args, args.client_dir)
        out = _scores_target(args)
        check_scores_target(out)  # before scoring: an input file is never overwritten
        # As the report: a wave folder, or a client's folder of wave folders (its latest wave), with
        # the earlier waves as the trend.
        a = assess_with_history(args.client_dir).in_language(args.lang)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_scores(a, out)
        from .i18n import fmt_number

        _say("scored", lang, name=a.config.name, level=a.rung.level, rung=a.rung.name.get(lang, a.rung.name["nl"]),
             score=fmt_number(a.overall.value, lang), path=out)
        return 0
    if cmd == "report":
        from .batch import lean_imports

        lean_imports()  # this process runs the notebook and its export, as a batch worker does
        from . import engine
        from .paths import ASSESSMENT_NOTEBOOK

        # The report's kernel boots (and imports what the notebook imports) while this process
        # imports, scores and writes the workbook, instead of after it.
        if Path(args.client_dir).is_dir():
            engine.prestart("python3", ASSESSMENT_NOTEBOOK, cwd=ASSESSMENT_NOTEBOOK.parent)
        from .report import make_report

        lang = _lang(args, args.client_dir)
        res = make_report(args.client_dir, args.out, language=args.lang, pdf=not args.no_pdf)
        from .config import load_client_config

        _say("report", lang, name=load_client_config(args.client_dir).name, level=res.rung, path=res.out_dir,
             seconds=res.seconds)
        return 0
    if cmd in ("batch", "demo"):
        return _batch(args)
    raise UsageError(f"unknown command {cmd}")


def _batch(args) -> int:
    from .batch import DEFAULT_KERNEL_MAX_USES, MANIFEST, Progress, lean_imports, run_batch

    lean_imports()  # this process may run reports itself (one worker)
    lang = _lang(args)
    only, force = getattr(args, "only", None), getattr(args, "force", False)
    if args.command == "demo":
        from .demo import make_demo_clients
        from .paths import DEMO_DATA

        root = args.data or DEMO_DATA
        made = make_demo_clients(root, waves=True)
    else:
        root = args.root
        if not root.is_dir():
            raise UsageError({"nl": f"Map niet gevonden: {root}", "en": f"Folder not found: {root}"})
    out = args.out
    params = {"pdf": not args.no_pdf, "message_language": lang, "timeout": args.timeout, "own_process": True}
    if args.lang:
        params["language"] = args.lang
    progress = Progress() if args.quiet else _BatchBar(lang)
    result = run_batch(root, out, workers=args.workers, only=only, force=force, params=params,
                       scheduler=args.scheduler, progress=progress, fresh_kernels=args.fresh_kernels,
                       kernel_max_uses=args.kernel_reuse or DEFAULT_KERNEL_MAX_USES,
                       portfolio=not args.no_portfolio, portfolio_names=args.portfolio_names,
                       notebook=getattr(args, "notebook", None))
    manifest = Path(out) / MANIFEST
    if result.failed:
        print(MSG["failed_head"][lang].format(n=len(result.failed), manifest=manifest), file=sys.stderr)
        for key in sorted(result.failed):
            print("  " + MSG["failed"][lang].format(key=key, error=result.manifest["clients"][key]["error"]),
                  file=sys.stderr)
    if result.portfolio_error:
        print(MSG["portfolio_failed"][lang].format(error=result.portfolio_error), file=sys.stderr)
    if args.command == "demo":
        clients = {Path(p).resolve().relative_to(Path(root).resolve()).parts[0] for p in made}  # waves: one client
        _say("demo", lang, n=len(clients), data=root, out=out)
    if result.portfolio is not None and not args.quiet:
        _say("portfolio", lang, path=result.portfolio)
    _say("batch", lang, ok=len(result.done), failed=len(result.failed), skipped=len(result.skipped),
         manifest=manifest)
    return result.exit_code


class _BatchBar:
    """The batch progress bar (tqdm on stderr): done / failed / skipped, rate and time left."""

    def __init__(self, lang: str):
        self.lang = lang
        self.bar = None
        self.counts = {"ok": 0, "failed": 0}

    def start(self, total: int, skipped: int) -> None:
        from tqdm import tqdm

        # Skipped clients count as done from the start; the rate and time left are over the rest.
        self.skipped = skipped
        tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked from this one
        self.bar = tqdm(total=total, initial=skipped, unit=" rapport" if self.lang == "nl" else " report",
                        file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
                        desc="klantladder")
        self._postfix()

    def _postfix(self) -> None:
        if self.bar is not None:
            if self.lang == "nl":
                self.bar.set_postfix_str(f"gelukt {self.counts['ok']}, mislukt {self.counts['failed']}, "
                                         f"overgeslagen {self.skipped}", refresh=False)
            else:
                self.bar.set_postfix_str(f"done {self.counts['ok']}, failed {self.counts['failed']}, "
                                         f"skipped {self.skipped}", refresh=False)

    def update(self, key: str, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        if self.bar is not None:
            self._postfix()
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``klantladder`` console script."""
    warnings.filterwarnings("ignore")
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unknown = build_parser(_argv_language(argv)).parse_known_args(argv)
    if unknown:  # said by the command's own parser: its usage line, and its --help to look at
        args.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    # Before NumPy is loaded (see threads): a batch runs one report per core already, and a single
    # client is scored in klantladder's own threads, beside which BLAS's pool only competes.
    one_thread_per_library(names=THREAD_VARIABLES if args.command in ("batch", "demo") else BLAS_VARIABLES)
    keep_freed_memory()  # this process is klantladder's own: large clients score with less page zeroing
    try:
        return _run(args)
    except KlantladderError as exc:
        print(exc.text(_lang(args)), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        # The notebook run that was cut off leaves an unfinished task whose "never retrieved" report
        # asyncio would print at exit: after an interruption that is noise, not news.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        print(MSG["interrupted"][_lang(args)], file=sys.stderr)
        return 130
    except OSError as exc:  # a path that cannot be read or written (a missing folder, a file in its place, rights)
        print(_os_error_text(exc, args, _lang(args)), file=sys.stderr)
        return 1
    except Exception as exc:  # last resort: a message, never a traceback
        lang = _lang(args)
        print(MSG["unexpected"][lang].format(kind=type(exc).__name__, msg=str(exc)[:300]), file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
