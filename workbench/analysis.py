"""Measures of audio: chroma, tempo and beat grid, key, and the metrics that make sweeps meaningful.

Every function takes `Audio` (any rate, any channels: it is mixed to mono and resampled to 32 kHz, the
analysis rate, first). The metrics, one line each:

- chroma_similarity: melody adherence as the MusicGen paper defines it: mean over frames of the cosine
  similarity of one-hot argmax 12-bin chroma (mono 32 kHz, n_fft 16384, hop 4096); 1 = same pitch class
  in every frame. Frames silent in both signals are skipped; NaN when both are silent throughout.
- beat_alignment: mean over detected onsets of exp(-(d / sigma)^2), d = distance to the nearest time of a
  16th-note grid (4 per beat), sigma = a quarter of that grid's spacing; 1 = every onset on the grid,
  about 0.44 = onsets at random. NaN without onsets or without a beat grid.
- tempo_bpm: librosa's beat tracker, refined by a robust (Theil-Sen) line through the beat times.
- loudness_lufs: integrated loudness, ITU-R BS.1770 (pyloudnorm); -inf for silence.
- spectral_flatness: mean over non-silent frames of the power spectrum's geometric / arithmetic mean
  (0 = pure tones, 1 = white noise).
- spectral_centroid_hz: mean over non-silent frames of the spectral centroid in Hz.
- pitch_entropy_bits: entropy of the histogram of per-frame dominant pitch classes (0 = one pitch class,
  log2(12) = 3.58 = all equally often).
- lsd: AudioSR's log-spectral distance: log10 power spectra (n_fft 2048, hop 512), square root of the mean
  over frequency of the squared difference, mean over frames; 0 = identical.
- seam_score: how badly two pieces join at a joint (see `seam_score`); 0 = seamless, lower is better.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
import scipy.stats

from .audio import Audio
from .errors import InvalidInput

__all__ = [
    "ANALYSIS_RATE", "BeatGrid", "Key", "chroma", "chroma_similarity", "beat_grid", "beat_alignment",
    "estimate_key", "onsets", "loudness_lufs", "spectral_flatness", "spectral_centroid", "pitch_entropy",
    "log_spectral_distance", "seam_score", "seam_components", "metrics",
]

ANALYSIS_RATE = 32_000
SILENCE_RMS = 1e-3  # -60 dBFS: frames quieter than this count as silence
_HOP = 512  # frame hop of onset, beat and spectral features (16 ms at 32 kHz)
PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl-Kessler key profiles, tonic first.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def _mono(audio: Audio, name: str = "audio") -> np.ndarray:
    if not isinstance(audio, Audio):
        raise InvalidInput(f"{name} must be an Audio, got {type(audio).__name__}")
    return audio.to_mono().resample(ANALYSIS_RATE).samples[0].astype(np.float64)


def _frame_rms(y: np.ndarray, frame: int, hop: int) -> np.ndarray:
    return librosa.feature.rms(y=y, frame_length=frame, hop_length=hop, center=True)[0]


# --------------------------------------------------------------------------- chroma
def chroma(audio: Audio, *, n_fft: int = 16384, hop_length: int = 4096, argmax: bool = True) -> np.ndarray:
    """12-bin chroma per frame, shaped (frames, 12), the MusicGen way (power STFT, librosa's chroma filter
    bank, each frame scaled to max 1, then one-hot at its argmax). Silent frames are all zeros."""
    if n_fft < 256 or hop_length < 1:
        raise InvalidInput(f"chroma needs n_fft >= 256 and hop_length >= 1, got {n_fft}, {hop_length}")
    y = _mono(audio)
    if y.size < n_fft:  # audiocraft pads short input to one window
        y = np.pad(y, (0, n_fft - y.size))
    power = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length, center=True)) ** 2
    bank = librosa.filters.chroma(sr=ANALYSIS_RATE, n_fft=n_fft, tuning=0.0, n_chroma=12)
    raw = (bank @ power).T
    silent = _frame_rms(y, n_fft, hop_length)[: raw.shape[0]] < SILENCE_RMS
    raw[silent] = 0.0
    peak = raw.max(axis=1, keepdims=True)
    out = np.divide(raw, peak, out=np.zeros_like(raw), where=peak > 0)
    if argmax:
        onehot = np.zeros_like(out)
        onehot[np.arange(len(out)), out.argmax(axis=1)] = 1.0
        onehot[silent] = 0.0
        out = onehot
    return out


def chroma_similarity(audio: Audio, melody: Audio) -> float:
    """MusicGen's melody metric (see the module docstring), over the overlap of the two signals."""
    a, b = chroma(audio), chroma(_check_audio(melody, "melody"))
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    keep = (na > 0) | (nb > 0)  # a frame silent in one signal only counts as a miss
    if not keep.any():
        return float("nan")
    cos = np.divide((a * b).sum(axis=1), na * nb, out=np.zeros(n), where=(na * nb) > 0)
    return float(cos[keep].mean())


