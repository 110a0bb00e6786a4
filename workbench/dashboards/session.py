"""`LibraryAccess`: how dashboard callbacks reach the library without ever showing a lock error.

Every call is one short locked transaction (the Library opens and closes the file each time). When
another process holds the lock longer than the dashboard's short timeout, a write is queued and retried
on the next refresh tick, with a gentle note in the page; a read is simply tried again next tick.
Read-only dashboards refuse deletes and album edits here, so a hidden button is not the only guard.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import panel as pn

from ..errors import InvalidInput, LibraryBusy, WorkbenchError
from ..library import Library, default_library_path
from .safety import text_html

__all__ = ["LibraryAccess", "read_only_from_env", "DASHBOARD_LOCK_TIMEOUT", "TRUTHY"]

log = logging.getLogger(__name__)

DASHBOARD_LOCK_TIMEOUT = 2.0  # seconds; callbacks run on the server's event loop, so never wait long
TRUTHY = ("1", "true", "yes", "on")


def read_only_from_env() -> bool:
    return os.environ.get("WORKBENCH_READ_ONLY", "").strip().lower() in TRUTHY


class LibraryAccess:
    """The dashboard's library (from $WORKBENCH_DB unless given), its read-only setting and status note."""

    def __init__(self, library: Library | str | os.PathLike | None = None, *, read_only: bool | None = None):
        if library is None or not isinstance(library, Library):
            library = Library(library if library is not None else default_library_path(),
                              lock_timeout=DASHBOARD_LOCK_TIMEOUT, import_legacy=False)
        self.library = library
        self.read_only = read_only_from_env() if read_only is None else bool(read_only)
        self.status = pn.pane.HTML("", css_classes=["wb-status"], sizing_mode="stretch_width", margin=(0, 10))
        self.pending: list[tuple[str, Callable[[], Any], Callable[[Any], None] | None]] = []
        self.busy = False

    # ----------------------------------------------------------------- notes in the page
    def note(self, message: str, kind: str = "info") -> None:
        """Show `message` (plain text, escaped) above the dashboard; kind: info, busy or error."""
        if not message:
            self.status.object = ""
            return
        colours = {"info": "#1d5e2d;background:#e6f4ea", "busy": "#6b4e00;background:#fff4d6",
                   "error": "#8a1c1c;background:#fde8e8"}
        self.status.object = (f'<div class="wb-note wb-note-{kind}" role="status" style="padding:6px 10px;'
                              f'border-radius:4px;color:{colours.get(kind, colours["info"])}">'
                              f"{text_html(message)}</div>")

    # ----------------------------------------------------------------- calls
    def refuse_if_read_only(self, what: str) -> None:
        if self.read_only:
            raise InvalidInput(f"this dashboard is read-only: {what} is not allowed here "
                               "(serve it without --read-only to edit)")

    def write(self, describe: str, fn: Callable[[], Any], then: Callable[[Any], None] | None = None,
              *, edit: bool = False) -> bool:
        """Run a change now, or queue it if the library is busy. `edit=True` marks deletes and album
        edits, refused on a read-only dashboard. Returns True when it ran now."""
        try:
            if edit:
                self.refuse_if_read_only(describe)
            result = fn()
        except LibraryBusy:
            self.pending.append((describe, fn, then))
            self.busy = True
            self.note(f"The library is busy (another program is writing); retrying: {describe}...", "busy")
            return False
        except WorkbenchError as error:
            self.note(f"Could not {describe}: {error}", "error")
            return False
        self.note("")
        if then is not None:
            then(result)
        return True

    def read(self, describe: str, fn: Callable[[], Any], default: Any = None) -> Any:
        """Run a query; when the library is busy return `default` and say it is being retried."""
        try:
            result = fn()
        except LibraryBusy:
            self.busy = True
            self.note(f"The library is busy; retrying ({describe})...", "busy")
            return default
        except WorkbenchError as error:
            self.note(f"Could not {describe}: {error}", "error")
            return default
        if self.busy and not self.pending:
            self.busy = False
            self.note("")
        return result

    def retry_pending(self) -> None:
        """Retry queued writes in order; stop at the first that still finds the library busy."""
        while self.pending:
            describe, fn, then = self.pending[0]
            try:
                result = fn()
            except LibraryBusy:
                return
            except WorkbenchError as error:
                self.pending.pop(0)
                self.note(f"Could not {describe}: {error}", "error")
                continue
            self.pending.pop(0)
            if then is not None:
                then(result)
            if not self.pending:
                self.busy = False
                self.note(f"Done: {describe}.")
