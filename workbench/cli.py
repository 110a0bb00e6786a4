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


# ----------------------------------------------------------------- dashboard
def _add_dashboard(parser: argparse.ArgumentParser) -> None:
    _add_db(parser)
    parser.add_argument("--port", type=int, default=5006, help="port to serve on (default 5006)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; any other needs --basic-auth)")
    parser.add_argument("--basic-auth", metavar="FILE", default=None,
                        help='JSON file of {"user": "password"}; visitors must log in')
    parser.add_argument("--cookie-secret", metavar="HEX", default=None,
                        help="secret for login cookies (default: a fresh random one per start)")
    parser.add_argument("--read-only", action="store_true", help="no deletes and no album edits")
    parser.add_argument("--allow-origin", action="append", default=[], metavar="HOST[:PORT]",
                        help="websocket origin browsers reach the server by (repeatable)")


def _run_dashboard(args: argparse.Namespace) -> int:
    import os

    from .dashboards.serving import ServeSettings, panel_serve_command

    argv, env = panel_serve_command(ServeSettings(
        db=args.db, port=args.port, address=args.address, basic_auth=args.basic_auth,
        cookie_secret=args.cookie_secret, read_only=args.read_only, allow_origins=args.allow_origin))
    print(f"workbench dashboard: serving {env['WORKBENCH_DB']} on http://{args.address}:{args.port}/",
          file=sys.stderr, flush=True)
    os.execve(argv[0], argv, env)  # become the server: signals and exit status are panel's own
    return 0  # not reached


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "migrate": ("import an old MusicGen Studio metadata/ folder into a library", _add_migrate, _run_migrate),
    "check": ("find (and --repair) drift between library rows and audio files", _add_check, _run_check),
    "dashboard": ("serve the review dashboard (panel serve) on this library", _add_dashboard, _run_dashboard),
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
