"""`Audio`: the one audio value type that crosses every boundary of the workbench.

An `Audio` is an immutable float32 array shaped (channels, samples) plus a sample rate. Every
operation returns a new `Audio`; nothing is changed in place.

Documented choices for odd input:
- NaN or infinite samples are rejected with `AudioFileError` (`Audio.load(path, repair=True)` replaces
  them with silence instead and clips infinities to +-1).
- More than two channels are downmixed to stereo: even-numbered channels (0, 2, 4...) are averaged
  into the left channel and odd-numbered ones into the right.
- Zero-length audio is rejected: no operation of the workbench means anything on it.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf
import soxr

from .errors import AudioFileError, InvalidInput

__all__ = ["Audio", "MIN_SAMPLE_RATE", "MAX_SAMPLE_RATE"]

MIN_SAMPLE_RATE = 1_000
MAX_SAMPLE_RATE = 768_000

_WRITE_CHUNK = 65536  # frames per libsndfile write

# File formats we write, by extension: (libsndfile format, default subtype).
_WRITE_FORMATS = {
    ".wav": ("WAV", "FLOAT"),  # float keeps a lossless round trip of what the engines produced
    ".flac": ("FLAC", "PCM_24"),
    ".ogg": ("OGG", "VORBIS"),
}


class Audio:
    """Float32 samples shaped (channels, samples) at `sample_rate` Hz; immutable."""

    __slots__ = ("_samples", "_sample_rate")

    def __init__(self, samples, sample_rate: int):
        rate = _check_rate(sample_rate)
        array = np.asarray(samples)
        if array.dtype.kind not in "fiu":
            raise InvalidInput(f"audio samples must be numbers, got dtype {array.dtype}")
        array = array.astype(np.float32, copy=True)
        if array.ndim == 1:
            array = array[np.newaxis, :]
        if array.ndim != 2:
            raise InvalidInput(f"audio samples must be 1-D or (channels, samples), got shape {array.shape}")
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise InvalidInput(f"zero-length audio (shape {array.shape}) cannot be used")
        if array.shape[0] > 2:
            array = _downmix_to_stereo(array)
        bad = ~np.isfinite(array)
        if bad.any():
            first = int(np.argwhere(bad)[0][1])
            raise InvalidInput(
                f"audio holds {int(bad.sum())} NaN or infinite samples (first at sample {first}); "
                "load with repair=True to replace them with silence"
            )
        array.setflags(write=False)
        self._samples = array
        self._sample_rate = rate

    # ----------------------------------------------------------------- properties
    @property
    def samples(self) -> np.ndarray:
        """Read-only float32 array shaped (channels, samples)."""
        return self._samples

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    @property
    def channels(self) -> int:
        return self._samples.shape[0]

    @property
    def num_samples(self) -> int:
        return self._samples.shape[1]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_samples / self._sample_rate

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return f"Audio({self.channels} ch, {self.duration:.3f} s @ {self.sample_rate} Hz)"

    # ----------------------------------------------------------------- files
    @classmethod
    def load(cls, path: str | os.PathLike, *, repair: bool = False) -> Audio:
        """Read WAV, FLAC, OGG (and whatever else libsndfile reads); the format comes from the file.

        Raises `AudioFileError` naming the path and the problem for anything that is not readable audio.
        """
        path = Path(path)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise AudioFileError(f"audio file not found: {path}") from None
        except OSError as error:
            raise AudioFileError(f"cannot read audio file {path}: {error.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            raise AudioFileError(f"not a regular file: {path}")
        if st.st_size == 0:
            raise AudioFileError(f"audio file is empty (0 bytes): {path}")
        _check_wav_complete(path, st.st_size)
        try:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
            raise AudioFileError(f"cannot decode audio file {path}: {error}") from None
        if data.shape[0] == 0:
            raise AudioFileError(f"audio file holds no samples: {path}")
        samples = data.T
        if repair:
            samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
        try:
            return cls(samples, rate)
        except InvalidInput as error:
            raise AudioFileError(f"{path}: {error}") from None

    def save(self, path: str | os.PathLike, *, subtype: str | None = None) -> Path:
        """Write the file atomically (temporary file + rename): a reader never sees half a file."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in _WRITE_FORMATS:
            raise InvalidInput(f"cannot write {path.name!r}: use one of {', '.join(_WRITE_FORMATS)}")
        fmt, default_subtype = _WRITE_FORMATS[suffix]
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f"{suffix}.part")
        try:
            # Encode in memory, then write plainly: soundfile hides a failed write (disk full) behind
            # a bare assertion, while a plain write raises the OSError that names the problem.
            data = self.to_bytes(fmt, subtype or default_subtype)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def to_bytes(self, format: str = "WAV", subtype: str | None = None, **options) -> bytes:
        """Encode in memory (format as libsndfile names it: WAV, FLAC, OGG)."""
        buffer = io.BytesIO()
        frames = self._samples.T
        # libsndfile 1.2.2 crashes writing ~4M+ Vorbis frames in one call: write in chunks.
        with sf.SoundFile(buffer, "w", self._sample_rate, self.channels, format=format, subtype=subtype,
                          **options) as handle:
            for start in range(0, frames.shape[0], _WRITE_CHUNK):
                handle.write(frames[start : start + _WRITE_CHUNK])
        return buffer.getvalue()

    def to_ogg_bytes(self, quality: float = 0.4) -> bytes:
        """Ogg Vorbis bytes for a browser player (`quality` 0..1, libvorbis VBR)."""
        if not 0.0 <= float(quality) <= 1.0:
            raise InvalidInput(f"Ogg quality must be within 0..1, got {quality}")
        return self.to_bytes("OGG", "VORBIS", compression_level=1.0 - float(quality))

    # ----------------------------------------------------------------- conversions
    def resample(self, sample_rate: int, quality: str = "VHQ") -> Audio:
        """Resample with soxr (band-limited; adds no new high frequencies)."""
        rate = _check_rate(sample_rate)
        if rate == self._sample_rate:
            return self
        out = soxr.resample(self._samples.T, self._sample_rate, rate, quality=quality)
        return Audio(out.T, rate)

    def to_mono(self) -> Audio:
        if self.channels == 1:
            return self
        return Audio(self._samples.mean(axis=0), self._sample_rate)

    def to_stereo(self) -> Audio:
        if self.channels == 2:
            return self
        return Audio(np.repeat(self._samples, 2, axis=0), self._sample_rate)

    def with_channels(self, channels: int) -> Audio:
        if channels == 1:
            return self.to_mono()
        if channels == 2:
            return self.to_stereo()
        raise InvalidInput(f"channels must be 1 or 2, got {channels}")

    def slice(self, start: float = 0.0, end: float | None = None) -> Audio:
        """The part between `start` and `end` seconds (end defaults to the end)."""
        end = self.duration if end is None else end
        if not (0.0 <= start < end <= self.duration + 0.5 / self._sample_rate):
            raise InvalidInput(
                f"cannot slice {start:.3f}-{end:.3f} s from {self.duration:.3f} s of audio: "
                "need 0 <= start < end <= duration"
            )
        return self.slice_samples(self.seconds_to_samples(start), self.seconds_to_samples(end))

    def slice_samples(self, start: int, end: int) -> Audio:
        start, end = max(0, int(start)), min(self.num_samples, int(end))
        if end <= start:
            raise InvalidInput(f"empty sample range {start}:{end} of {self.num_samples} samples")
        return Audio(self._samples[:, start:end], self._sample_rate)

    def seconds_to_samples(self, seconds: float) -> int:
        return int(round(seconds * self._sample_rate))

    def gain(self, db: float) -> Audio:
        if not np.isfinite(db):
            raise InvalidInput(f"gain must be a finite number of dB, got {db}")
        return Audio(self._samples * np.float32(10.0 ** (db / 20.0)), self._sample_rate)

    def pad_to(self, num_samples: int) -> Audio:
        """Zero-pad (or cut) to exactly `num_samples`."""
        if num_samples <= 0:
            raise InvalidInput(f"cannot pad to {num_samples} samples")
        out = np.zeros((self.channels, num_samples), np.float32)
        n = min(num_samples, self.num_samples)
        out[:, :n] = self._samples[:, :n]
        return Audio(out, self._sample_rate)

    @staticmethod
    def concat(parts: Sequence[Audio]) -> Audio:
        """Join end to end. All parts must share a sample rate; mono parts are upmixed if any is stereo."""
        parts = list(parts)
        if not parts:
            raise InvalidInput("concat needs at least one Audio")
        rates = {p.sample_rate for p in parts}
        if len(rates) > 1:
            raise InvalidInput(f"cannot concat audio at different sample rates {sorted(rates)}; resample first")
        channels = max(p.channels for p in parts)
        return Audio(np.concatenate([p.with_channels(channels).samples for p in parts], axis=1), parts[0].sample_rate)

    # ----------------------------------------------------------------- measures
    def peak(self) -> float:
        return float(np.abs(self._samples).max())

    def rms(self) -> float:
        return float(np.sqrt(np.mean(np.square(self._samples, dtype=np.float64))))

    def loudness(self) -> float:
        """Integrated loudness in LUFS (ITU-R BS.1770 via pyloudnorm); -inf for silence.

        Audio shorter than the standard 400 ms gating block is measured as one block.
        """
        block = min(0.4, self.duration)
        meter = pyloudnorm.Meter(self._sample_rate, block_size=block)
        return float(meter.integrated_loudness(self._samples.T.astype(np.float64)))

    def match_loudness(self, reference: Audio | float) -> Audio:
        """Gain this audio so its loudness equals `reference` (an Audio or a LUFS value).

        Silence (or a silent reference) cannot be matched and is returned unchanged.
        """
        target = reference.loudness() if isinstance(reference, Audio) else float(reference)
        current = self.loudness()
        if not (np.isfinite(target) and np.isfinite(current)):
            return self
        return self.gain(target - current)

    def peaks(self, n: int) -> np.ndarray:
        """Min/max of `n` equal buckets per channel, for drawing: float32 (channels, n, 2).

        With fewer samples than buckets, buckets repeat the nearest sample.
        """
        n = int(n)
        if n <= 0:
            raise InvalidInput(f"number of peak buckets must be positive, got {n}")
        edges = (np.arange(n, dtype=np.int64) * self.num_samples) // n
        lows = np.minimum.reduceat(self._samples, edges, axis=1)
        highs = np.maximum.reduceat(self._samples, edges, axis=1)
        return np.stack([lows, highs], axis=-1)


