"""What keeps a served dashboard safe: text never becomes HTML, audio never leaves the library root,
and a server never listens beyond this machine without authentication.
"""

from __future__ import annotations

import html
import ipaddress
from pathlib import Path

from ..errors import AudioFileError, InvalidInput

__all__ = ["text_html", "safe_audio_path", "is_loopback", "check_exposure", "EXPOSURE_HELP"]

EXPOSURE_HELP = (
    "Serving on {address} would let anyone who can reach this machine listen to, comment on and change "
    "the library. Either keep the default --address 127.0.0.1 (and reach it through an SSH tunnel: "
    "ssh -L 5006:127.0.0.1:5006 host), or add authentication: --basic-auth FILE (a JSON file "
    '{{"user": "password", ...}}) with --cookie-secret HEX, or serve the notebook with `panel serve '
    "--oauth-provider ...` (see Panel's OAuth documentation)."
)


def text_html(value: object) -> str:
    """`value` as HTML text: every <, >, &, quote escaped, so user text (comments, prompts, album
    titles) is shown, never run."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_audio_path(library, track) -> Path:
    """The resolved audio file of `track`, only if it lies inside the library root.

    Symlinks and `..` are resolved first, so a row (or a link) pointing elsewhere is refused with an
    `AudioFileError` naming the path, never read.
    """
    root = library.root.resolve()
    path = library.path_of_stored(track.filepath).resolve()
    if not path.is_relative_to(root):
        raise AudioFileError(
            f"track {track.id} points to {path}, outside the library folder {root}; "
            "the dashboard only plays files inside the library folder")
    if not path.is_file():
        raise AudioFileError(f"the audio file of track {track.id} is missing: {path}")
    return path


def is_loopback(address: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(address: str, *, basic_auth: str | None = None, oauth: bool = False) -> None:
    """Refuse to serve beyond this machine without authentication (InvalidInput explains the options)."""
    if not isinstance(address, str) or not address.strip():
        raise InvalidInput(f"address must be an IP address or host name, got {address!r}")
    if not is_loopback(address) and not basic_auth and not oauth:
        raise InvalidInput(EXPOSURE_HELP.format(address=address))
