"""Command line: scan, fix, undo, explain, audit, report merge (and, without a subcommand,
the app). It presents what the engine decides, the exit code included: `scan` returns
ScanResult.exit_code_at(--fail-on); `explain` kerasfix.diagnose.explain.exit_code; `scan --all`,
`audit` and `report merge` their document's "exit_code" (kerasfix.fleet); `fix` and `undo`
their session's (kerasfix.fix.session, deciding through kerasfix.fix.workflow). An error ends
any command here in `main`, with the error's own code (kerasfix.errors: 2 usage, target or
state error), 4 for a kerasfix bug, 130 for Ctrl-C. Errors are one line on stderr; no
traceback for anything a user can cause.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from kerasfix import __version__
from kerasfix.errors import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    KerasfixError,
)
from kerasfix.textsafe import one_line

if TYPE_CHECKING:  # imported lazily where they are used: `kerasfix scan` starts fast
    from rich.console import Console

    from kerasfix.diagnose.scan import ScanResult
    from kerasfix.fix.session import FixSession, Line, UndoSession
    from kerasfix.inspect.discovery import DiscoveryResult
    from kerasfix.report.share import Redactor

STRATEGIES = ("repair", "upgrade", "legacy", "fresh-venv")
INSTALLERS = ("auto", "pip", "uv", "poetry", "pdm", "pipenv")  # fix.installers.CHOICES
EXIT_CTRL_C = 128 + signal.SIGINT  # the shell's code for a process Ctrl-C ended


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)} (see {self.prog}"
                  " --help)\n")


def _seconds(value: str) -> float:
    """A time limit: a positive, finite number of seconds (nan would never time out)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {value!r}")
    return seconds


def _nonempty(value: str) -> str:
    """A name that must name something (an empty one would quietly mean "none")."""
    if not value.strip():
        raise argparse.ArgumentTypeError("empty")
    return value


def _python_path(value: str) -> str:
    """--python names something: an empty value must not fall back to python3 on PATH."""
    if not value.strip():
        raise argparse.ArgumentTypeError("empty; name an interpreter or an environment folder")
    return value


def _add_target_options(parser: argparse.ArgumentParser, *, sub: bool = True,
                        what: str = "to diagnose") -> None:
    # On subcommands the default is SUPPRESS, so `kerasfix --python X scan` keeps X.
    keep: dict[str, Any] = {"default": argparse.SUPPRESS} if sub else {}
    parser.add_argument("--python", metavar="PATH", type=_python_path, **keep,
                        help=f"interpreter or environment folder {what} (default: $VIRTUAL_ENV,"
                             " then $CONDA_PREFIX, then python3 on PATH)")
    parser.add_argument("--no-color", action="store_true", help="plain text output", **keep)


