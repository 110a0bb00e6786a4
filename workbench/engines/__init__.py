"""Engines behind small protocols (see base.py)."""

from .base import Generator, Inpainter, Progress, Upscaler, raise_if_cancelled, report

__all__ = ["Generator", "Inpainter", "Upscaler", "Progress", "raise_if_cancelled", "report"]
