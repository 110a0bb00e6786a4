"""`Recorder`: record a hummed melody from the microphone into an `Audio`.

The browser records with MediaRecorder (Chromium: webm/opus, which libsndfile cannot read) and
decodes its own recording with the Web Audio API, then sends 16-bit PCM and its sample rate. So
Python needs no webm decoder. The compressed recording travels too (`recorded`, `recorded_mime`);
it is used only if the browser could not decode (an Ogg recording is read with libsndfile then).
"""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import soundfile as sf
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization

from ..audio import Audio
from ..errors import AudioFileError, InvalidInput
from .callbacks import register_callback

__all__ = ["Recorder", "RECORDER_ESM", "pcm_to_audio"]

log = logging.getLogger(__name__)

RECORDER_ESM = Path(__file__).parent / "static" / "recorder.js"


def pcm_to_audio(pcm: bytes, sample_rate: int, channels: int) -> Audio:
    """Little-endian int16 PCM, channel after channel (as the recorder JS sends it), as an `Audio`."""
    if channels not in (1, 2):
        raise AudioFileError(f"the browser sent {channels} channels; expected 1 or 2")
    if len(pcm) == 0 or len(pcm) % (2 * channels):
        raise AudioFileError(f"{len(pcm)} bytes of PCM cannot hold whole 16-bit frames of {channels} channel(s)")
    samples = np.frombuffer(pcm, dtype="<i2").reshape(channels, -1).astype(np.float32) / 32768.0
    try:
        return Audio(samples, sample_rate)
    except InvalidInput as error:
        raise AudioFileError(f"recording: {error}") from None


class Recorder(anywidget.AnyWidget):
    """A Record/Stop button; after Stop, `recorder.audio` is the recording as an `Audio`.

    `max_seconds` stops long recordings; `sample_rate` is the rate the browser decodes to (32 kHz,
    MusicGen's rate, by default). `on_recorded(f)` calls `f(audio)` after each recording.
    """

    _esm = RECORDER_ESM

    # Bytes sent from the browser need ipywidgets' bytes serializers, or they silently stay empty.
    pcm = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    pcm_rate = traitlets.Int(0).tag(sync=True)
    pcm_channels = traitlets.Int(0).tag(sync=True)
    recorded = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    recorded_mime = traitlets.Unicode("").tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)
    max_seconds = traitlets.Float(60.0).tag(sync=True)
    sample_rate = traitlets.Int(32_000).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._callbacks: list[Callable[[Audio], Any]] = []
        self.last_traceback = ""

    @property
    def audio(self) -> Audio | None:
        """The last recording, or None before anything was recorded."""
        if self.pcm:
            return pcm_to_audio(self.pcm, self.pcm_rate, self.pcm_channels)
        if not self.recorded:
            return None
        try:
            data, rate = sf.read(io.BytesIO(self.recorded), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
            raise AudioFileError(
                f"the browser could not decode its {self.recorded_mime or 'unknown'} recording and "
                f"libsndfile cannot either ({error}); record in Chromium or Firefox"
            ) from None
        return Audio(data.T, rate)

    def on_recorded(self, callback: Callable[[Audio], Any], remove: bool = False):
        """Call `callback(audio)` after each recording; errors it raises are shown in the widget."""
        return register_callback(self._callbacks, callback, remove)

    @traitlets.validate("max_seconds")
    def _check_max_seconds(self, proposal):
        value = float(proposal["value"])
        if not 1.0 <= value <= 600.0:
            raise InvalidInput(f"max_seconds {value} is outside 1..600 s")
        return value

    @traitlets.validate("sample_rate")
    def _check_sample_rate(self, proposal):
        value = int(proposal["value"])
        if not 8_000 <= value <= 96_000:
            raise InvalidInput(f"recording sample rate {value} Hz is outside 8000..96000 Hz")
        return value

    @traitlets.observe("revision")
    def _on_revision(self, change):
        if not self._callbacks:
            return
        self.error = ""
        try:
            audio = self.audio
            if audio is not None:
                for callback in list(self._callbacks):
                    callback(audio)
        except Exception as error:  # shown in the widget, not only in the log
            self.last_traceback = traceback.format_exc()
            log.exception("recorder callback failed")
            self.error = f"{type(error).__name__}: {error}"
