"""Panel dashboards served with `panel serve` (or `workbench dashboard`): review a library in a browser.

`review_dashboard()` is the review page (library browser, player with comment markers, hearts, albums,
sweep results); `notebooks/review.ipynb` serves it. See serving.py for how it is served safely.
"""

from .player import WaveformPlayer, track_payload
from .review import REFRESH_MS, ReviewDashboard, review_dashboard
from .safety import check_exposure, is_loopback, safe_audio_path, text_html
from .serving import ServeSettings, panel_serve_command, review_app_path
from .session import LibraryAccess

__all__ = [
    "ReviewDashboard", "review_dashboard", "WaveformPlayer", "track_payload", "LibraryAccess",
    "ServeSettings", "panel_serve_command", "review_app_path", "check_exposure", "is_loopback",
    "safe_audio_path", "text_html", "REFRESH_MS",
]