def _check_audio(audio, name: str) -> Audio:
    if not isinstance(audio, Audio):
        raise InvalidInput(f"{name} must be an Audio, got {type(audio).__name__}")
    return audio


# --------------------------------------------------------------------------- tempo, beats, key
@dataclass(frozen=True)
class BeatGrid:
    """Tempo and beat/bar times in seconds. `tempo_bpm` is 0.0 and the times empty when no beat was found."""

    tempo_bpm: float
    beats: tuple[float, ...]
    downbeats: tuple[float, ...]
    meter: int = 4

    @property
    def bars(self) -> tuple[float, ...]:
        return self.downbeats

    @property
    def found(self) -> bool:
        return self.tempo_bpm > 0 and len(self.beats) > 0

    @classmethod
    def regular(cls, tempo_bpm: float, duration: float, offset: float = 0.0, meter: int = 4) -> BeatGrid:
        """A perfectly steady grid: beats every 60/tempo s from `offset` (a downbeat) up to `duration`."""
        if not (np.isfinite(tempo_bpm) and 20 <= tempo_bpm <= 400):
            raise InvalidInput(f"tempo must be 20..400 BPM, got {tempo_bpm!r}")
        if meter < 1:
            raise InvalidInput(f"meter must be at least 1 beat per bar, got {meter!r}")
        beats = np.arange(offset, duration, 60.0 / tempo_bpm)
        return cls(float(tempo_bpm), tuple(map(float, beats)), tuple(map(float, beats[::meter])), meter)

    def subdivide(self, per_beat: int = 4) -> np.ndarray:
        """Grid times `per_beat` per beat, extended by one beat before the first and after the last."""
        if per_beat < 1:
            raise InvalidInput(f"subdivision must be at least 1 per beat, got {per_beat!r}")
        if not self.found:
            return np.zeros(0)
        beats = np.asarray(self.beats)
        period = float(np.median(np.diff(beats))) if beats.size > 1 else 60.0 / self.tempo_bpm
        beats = np.concatenate([[beats[0] - period], beats, [beats[-1] + period]])
        steps = np.arange(per_beat) / per_beat
        return (beats[:-1, None] + np.diff(beats)[:, None] * steps).ravel()


def _onset_envelope(y: np.ndarray) -> np.ndarray:
    return librosa.onset.onset_strength(y=y, sr=ANALYSIS_RATE, hop_length=_HOP)


