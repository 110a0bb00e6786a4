"""Registering user callbacks on widgets (one rule for every widget)."""

from __future__ import annotations

from ..errors import InvalidInput

__all__ = ["register_callback"]


def register_callback(callbacks: list, callback, remove: bool = False):
    """Add `callback` to `callbacks` once (or take it out with remove=True); returns it for decorator use."""
    if not callable(callback):
        raise InvalidInput(f"callback must be callable, got {type(callback).__name__}")
    if remove:
        if callback in callbacks:
            callbacks.remove(callback)
    elif callback not in callbacks:
        callbacks.append(callback)
    return callback