def _add_project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", metavar="DIR", type=_nonempty,
                        help="the project folder whose manifests pin the stack (default: the"
                             " first folder with one, walking up from the current folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kerasfix", description="Diagnose and fix broken TensorFlow / Keras /"
                     " tf-keras environments. Run `kerasfix` alone, with no command, to open"
                     " the interactive app.",
                     epilog="Without a command, kerasfix opens the app on the chosen environment"
                     " (scan, fix wizard, undo; every environment with --all); without a"
                     " terminal it prints the scan report instead. Each command has its own"
                     " --help.")
    parser.add_argument("--version", action="version", version=f"kerasfix {__version__}")
    _add_target_options(parser, sub=False)
    parser.add_argument("--dry-run", action="store_true",
                        help="app: audit mode, the fix wizard only writes a report")
    parser.add_argument("--all", action="store_true",
                        help="app: start with every environment on this machine")
    parser.add_argument("--root", action="append", default=[], metavar="DIR",
                        help="app --all: also look for venvs under DIR")
    parser.add_argument("--installer", choices=INSTALLERS, default="auto",
                        help="app: who runs a fix's install steps (see fix --help)")
    parser.add_argument("--no-manifest", action="store_true",
                        help="app: a fix leaves the project's manifests alone")
    _add_project_option(parser)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    scan = sub.add_parser("scan", help="diagnose an environment (no changes)")
    _add_target_options(scan)
    scan.add_argument("--deep", action="store_true",
                      help="also import TensorFlow/Keras and train a tiny model, in subprocesses")
    scan.add_argument("--json", action="store_true", help="kerasfix.scan/1 JSON on stdout")
    scan.add_argument("--timeout", type=_seconds, default=120.0, metavar="SECONDS",
                      help="time limit for each runtime-check process (default 120)")
    scan.add_argument("--requirements", metavar="FILE",
                      help="check the TF/Keras pins of a requirements file for this interpreter")
    scan.add_argument("--code", metavar="DIR",
                      help="also find imports in DIR's .py files and notebooks that the installed"
                           " Keras does not have")
    _add_project_option(scan)
    scan.add_argument("--all", action="store_true", default=argparse.SUPPRESS,
                      help="every environment on this machine (conda, venvs, pyenv, kernels)")
    scan.add_argument("--root", action="append", default=argparse.SUPPRESS, metavar="DIR",
                      help="with --all: also look for venvs under DIR (repeatable)")
    scan.add_argument("--fail-on", choices=("error", "warning"), default="error",
                      help="exit 1 on error findings (default), or on warnings too (for CI)")
    scan.add_argument("--share", action="store_true",
                      help="replace your home folder, user name and host name in the output"
                           " with ~, <user> and <host> (for pasting into an issue)")
    fix = sub.add_parser("fix", help="plan, preview, confirm, run, verify")
    _add_target_options(fix, what="to fix")
    fix.add_argument("--strategy", choices=STRATEGIES,
                     help="default: the least disruptive one that resolves every error")
    fix.add_argument("--dry-run", action="store_true",
                     help="plan and preview only; change nothing (an audit)")
    fix.add_argument("--yes", "-y", action="store_true", help="do not ask before changing")
    fix.add_argument("--report", metavar="FILE", type=_nonempty,
                     help="write a report (.md or .json)")
    fix.add_argument("--find-links", action="append", default=[], metavar="DIR",
                     help="extra wheel folder for pip (repeatable)")
    fix.add_argument("--no-index", action="store_true", help="pip must not use an index")
    fix.add_argument("--venv", metavar="PATH", help="fresh-venv: where to create it")
    fix.add_argument("--carry-over", action="store_true",
                     help="fresh-venv: also install your other packages at their versions")
    fix.add_argument("--timeout", type=_seconds, default=120.0, metavar="SECONDS",
                     help="time limit of the runtime check in verification")
    fix.add_argument("--no-verify", action="store_true", help="skip the runtime check after")
    fix.add_argument("--installer", choices=INSTALLERS, default="auto",
                     help="who runs the install steps: auto (the environment's own: uv for a"
                          " uv-made venv or uv project, else pip), pip, uv, or the project's"
                          " poetry/pdm/pipenv (its manifest, lock and environment at once)")
    fix.add_argument("--no-manifest", action="store_true",
                     help="leave the project's requirements/pyproject/Pipfile as they are")
    _add_project_option(fix)
    fix.add_argument("--force", action="store_true",
                     help="start even when pip cannot resolve a step (asks once more)")
    fix.add_argument("--share", action="store_true",
                     help="~, <user> and <host> for your home, user and host names in the"
                          " report and the output")
    explain = sub.add_parser("explain", help="name the causes of an error message or traceback")
    _add_target_options(explain)
    explain.add_argument("text", metavar="TEXT|FILE|-",
                         help="the message, a file holding it, or - for standard input")
    explain.add_argument("--no-scan", action="store_true",
                         help="only the catalogue: do not check the causes in an environment")
    explain.add_argument("--json", action="store_true", help="JSON on stdout")
    audit = sub.add_parser("audit", help="the dry-run plan for every environment (a report)")
    _add_target_options(audit)
    audit.add_argument("--all", action="store_true", required=True,
                       help="every environment on this machine (required)")
    audit.add_argument("--root", action="append", default=argparse.SUPPRESS, metavar="DIR",
                       help="also look for venvs under DIR (repeatable)")
    audit.add_argument("--report", required=True, metavar="FILE", type=_nonempty,
                       help="where to write it: FILE.md or FILE.json")
    audit.add_argument("--no-preview", action="store_true",
                       help="skip pip's dry-run resolution (offline machines)")
    audit.add_argument("--find-links", action="append", default=[], metavar="DIR",
                       help="extra wheel folder for pip's dry-run resolution (repeatable)")
    audit.add_argument("--no-index", action="store_true",
                       help="pip's dry-run resolution must not use an index")
    report = sub.add_parser("report", help="combine reports")
    report_sub = report.add_subparsers(dest="report_command", parser_class=_Parser,
                                       required=True)
    merge = report_sub.add_parser("merge", help="combine scan --json files from many machines")
    merge.add_argument("files", nargs="+", metavar="FILE")
    merge.add_argument("--json", action="store_true", help="kerasfix.envs/1 JSON on stdout")
    merge.add_argument("--no-color", action="store_true", default=argparse.SUPPRESS)
    undo = sub.add_parser("undo", help="restore a snapshot taken before a fix")
    _add_target_options(undo, what="whose snapshot to restore")
    undo.add_argument("snapshot", nargs="?", type=_nonempty,
                      help="snapshot id (default: the newest)")
    undo.add_argument("--list", action="store_true", help="list snapshots of the environment")
    undo.add_argument("--yes", "-y", action="store_true", help="do not ask")
    undo.add_argument("--dry-run", action="store_true", help="preview only")
    undo.add_argument("--find-links", action="append", default=[], metavar="DIR",
                      help="extra wheel folder for pip (repeatable)")
    undo.add_argument("--no-index", action="store_true", help="pip must not use an index")
    undo.add_argument("--installer", choices=INSTALLERS[:3], default="auto",
                      help="auto (the route the fix ran through), pip or uv")
    undo.add_argument("--all-since", action="store_true",
                      help="also take back what changed after the fix (default: only the fix)")
    undo.add_argument("--force", action="store_true",
                      help="start even when pip cannot resolve a step (asks once more)")
    return parser