def beat_grid(audio: Audio, *, meter: int = 4, steady: bool = True) -> BeatGrid:
    """Tempo and beats with librosa's beat tracker. The tempo comes from a robust (Theil-Sen) line through
    the tracked beat times; with `steady` the beats are that line (a constant-tempo grid, right for generated
    music; steady=False keeps the tracked beats, which follow rubato but also every late or early onset).
    Downbeats are a heuristic: the beat phase (of `meter`) with the strongest onsets."""
    y = _mono(audio)
    if meter < 1:
        raise InvalidInput(f"meter must be at least 1 beat per bar, got {meter!r}")
    if y.size < ANALYSIS_RATE or np.sqrt(np.mean(y**2)) < SILENCE_RMS:  # under 1 s or silent
        return BeatGrid(0.0, (), (), meter)
    envelope = _onset_envelope(y)
    tempo, frames = librosa.beat.beat_track(onset_envelope=envelope, sr=ANALYSIS_RATE, hop_length=_HOP)
    tempo = float(np.atleast_1d(tempo)[0])
    if frames.size == 0 or tempo <= 0:
        return BeatGrid(0.0, (), (), meter)
    beats = librosa.frames_to_time(frames, sr=ANALYSIS_RATE, hop_length=_HOP)
    if beats.size >= 4:
        slope, intercept = scipy.stats.theilslopes(beats)[:2]  # robust to the tracker's odd end beats
        if slope > 0:
            tempo = 60.0 / slope
            beats = intercept + slope * np.arange(beats.size) if steady else beats
    strength = [envelope[frames[p::meter]].mean() for p in range(min(meter, frames.size))]
    downbeats = beats[int(np.argmax(strength))::meter]
    return BeatGrid(float(tempo), tuple(map(float, beats)), tuple(map(float, downbeats)), meter)


def onsets(audio: Audio) -> np.ndarray:
    """Onset times in seconds (librosa's onset detector on the analysis-rate mono mix)."""
    y = _mono(audio)
    if np.sqrt(np.mean(y**2)) < SILENCE_RMS:
        return np.zeros(0)
    peaks = _pick_peaks(_onset_envelope(y))
    return librosa.frames_to_time(peaks, sr=ANALYSIS_RATE, hop_length=_HOP)


def _pick_peaks(envelope: np.ndarray) -> np.ndarray:
    """librosa.onset.onset_detect's default peak picking in numpy (its numba kernel has crashed here when
    several processes shared one compile cache): a local maximum over the previous 30 ms, at least 0.07
    above the mean of the surrounding 100 ms, and more than 30 ms after the previous onset."""
    span = envelope.max() - envelope.min()
    if envelope.size == 0 or span <= 0:
        return np.zeros(0, dtype=int)
    x = (envelope - envelope.min()) / span
    frames = ANALYSIS_RATE // _HOP  # frames per second
    before, after, wait = int(0.03 * frames), int(0.10 * frames), int(0.03 * frames)
    idx = np.arange(x.size)
    local_max = x >= np.concatenate([np.full(before, -np.inf), x])[idx] if before else np.ones(x.size, bool)
    sums = np.concatenate([[0.0], np.cumsum(x)])
    lo, hi = np.maximum(0, idx - after), np.minimum(x.size, idx + after + 1)
    candidates = np.flatnonzero(local_max & (x >= (sums[hi] - sums[lo]) / (hi - lo) + 0.07))
    kept: list[int] = []
    for i in candidates:
        if not kept or i - kept[-1] > wait:
            kept.append(int(i))
    return np.asarray(kept, dtype=int)


def beat_alignment(audio: Audio, grid: BeatGrid | None = None, *, subdivision: int = 4) -> float:
    """Onset-to-beat alignment in 0..1 (see the module docstring); the grid is detected when not given."""
    grid = beat_grid(audio) if grid is None else grid
    if not isinstance(grid, BeatGrid):
        raise InvalidInput(f"grid must be a BeatGrid, got {type(grid).__name__}")
    times = grid.subdivide(subdivision)
    found = onsets(audio)
    if times.size < 2 or found.size == 0:
        return float("nan")
    sigma = 0.25 * float(np.median(np.diff(times)))
    idx = np.clip(np.searchsorted(times, found), 1, times.size - 1)
    distance = np.minimum(np.abs(found - times[idx - 1]), np.abs(found - times[idx]))
    return float(np.mean(np.exp(-((distance / sigma) ** 2))))


@dataclass(frozen=True)
class Key:
    """A musical key: tonic pitch class (0 = C) and mode."""

    tonic: int
    mode: str  # "major" or "minor"

    @property
    def name(self) -> str:
        return f"{PITCH_NAMES[self.tonic]} {self.mode}"


