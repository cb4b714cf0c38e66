"""Command line: `kerasfix scan` (and, without a subcommand, the app).

Exit codes: 0 no error findings, 1 error findings, 2 usage or target error.
Errors are one line on stderr; no traceback for anything a user can cause.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from kerasfix import __version__
from kerasfix.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_STEP_FAILED,
    EXIT_USAGE,
    KerasfixError,
)

STRATEGIES = ("repair", "upgrade", "legacy", "fresh-venv")


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--python", metavar="PATH",
                        help="interpreter or environment folder to diagnose (default: $VIRTUAL_ENV,"
                             " then $CONDA_PREFIX, then python3 on PATH)")
    parser.add_argument("--no-color", action="store_true", help="plain text output")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kerasfix", description="Diagnose and fix broken TensorFlow / Keras /"
                     " tf-keras environments.")
    parser.add_argument("--version", action="version", version=f"kerasfix {__version__}")
    _add_target_options(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="app: audit mode, the fix wizard only writes a report")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    scan = sub.add_parser("scan", help="diagnose an environment (no changes)")
    _add_target_options(scan)
    scan.add_argument("--deep", action="store_true",
                      help="also import TensorFlow/Keras and train a tiny model, in subprocesses")
    scan.add_argument("--json", action="store_true", help="kerasfix.scan/1 JSON on stdout")
    scan.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                      help="time limit for each runtime-check process (default 120)")
    fix = sub.add_parser("fix", help="plan, preview, confirm, run, verify")
    _add_target_options(fix)
    fix.add_argument("--strategy", choices=STRATEGIES,
                     help="default: the least disruptive one that resolves every error")
    fix.add_argument("--dry-run", action="store_true",
                     help="plan and preview only; change nothing (an audit)")
    fix.add_argument("--yes", "-y", action="store_true", help="do not ask before changing")
    fix.add_argument("--report", metavar="FILE", help="write a report (.md or .json)")
    fix.add_argument("--find-links", action="append", default=[], metavar="DIR",
                     help="extra wheel folder for pip (repeatable)")
    fix.add_argument("--no-index", action="store_true", help="pip must not use an index")
    fix.add_argument("--venv", metavar="PATH", help="fresh-venv: where to create it")
    fix.add_argument("--carry-over", action="store_true",
                     help="fresh-venv: also install your other packages at their versions")
    fix.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                     help="time limit of the runtime check in verification")
    fix.add_argument("--no-verify", action="store_true", help="skip the runtime check after")
    undo = sub.add_parser("undo", help="restore a snapshot taken before a fix")
    _add_target_options(undo)
    undo.add_argument("snapshot", nargs="?", help="snapshot id (default: the newest)")
    undo.add_argument("--list", action="store_true", help="list snapshots of the environment")
    undo.add_argument("--yes", "-y", action="store_true", help="do not ask")
    undo.add_argument("--dry-run", action="store_true", help="preview only")
    return parser


def _console(no_color: bool, stderr: bool = False):  # -> rich Console, imported lazily
    from rich.console import Console

    return Console(no_color=no_color or None, stderr=stderr, highlight=False,
                   soft_wrap=False)


def cmd_app(args: argparse.Namespace) -> int:
    """The Textual app; without a terminal, the scan report instead."""
    from kerasfix.target import select_target

    target = select_target(args.python)
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        sys.stderr.write("kerasfix: not a terminal, showing the scan report (the app needs one)\n")
        args.deep, args.json, args.timeout = False, False, 120.0
        return cmd_scan(args)
    from kerasfix.tui.app import KerasfixApp

    code = KerasfixApp(target, dry_run=args.dry_run).run()
    return code or EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    from kerasfix.probe import start_probe
    from kerasfix.target import select_target

    target = select_target(args.python)
    probe = start_probe(target)  # runs in the target while we import the rest
    from kerasfix.scan import scan

    if not args.json and sys.stderr.isatty():  # progress for people, not for logs
        err = _console(args.no_color, stderr=True)
        err.print(f"Scanning {target.describe()}" + (" with runtime check…" if args.deep else "…"),
                  style="dim")
    result = scan(target, deep=args.deep, deep_timeout=args.timeout, started_probe=probe)
    code = EXIT_FINDINGS if result.has_errors else EXIT_OK
    if args.json:
        from kerasfix.report_json import scan_document

        # indent only for people: json's C encoder is used only without it
        json.dump(scan_document(result, code), sys.stdout,
                  indent=2 if sys.stdout.isatty() else None)
        sys.stdout.write("\n")
    else:
        from kerasfix.render_text import render_scan

        render_scan(result, _console(args.no_color))
    return code


def _confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise KerasfixError("refusing to change the environment without confirmation: run in a"
                            " terminal, or pass --yes")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def cmd_fix(args: argparse.Namespace) -> int:
    from kerasfix import planner
    from kerasfix import snapshot as snapshots
    from kerasfix.findings import Strategy
    from kerasfix.preview import preview_plan
    from kerasfix.render_fix import ConsoleEvents, render_comparison, render_preview
    from kerasfix.render_text import render_scan
    from kerasfix.report_fix import FixReport, write_report
    from kerasfix.runner import run_plan
    from kerasfix.scan import scan
    from kerasfix.target import select_target
    from kerasfix.verify import verify

    console = _console(args.no_color)
    target = select_target(args.python)
    before = scan(target)
    render_scan(before, console)
    prefix = before.inventory.interpreter.prefix
    stuck = snapshots.interrupted(prefix)
    if stuck:
        console.print(f"A fix started {stuck.created} was interrupted after {stuck.steps_done} of"
                      f" {stuck.steps_total} steps. Restore it with: kerasfix undo {stuck.id}"
                      f" --python {target.python}", style="bold yellow")
        if not args.dry_run:
            if not _confirm("Continue with a new fix anyway?", args.yes):
                return EXIT_FINDINGS
            stuck.status = "abandoned"
            stuck.save()
    strategy = Strategy(args.strategy) if args.strategy else planner.recommend(before)
    if strategy is None:
        console.print("Nothing to fix.", style="bold green")
        return EXIT_OK
    options = planner.FixOptions(tuple(args.find_links), args.no_index, args.venv,
                                 args.carry_over)
    plan = planner.build_plan(before, strategy, options)
    preview = preview_plan(plan, before.inventory)
    render_preview(preview, console, dry_run=args.dry_run)
    report = FixReport(before, preview, args.dry_run)
    if plan.blocked or args.dry_run or not plan.automatic_steps:
        report.exit_code = EXIT_FINDINGS if (before.has_errors or plan.blocked or
                                             plan.manual_steps) else EXIT_OK
        if args.report:
            write_report(report, args.report)
            console.print(f"Report written to {args.report}")
        return report.exit_code
    if not _confirm(f"Apply {len(plan.automatic_steps)} step(s) to {prefix}?", args.yes):
        console.print("Nothing was changed.")
        return EXIT_FINDINGS
    run = run_plan(plan, before.inventory,
                   events=ConsoleEvents(console, len(plan.automatic_steps)))
    report.run = run
    undo = f"kerasfix undo {run.snapshot.id} --python {target.python}" if run.snapshot else None
    report.undo_command = undo
    if run.failed:
        console.print(f"Step {run.failed.index + 1} failed; nothing further was run.",
                      style="bold red")
        console.print(f"Undo with: {undo}", style="bold")
        report.exit_code = EXIT_STEP_FAILED
    else:
        python = plan.steps[1].argv[0] if strategy is Strategy.FRESH_VENV else target.python
        after, comparison = verify(python, before, deep=not args.no_verify,
                                   timeout=args.timeout)
        report.after, report.comparison = after, comparison
        render_comparison(comparison, console)
        for step in plan.manual_steps:
            console.print(f"You still need to: {step.instruction or step.title}",
                          style="yellow")
        for note in plan.notes:
            console.print(note, style="bold")
        console.print(f"Undo with: {undo}")
        report.exit_code = EXIT_OK if comparison.clean and not plan.manual_steps \
            else EXIT_FINDINGS
    if args.report:
        write_report(report, args.report)
        console.print(f"Report written to {args.report}")
    return report.exit_code


def Text_manual(step) -> str:
    return f"You still need to: {step.instruction or step.title}"


def cmd_undo(args: argparse.Namespace) -> int:
    from kerasfix import snapshot as snapshots
    from kerasfix.planner import pip_base
    from kerasfix.preview import preview_plan
    from kerasfix.render_fix import ConsoleEvents, render_preview
    from kerasfix.runner import run_plan
    from kerasfix.scan import scan
    from kerasfix.target import select_target

    console = _console(args.no_color)
    target = select_target(args.python)
    current = scan(target)
    prefix = current.inventory.interpreter.prefix
    snaps = snapshots.list_snapshots(prefix)
    if args.list:
        if not snaps:
            console.print(f"No snapshots for {prefix}.")
        for snap in snaps:
            console.print(f"{snap.id}  {snap.created}  {snap.strategy:<10} {snap.status:<12}"
                          f" {snap.steps_done}/{snap.steps_total} steps  by {snap.user}")
        return EXIT_OK
    if not snaps:
        raise KerasfixError(f"no snapshots for {prefix}")
    snap = snapshots.load(prefix, args.snapshot) if args.snapshot else snaps[-1]
    plan = snapshots.plan_undo(snap, current.inventory, pip_base(current.inventory,
                                                                 target.python))
    if not plan.steps:
        console.print(f"{prefix} already matches snapshot {snap.id}.", style="green")
        return EXIT_OK
    render_preview(preview_plan(plan, current.inventory), console, dry_run=args.dry_run)
    if args.dry_run:
        return EXIT_FINDINGS
    if not _confirm(f"Restore snapshot {snap.id}?", args.yes):
        return EXIT_FINDINGS
    run = run_plan(plan, current.inventory, snapshot=snap,
                   events=ConsoleEvents(console, len(plan.automatic_steps)))
    if run.failed:
        console.print("Undo step failed; nothing further was run.", style="bold red")
        return EXIT_STEP_FAILED
    snap.status = "restored"
    snap.save()
    console.print(f"Restored snapshot {snap.id}.", style="bold green")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return cmd_app(args)
        return {"scan": cmd_scan, "fix": cmd_fix, "undo": cmd_undo}[args.command](args)
    except KerasfixError as err:
        sys.stderr.write(f"kerasfix: error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("kerasfix: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