def _console(no_color: bool, stderr: bool = False, share: Redactor | None = None) -> Console:
    from kerasfix.report.safe_console import safe_console

    # No markup, no emoji codes, no raw control characters: what is printed is often a path
    # or a name someone else chose.
    options: dict[str, Any] = {"no_color": no_color or None, "stderr": stderr,
                               "highlight": False, "soft_wrap": False}
    if share is not None:  # --share: redacted before rich lays it out
        from kerasfix.report.share_text import sharing_console

        return sharing_console(share, **options)
    return safe_console(**options)


def _redactor(args: argparse.Namespace) -> Redactor | None:
    """--share: this machine's home, user and host names, to be replaced in the output."""
    from kerasfix.report.share import machine_redactor

    return machine_redactor() if getattr(args, "share", False) else None


def _dump(doc: dict[str, Any], share: Redactor | None) -> None:
    """A JSON document on stdout, indented only for people (json's C encoder needs none)."""
    json.dump(share.data(doc) if share else doc, sys.stdout,
              indent=2 if _isatty(sys.stdout) else None)
    sys.stdout.write("\n")


def cmd_app(args: argparse.Namespace) -> int:
    """The Textual app; without a terminal, the scan report instead."""
    from kerasfix.inspect.target import select_target

    target = select_target(args.python)
    if not (_isatty(sys.stdout) and _isatty(sys.stdin)):
        sys.stderr.write("kerasfix: not a terminal, showing the scan report (the app needs one)\n")
        scan_args = build_parser().parse_args(["scan"])
        scan_args.python, scan_args.no_color, scan_args.all = args.python, args.no_color, args.all
        scan_args.root, scan_args.project = args.root, args.project
        return cmd_scan_all(scan_args) if args.all else cmd_scan(scan_args)
    from kerasfix.fix.planner import FixOptions
    from kerasfix.tui.app import KerasfixApp
    from kerasfix.tui.settings import AppSettings

    options = FixOptions(installer=args.installer, manifest=not args.no_manifest)
    settings = AppSettings(dry_run=args.dry_run, fix_options=options, project_dir=args.project)
    code = KerasfixApp(target, settings=settings, pick_first=args.all,
                       roots=tuple(args.root)).run()
    return code or EXIT_OK


def _discover(args: argparse.Namespace) -> DiscoveryResult:
    from kerasfix.inspect.discovery import discover

    found = discover(args.root)
    for path, error in found.problems:
        sys.stderr.write(f"kerasfix: {one_line(path)}: {one_line(error)}\n")
    return found


def cmd_scan_all(args: argparse.Namespace) -> int:
    from kerasfix.diagnose.findings import Severity
    from kerasfix.fleet.envs_json import envs_document, summary_rows
    from kerasfix.fleet.scanning import scan_many

    found = _discover(args)
    scans = scan_many(found.envs)
    doc = envs_document(scans, problems=found.problems, fail_on=Severity(args.fail_on))
    share = _redactor(args)
    if args.json:
        _dump(doc, share)
    else:
        from kerasfix.fleet.table_text import render_envs

        rows = summary_rows(scans)
        if share:  # before layout: the table's widths are those of what is shown
            doc, rows = share.data(doc), share.data(rows)
        render_envs(doc, rows, _console(args.no_color, share=share))
    return int(doc["exit_code"])