def estimate_key(audio: Audio) -> Key | None:
    """Krumhansl-Schmuckler key estimate from the mean chroma; None for silence."""
    profile = chroma(audio, n_fft=4096, hop_length=2048, argmax=False).sum(axis=0)
    if profile.sum() <= 0:
        return None
    best = max(((np.corrcoef(profile, np.roll(p, t))[0, 1], t, m)
                for m, p in (("major", _MAJOR), ("minor", _MINOR)) for t in range(12)))
    return Key(int(best[1]), best[2])


# --------------------------------------------------------------------------- timbre and loudness
def loudness_lufs(audio: Audio) -> float:
    """Integrated loudness in LUFS (-inf for silence)."""
    return _check_audio(audio, "audio").loudness()


def _spectral(audio: Audio, feature) -> float:
    y = _mono(audio)
    values = feature(y=y, n_fft=2048, hop_length=_HOP)[0]
    loud = _frame_rms(y, 2048, _HOP)[: values.size] >= SILENCE_RMS
    return float(values[loud].mean()) if loud.any() else float("nan")


def spectral_flatness(audio: Audio) -> float:
    """Mean spectral flatness (0 tonal .. 1 noise) over non-silent frames; NaN for silence."""
    return _spectral(audio, librosa.feature.spectral_flatness)


def spectral_centroid(audio: Audio) -> float:
    """Mean spectral centroid in Hz over non-silent frames; NaN for silence."""
    return _spectral(audio, lambda **kw: librosa.feature.spectral_centroid(sr=ANALYSIS_RATE, **kw))


def pitch_entropy(audio: Audio) -> float:
    """Entropy in bits of the per-frame dominant pitch class histogram; NaN for silence."""
    frames = chroma(audio, n_fft=4096, hop_length=1024)
    counts = frames.sum(axis=0)
    if counts.sum() == 0:
        return float("nan")
    p = counts[counts > 0] / counts.sum()
    return float(abs((p * np.log2(p)).sum()))


def log_spectral_distance(reference: Audio, estimate: Audio, *, n_fft: int = 2048, hop_length: int = 512,
                          eps: float = 1e-8) -> float:
    """AudioSR's LSD between two signals at the same sample rate, over their overlap (mono mix)."""
    for name, a in (("reference", reference), ("estimate", estimate)):
        _check_audio(a, name)
    if reference.sample_rate != estimate.sample_rate:
        raise InvalidInput(f"LSD compares audio at one sample rate; got {reference.sample_rate} Hz "
                           f"(reference) and {estimate.sample_rate} Hz (estimate): resample first")
    n = min(reference.num_samples, estimate.num_samples)
    ref, est = (a.to_mono().samples[0, :n].astype(np.float64) for a in (reference, estimate))
    spectra = [np.log10(np.abs(librosa.stft(x, n_fft=n_fft, hop_length=hop_length)) ** 2 + eps)
               for x in (ref, est)]
    return float(np.mean(np.sqrt(np.mean((spectra[0] - spectra[1]) ** 2, axis=0))))


# --------------------------------------------------------------------------- seams
def _split(before: Audio, after: Audio | None, at: float | None) -> tuple[np.ndarray, np.ndarray]:
    _check_audio(before, "before")
    if after is None:
        if at is None or not 0 < at < before.duration:
            raise InvalidInput(f"seam position at={at!r} must lie inside the audio (0..{before.duration:.3f} s)")
        y = _mono(before)
        cut = int(round(at * ANALYSIS_RATE))
        return y[:cut], y[cut:]
    _check_audio(after, "after")
    if at is not None:
        raise InvalidInput("give either two pieces (before, after) or one audio and at=, not both")
    return _mono(before), _mono(after)


