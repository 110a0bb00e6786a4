"""Panel dashboards served with `panel serve` (or `workbench dashboard`): review a library in a browser.

`review_dashboard()` is the review page (library browser, player with comment markers, hearts, albums,
sweep results); `notebooks/review.ipynb` serves it. See serving.py for how it is served safely.
Names are imported on first use, so `workbench dashboard` checks its settings without loading Panel.
"""

from importlib import import_module

__all__ = [
    "ReviewDashboard", "review_dashboard", "WaveformPlayer", "track_payload", "LibraryAccess",
    "ServeSettings", "panel_serve_command", "review_app_path", "check_exposure", "is_loopback",
    "safe_audio_path", "text_html", "REFRESH_MS",
]

_WHERE = {
    "ReviewDashboard": "review", "review_dashboard": "review", "REFRESH_MS": "review",
    "WaveformPlayer": "player", "track_payload": "player", "LibraryAccess": "session",
    "ServeSettings": "serving", "panel_serve_command": "serving", "review_app_path": "serving",
    "check_exposure": "safety", "is_loopback": "safety", "safe_audio_path": "safety", "text_html": "safety",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
