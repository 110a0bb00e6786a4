"""The engineering layer: everything that changes an existing track (stitch, in-paint, delete, loop)."""

from .editor import InpaintResult, delete_region, inpaint, loop_region
from .stitch import crossfade_join, stitch_audio

__all__ = ["stitch_audio", "crossfade_join", "inpaint", "delete_region", "loop_region", "InpaintResult"]
