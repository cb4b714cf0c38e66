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
from kerasfix.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, KerasfixError


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
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    scan = sub.add_parser("scan", help="diagnose an environment (no changes)")
    _add_target_options(scan)
    scan.add_argument("--deep", action="store_true",
                      help="also import TensorFlow/Keras and train a tiny model, in subprocesses")
    scan.add_argument("--json", action="store_true", help="kerasfix.scan/1 JSON on stdout")
    scan.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                      help="time limit for each runtime-check process (default 120)")
    return parser


def _console(no_color: bool, stderr: bool = False):  # -> rich Console, imported lazily
    from rich.console import Console

    return Console(no_color=no_color or None, stderr=stderr, highlight=False,
                   soft_wrap=False)


def cmd_scan(args: argparse.Namespace) -> int:
    from kerasfix.scan import scan
    from kerasfix.target import select_target

    target = select_target(args.python)
    if not args.json and sys.stderr.isatty():  # progress for people, not for logs
        err = _console(args.no_color, stderr=True)
        err.print(f"Scanning {target.describe()}" + (" with runtime check…" if args.deep else "…"),
                  style="dim")
    result = scan(target, deep=args.deep, deep_timeout=args.timeout)
    code = EXIT_FINDINGS if result.has_errors else EXIT_OK
    if args.json:
        from kerasfix.report_json import scan_document

        json.dump(scan_document(result, code), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from kerasfix.render_text import render_scan

        render_scan(result, _console(args.no_color))
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # The app comes with the TUI; until then the bare command shows the scan report.
        args = parser.parse_args(["scan", *(argv if argv is not None else sys.argv[1:])])
    try:
        return {"scan": cmd_scan}[args.command](args)
    except KerasfixError as err:
        sys.stderr.write(f"kerasfix: error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("kerasfix: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