def cmd_audit(args: argparse.Namespace) -> int:
    from kerasfix.files import validate_report_path
    from kerasfix.fix.planner import FixOptions
    from kerasfix.fleet.audit import audit_document, audit_summary_line, write_audit
    from kerasfix.fleet.scanning import scan_many

    out = validate_report_path(args.report)  # before the survey: a bad path wastes no time
    found = _discover(args)
    scans = scan_many(found.envs)
    doc = audit_document(scans, FixOptions(tuple(args.find_links), args.no_index),
                         with_preview=not args.no_preview, problems=found.problems)
    write_audit(doc, out)
    _console(args.no_color).print(audit_summary_line(doc, out))
    return int(doc["exit_code"])


def cmd_report(args: argparse.Namespace) -> int:
    from kerasfix.fleet.envs_json import merge_reports, merged_rows

    doc = merge_reports(args.files)
    if args.json:
        json.dump(doc, sys.stdout, indent=2 if _isatty(sys.stdout) else None)
        sys.stdout.write("\n")
    else:
        from kerasfix.fleet.table_text import render_envs

        render_envs(doc, merged_rows(doc), _console(args.no_color), hosts=True)
    return int(doc["exit_code"])


def cmd_scan(args: argparse.Namespace) -> int:
    if args.all:
        return cmd_scan_all(args)
    from kerasfix.diagnose.findings import Severity
    from kerasfix.inspect.probe import start_probe
    from kerasfix.inspect.target import select_target

    target = select_target(args.python)
    probe = start_probe(target)  # runs in the target while we import the rest
    from kerasfix.diagnose.scan import scan

    share = _redactor(args)
    if not args.json and _isatty(sys.stderr):  # progress for people, not for logs
        err = _console(args.no_color, stderr=True, share=share)
        err.print(f"Scanning {target.describe()}" + (" with runtime check…" if args.deep else "…"),
                  style="dim")
    result = scan(target, deep=args.deep, deep_timeout=args.timeout, started_probe=probe,
                  project_dir=args.project)
    if args.requirements:
        from kerasfix.diagnose.audits import judge_requirements

        judge_requirements(result, args.requirements)
    if args.code:
        from kerasfix.diagnose.audits import add_code_findings

        add_code_findings(result, args.code)
    fail_on = Severity(args.fail_on)
    code = result.exit_code_at(fail_on)
    if args.json:
        from kerasfix.report.scan_json import scan_document

        _dump(scan_document(result, code, fail_on=fail_on), share)
    else:
        from kerasfix.report.scan_text import render_scan

        render_scan(share.data(result) if share else result,  # redacted before layout
                    _console(args.no_color, share=share), show_stack=not args.requirements)
    return code


def cmd_explain(args: argparse.Namespace) -> int:
    from kerasfix.diagnose.explain import diagnose, exit_code, explain_text, read_source

    try:
        text = read_source(args.text)
    except OSError as err:
        raise KerasfixError(f"cannot read {args.text}: {err.strerror or err}") from None
    explanation = explain_text(text)
    diagnosis = None
    if explanation.matched and not args.no_scan:
        from kerasfix.diagnose.scan import scan
        from kerasfix.inspect.target import select_target

        diagnosis = diagnose(explanation, scan(select_target(args.python)))
    if args.json:
        from kerasfix.report.explain_json import explain_document

        json.dump(explain_document(explanation, diagnosis), sys.stdout,
                  indent=2 if _isatty(sys.stdout) else None)
        sys.stdout.write("\n")
    else:
        from kerasfix.report.explain_text import render_explanation

        render_explanation(explanation, diagnosis, _console(args.no_color))
    return exit_code(diagnosis)


