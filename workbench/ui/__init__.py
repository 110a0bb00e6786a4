"""Notebook widgets: the waveform region picker, the melody recorder and matplotlib plots.

The widgets' browser code is prebuilt into `static/` (sources and build script in js/), so nothing
is fetched from a network when a notebook shows them.
"""

from . import plots
from .recorder import Recorder
from .region_picker import RegionPicker, browser_payload

__all__ = ["RegionPicker", "Recorder", "browser_payload", "plots"]