# --------------------------------------------------------------------- helpers
def _check_rate(sample_rate) -> int:
    try:
        rate = int(sample_rate)
    except (TypeError, ValueError):
        raise InvalidInput(f"sample rate must be an integer number of Hz, got {sample_rate!r}") from None
    if rate != sample_rate or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InvalidInput(
            f"sample rate {sample_rate!r} Hz is outside {MIN_SAMPLE_RATE}..{MAX_SAMPLE_RATE} Hz"
        )
    return rate


def _downmix_to_stereo(array: np.ndarray) -> np.ndarray:
    return np.stack([array[0::2].mean(axis=0), array[1::2].mean(axis=0)])


def _check_wav_complete(path: Path, size: int) -> None:
    """libsndfile silently reads a truncated WAV up to where it ends; we call that an error.

    Reads the RIFF chunk headers only. Streaming writers that leave the data size at 0 or 0xFFFFFFFF
    (unknown) are accepted.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                available = size - offset - 8
                if chunk_size not in (0, 0xFFFFFFFF) and chunk_size > available:
                    raise AudioFileError(
                        f"WAV file is truncated: {path} declares {chunk_size} bytes of audio "
                        f"but holds {available}"
                    )
                return
            offset += 8 + chunk_size + (chunk_size & 1)
        raise AudioFileError(f"WAV file has no audio data chunk (truncated or corrupt): {path}")