def _isatty(stream: TextIO | None) -> bool:
    """False for a closed stream too (`kerasfix <&-` leaves sys.stdin None)."""
    return stream is not None and stream.isatty()


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not _isatty(sys.stdin):
        raise KerasfixError("refusing to change the environment without confirmation: run in a"
                            " terminal, or pass --yes")
    try:
        answer = input(f"{one_line(question)} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _say(line: Line | None, console: Console) -> None:
    from kerasfix.report.fix_text import line_text

    if line is not None:
        console.print(line_text(line))


def _fix_session(args: argparse.Namespace, before: ScanResult) -> FixSession:
    from kerasfix.diagnose.findings import Strategy
    from kerasfix.fix.planner import FixOptions
    from kerasfix.fix.session import FixSession

    options = FixOptions(tuple(args.find_links), args.no_index, args.venv, args.carry_over,
                         installer=args.installer, manifest=not args.no_manifest)
    return FixSession(before, Strategy(args.strategy) if args.strategy else None, options,
                      dry_run=args.dry_run, report_path=args.report,
                      verify_deep=not args.no_verify, timeout=args.timeout)


def _may_start(session: FixSession | UndoSession, args: argparse.Namespace,
               console: Console) -> bool:
    """Say and ask what the session's start decision names (fix and undo alike)."""
    from kerasfix.report.fix_text import render_lines

    decision = session.start_decision(force=args.force)
    render_lines(list(decision.lines), console)
    if not decision.may_start:
        return False
    if decision.force_question and not _confirm(decision.force_question, args.yes):
        return False
    if decision.confirm_question and not _confirm(decision.confirm_question, args.yes):
        session.decline()
        return False
    return True


def _run_fix(session: FixSession, args: argparse.Namespace, console: Console) -> None:
    """Preview, ask, run and verify, as far as the session and the user let it go."""
    from kerasfix.report.fix_text import ConsoleEvents, render_comparison, render_preview

    preview = session.prepare()
    render_preview(preview, console, dry_run=args.dry_run)
    if not _may_start(session, args, console):
        return
    session.run(ConsoleEvents(console, len(preview.plan.automatic_steps)), force=args.force)
    if session.completed:
        after, comparison = session.verify()
        render_comparison(comparison, console, after)


def cmd_fix(args: argparse.Namespace) -> int:
    from functools import partial

    from kerasfix.diagnose.scan import scan
    from kerasfix.files import validate_report_path
    from kerasfix.fix.session import CONTINUE_QUESTION
    from kerasfix.inspect.target import select_target
    from kerasfix.report.fix_report import write_report
    from kerasfix.report.fix_text import render_lines
    from kerasfix.report.scan_text import render_scan

    if args.report:
        validate_report_path(args.report)  # before the scan: a bad path changes nothing
    share = _redactor(args)
    console = _console(args.no_color, share=share)
    before = scan(select_target(args.python), project_dir=args.project)
    render_scan(share.data(before) if share else before, console)
    session = _fix_session(args, before)
    going_on = session.check_interrupted(
        lambda message: console.print(message, style="bold yellow"),
        lambda: _confirm(CONTINUE_QUESTION, args.yes))
    if going_on and not session.nothing_to_fix:
        _run_fix(session, args, console)
    render_lines(session.outcome_lines(), console)
    code = session.finish(partial(write_report, redactor=share) if share else write_report)
    _say(session.report_line, console)
    return code


def _index_flags(args: argparse.Namespace) -> tuple[str, ...] | None:
    """The undo's own --find-links / --no-index; None: use the fix's, kept in its snapshot."""
    if not args.find_links and not args.no_index:
        return None
    from kerasfix.fix.planner import FixOptions

    return FixOptions(tuple(args.find_links), args.no_index).index_flags


def _restore(session: UndoSession, args: argparse.Namespace, console: Console) -> None:
    """Preview, ask and run the restore, as far as the session and the user let it go."""
    from kerasfix.report.fix_text import ConsoleEvents, render_preview

    preview = session.prepare()
    render_preview(preview, console, dry_run=args.dry_run)
    if not _may_start(session, args, console):
        return
    session.run(ConsoleEvents(console, len(preview.plan.automatic_steps)), force=args.force)


def cmd_undo(args: argparse.Namespace) -> int:
    from kerasfix.diagnose.scan import scan
    from kerasfix.fix.session import UndoSession
    from kerasfix.inspect.target import select_target
    from kerasfix.report.fix_text import render_lines

    console = _console(args.no_color)
    session = UndoSession(scan(select_target(args.python)), args.snapshot,
                          index_flags=_index_flags(args), all_since=args.all_since,
                          dry_run=args.dry_run, installer=args.installer)
    if args.list:
        render_lines(session.rows(), console)
        return session.exit_code
    session.choose()  # an environment that already matches it closes the snapshot
    if not session.nothing_to_do:
        _restore(session, args, console)
    render_lines(session.outcome_lines(), console)
    return session.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return cmd_app(args)
        commands = {"scan": cmd_scan, "fix": cmd_fix, "undo": cmd_undo, "audit": cmd_audit,
                    "report": cmd_report, "explain": cmd_explain}
        return commands[args.command](args)
    except KerasfixError as err:  # one line, and no control character reaches the terminal
        sys.stderr.write(f"kerasfix: error: {one_line(str(err))}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("kerasfix: interrupted\n")
        return EXIT_CTRL_C
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:  # a kerasfix bug: one line, the traceback only on request
        import os

        if os.environ.get("KERASFIX_DEBUG"):
            raise
        sys.stderr.write(f"kerasfix: internal error: {type(err).__name__}: {one_line(str(err))}"
                         " (set KERASFIX_DEBUG=1 for the traceback, and please report it)\n")
        return EXIT_INTERNAL
