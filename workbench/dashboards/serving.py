"""`workbench dashboard`: serve the review notebook with `panel serve`, safely by default.

The library and the read-only setting reach the served notebook through $WORKBENCH_DB and
$WORKBENCH_READ_ONLY. The server binds 127.0.0.1 unless told otherwise, and refuses any other
address without authentication (`check_exposure`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInput
from .safety import check_exposure, is_loopback

__all__ = ["ServeSettings", "review_app_path", "panel_serve_command", "DEFAULT_PORT"]

DEFAULT_PORT = 5006
_REPO_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "review.ipynb"
_PACKAGED_APP = Path(__file__).resolve().with_name("review_app.py")
LOGIN_TEMPLATE = Path(__file__).resolve().with_name("login.html")  # Panel's own loads a logo from a CDN
_WILDCARDS = ("0.0.0.0", "::", "")


def review_app_path() -> Path:
    """notebooks/review.ipynb in a source checkout; the packaged review_app.py in an installed wheel."""
    return _REPO_NOTEBOOK if _REPO_NOTEBOOK.is_file() else _PACKAGED_APP


def _check_basic_auth(path: str) -> Path:
    """Panel takes a --basic-auth value that is not a file as THE password: insist on a real users file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise InvalidInput(f"--basic-auth {path!r} is not a file; give a JSON file of "
                           '{"user": "password", ...} (one shared password on the command line would leak)')
    try:
        users = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"--basic-auth file {file} is not readable JSON: {error}") from None
    if not isinstance(users, dict) or not users or not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in users.items()):
        raise InvalidInput(f"--basic-auth file {file} must hold a JSON object of non-empty "
                           '"user": "password" strings')
    return file.absolute()


@dataclass
class ServeSettings:
    db: str | None = None
    port: int = DEFAULT_PORT
    address: str = "127.0.0.1"
    basic_auth: str | None = None
    cookie_secret: str | None = None
    read_only: bool = False
    allow_origins: list[str] = field(default_factory=list)

    def check(self) -> None:
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise InvalidInput(f"--port must be 0..65535, got {self.port!r}")
        check_exposure(self.address, basic_auth=self.basic_auth)
        if self.basic_auth:
            _check_basic_auth(self.basic_auth)
        if self.cookie_secret is not None and not re.fullmatch(r"[0-9a-fA-F]{32,}", self.cookie_secret):
            raise InvalidInput("--cookie-secret must be at least 32 hex digits "
                               "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')")
        for origin in self.allow_origins:
            if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:*]+", origin):
                raise InvalidInput(f"--allow-origin {origin!r} must be HOST[:PORT]")

    def origins(self) -> list[str]:
        """Websocket origins: what was given; else, for a non-loopback bind, this host's names."""
        if self.allow_origins or is_loopback(self.address):
            return list(self.allow_origins)
        hosts = ([socket.gethostname(), socket.getfqdn()] if self.address in _WILDCARDS else [self.address])
        return [f"{h}:{self.port}" for h in dict.fromkeys(hosts)]


def panel_serve_command(settings: ServeSettings, app: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) that run `panel serve` on the review notebook with these settings."""
    settings.check()
    from ..library import Library  # create (and migrate) the library now: errors show before serving

    library = Library(settings.db, import_legacy=False)
    argv = [sys.executable, "-m", "panel", "serve", str(app or review_app_path()),
            "--address", settings.address, "--port", str(settings.port), "--num-procs", "1",
            "--index", (app or review_app_path()).stem]
    for origin in settings.origins():
        argv += ["--allow-websocket-origin", origin]
    if settings.basic_auth:
        argv += ["--basic-auth", str(_check_basic_auth(settings.basic_auth)),
                 "--cookie-secret", settings.cookie_secret or secrets.token_hex(32),
                 "--basic-login-template", str(LOGIN_TEMPLATE)]
    env = dict(os.environ, WORKBENCH_DB=str(library.path), WORKBENCH_READ_ONLY="1" if settings.read_only else "")
    return argv, env
