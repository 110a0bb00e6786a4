"""Notebook widgets: the waveform region picker, the control panel, the editor view that wires them to
a Studio, the library browser, the melody recorder and matplotlib plots.

The widgets' browser code is prebuilt into `static/` (sources and build script in js/), so nothing
is fetched from a network when a notebook shows them.
"""

from . import plots
from .control_panel import ControlPanel
from .library_browser import LibraryBrowser
from .recorder import Recorder
from .region_picker import RegionPicker, browser_payload
from .workbench_view import EditorView

__all__ = ["RegionPicker", "Recorder", "ControlPanel", "LibraryBrowser", "EditorView", "browser_payload", "plots"]
