"""`workbench ...` on the command line: one subcommand per entry of COMMANDS.

To add a subcommand, write `_add_<name>(parser)` (its arguments) and `_run_<name>(args) -> int` (exit
status), and list them in COMMANDS. Errors the workbench raises on purpose print one line and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from .errors import WorkbenchError

__all__ = ["main", "build_parser", "COMMANDS"]


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None,
                        help="library file (default: $WORKBENCH_DB, else ./library.duckdb)")


# ----------------------------------------------------------------- migrate
def _add_migrate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", help="the old MusicGen Studio metadata/ folder (or the folder holding it)")
    _add_db(parser)
    parser.add_argument("--quiet", action="store_true", help="print the summary line only")


def _run_migrate(args: argparse.Namespace) -> int:
    from .library import Library

    lib = Library(args.db, import_legacy=False)
    report = lib.migrate_legacy(args.dir)
    print(str(report).splitlines()[0] if args.quiet else report)
    return 0


# ----------------------------------------------------------------- check
def _add_check(parser: argparse.ArgumentParser) -> None:
    _add_db(parser)
    parser.add_argument("--repair", action="store_true", help="fix what is found (see lib.check)")
    parser.add_argument("--min-age", type=float, default=600.0,
                        help="leave files younger than this many seconds alone (default 600)")


def _run_check(args: argparse.Namespace) -> int:
    from .library import Library

    report = Library(args.db, import_legacy=False).check(repair=args.repair, min_age=args.min_age)
    print(report)
    return 0 if report.ok or args.repair else 1


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "migrate": ("import an old MusicGen Studio metadata/ folder into a library", _add_migrate, _run_migrate),
    "check": ("find (and --repair) drift between library rows and audio files", _add_check, _run_check),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Pro Studio workbench")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_arguments, _run) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][2](args)
    except WorkbenchError as error:
        print(f"workbench {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