def seam_components(before: Audio, after: Audio | None = None, *, at: float | None = None,
                    window: float = 0.25) -> dict[str, float]:
    """The parts of `seam_score`, each 0 for a seamless joint (see there for the pieces' meaning).

    level_db: loudness jump in dB; spectral_db: RMS over 40 mel bands of the dB difference of the mean
    spectra; chroma: 1 - cosine of the mean chroma (harmony change, 0..1); click: log2 of how much the
    sample-to-sample step at the joint exceeds the 99th percentile step around it (0 when it does not).
    """
    if not 0.02 <= window <= 5.0:
        raise InvalidInput(f"seam window must be 0.02..5 s, got {window!r}")
    left, right = _split(before, after, at)
    w = int(window * ANALYSIS_RATE)
    left, right = left[-w:], right[:w]
    if min(left.size, right.size) < 0.01 * ANALYSIS_RATE:
        raise InvalidInput("each side of a seam needs at least 10 ms of audio")

    def level(x):
        return 20 * np.log10(max(np.sqrt(np.mean(x**2)), 1e-4))

    def mel_db(x):
        mel = librosa.feature.melspectrogram(y=x, sr=ANALYSIS_RATE, n_fft=1024, hop_length=256, n_mels=40)
        return 10 * np.log10(mel.mean(axis=1) + 1e-8)

    def chroma_mean(x):
        return librosa.feature.chroma_stft(y=x, sr=ANALYSIS_RATE, n_fft=4096, hop_length=1024,
                                           tuning=0.0).mean(axis=1)

    ml, mr = mel_db(left), mel_db(right)
    floor = max(ml.max(), mr.max()) - 50  # ignore bands 50 dB under the loudest: only leakage lives there
    spec = np.maximum(ml, floor) - np.maximum(mr, floor)
    ca, cb = chroma_mean(left), chroma_mean(right)
    norm = np.linalg.norm(ca) * np.linalg.norm(cb)
    joined = np.concatenate([left, right])
    steps = np.abs(np.diff(joined))
    j, r = left.size - 1, int(0.001 * ANALYSIS_RATE)
    at_joint = steps[max(0, j - r): j + r + 1].max()
    typical = max(np.percentile(np.delete(steps, np.s_[max(0, j - r): j + r + 1]), 99), 1e-4)
    return {
        "level_db": float(abs(level(left) - level(right))),
        "spectral_db": float(np.sqrt(np.mean(spec**2))),
        "chroma": float(1 - (ca @ cb) / norm) if norm > 0 else 0.0,
        "click": float(np.log2(max(1.0, at_joint / typical))),
    }


def seam_score(before: Audio, after: Audio | None = None, *, at: float | None = None,
               window: float = 0.25) -> float:
    """How badly two pieces join; 0 = seamless, lower is better (the editor keeps the lowest candidate).

    Either `seam_score(before, after)` (the joint is before's end against after's start) or
    `seam_score(audio, at=t)`. Compares `window` seconds on each side: level_db / 6 + spectral_db / 6 +
    2 * chroma + click, so roughly one point per clearly audible flaw (a 6 dB jump, a 6 dB change of
    spectral balance, a full change of harmony, a step at the joint twice the largest around it).
    """
    c = seam_components(before, after, at=at, window=window)
    return c["level_db"] / 6 + c["spectral_db"] / 6 + 2 * c["chroma"] + c["click"]


# --------------------------------------------------------------------------- all together
def metrics(audio: Audio, melody: Audio | None = None, reference: Audio | None = None) -> dict[str, float]:
    """Every metric that applies: chroma_similarity with a melody, lsd with a reference at the same rate."""
    _check_audio(audio, "audio")
    grid = beat_grid(audio)
    out = {
        "duration_s": audio.duration,
        "loudness_lufs": loudness_lufs(audio),
        "spectral_flatness": spectral_flatness(audio),
        "spectral_centroid_hz": spectral_centroid(audio),
        "pitch_entropy_bits": pitch_entropy(audio),
        "tempo_bpm": grid.tempo_bpm,
        "beat_alignment": beat_alignment(audio, grid),
    }
    if melody is not None:
        out["chroma_similarity"] = chroma_similarity(audio, melody)
    if reference is not None:
        out["lsd"] = log_spectral_distance(reference, audio)
    return out
