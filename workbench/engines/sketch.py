"""The offline sketch engine: a small seeded procedural stand-in for MusicGen, so that the workbench, its
notebooks and dashboards do real work on a machine without model weights. It is not a neural model.

It reads tempo, key, mood and instruments from the prompt's words ("120 bpm" and "in D minor" win over
words like "lofi" or "sad"), writes drums, a bass line, a chord pad and a lead melody on a beat grid, and
renders them with simple additive/FM synthesis. The sliders:
- loyalty (0..1): each lead note (and each bar's chord) takes the given melody's pitch class with this
  probability; 0 ignores the melody entirely (text only), 1 follows its pitch classes throughout.
- weirdness (0.1..1.5): wider melodic leaps, out-of-scale notes, detuning, brighter FM, extra and
  off-grid hits.
- structure (0..1): onset timing = grid time + (1 - structure) x (humanising jitter + odd-rhythm offsets),
  so 1 puts every note exactly on the 16th-note grid.
- genre_shift (0..10): without audio input, how loudly the instruments the prompt names stand out
  (0: a neutral mix, 3: +4 dB, 10: +13 dB). With a melody (loyalty > 0) or an audio prompt, tempo and key
  follow the audio up to the default 3; above it the prompt's tempo pulls linearly (fully at 10) and its
  named key or mood takes over from 6.5.
A row's seed decides everything random (each part draws from its own stream, so moving one slider does
not reshuffle the other parts); the same row gives the same samples, alone or in a batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import analysis
from ..audio import Audio
from ..errors import InvalidInput, ParameterError
from ..params import GenerationParams
from ..regions import Region
from .base import Progress, raise_if_cancelled, report

__all__ = ["SketchEngine", "SketchPlan", "read_prompt"]

SR = 32_000
LABEL = "the offline sketch engine"
_TEMPO_WORDS = {"ambient": 70, "ballad": 72, "lofi": 78, "lo-fi": 78, "chill": 84, "hip hop": 90, "hiphop": 90,
                "reggae": 76, "funk": 106, "jazz": 112, "pop": 116, "disco": 118, "rock": 124, "house": 124,
                "techno": 132, "trance": 138, "dubstep": 140, "drum and bass": 172, "dnb": 172, "jungle": 168}
_STYLE_WORDS = {"four": ("house", "techno", "trance", "disco", "edm", "dance"),
                "boom": ("lofi", "lo-fi", "hip hop", "hiphop", "boom bap", "jazz", "reggae", "funk"),
                "break": ("drum and bass", "dnb", "jungle", "breakbeat"), "none": ("ambient", "no drums")}
_MINOR, _MAJOR = ("minor", "sad", "dark", "melancholic", "moody", "gloomy", "haunting"), \
    ("major", "happy", "bright", "uplifting", "cheerful", "sunny")
_CALM, _ENERGETIC = ("chill", "calm", "mellow", "soft", "ambient", "relaxing", "gentle", "lofi", "quiet"), \
    ("energetic", "aggressive", "hard", "epic", "intense", "driving", "fast", "loud", "techno")
_INSTRUMENTS = {"piano": ("lead", "piano"), "keys": ("lead", "piano"), "rhodes": ("lead", "piano"),
                "pluck": ("lead", "pluck"), "guitar": ("lead", "pluck"), "harp": ("lead", "pluck"),
                "synth": ("lead", "fm"), "lead": ("lead", "fm"), "bell": ("lead", "bell"), "bass": ("bass", ""),
                "drums": ("drums", ""), "drum": ("drums", ""), "beat": ("drums", ""), "pad": ("pad", ""),
                "strings": ("pad", "")}
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
_PROGRESSIONS = {"major": ((0, 4, 5, 3), (0, 3, 4, 3), (5, 3, 0, 4)), "minor": ((0, 5, 2, 6), (0, 3, 4, 0),
                                                                             (0, 6, 5, 6))}
_PATTERNS = {"four": ((0, 4, 8, 12), (4, 12)), "boom": ((0, 7, 10), (4, 12)), "rock": ((0, 8, 10), (4, 12)),
             "break": ((0, 10), (4, 12))}
_LEAD_RHYTHMS = ((0,), (0, 2), (0, 2), (0, 1, 2, 3), (0, 2, 3), (0, 3), (1, 3))  # 16ths within a beat


@dataclass(frozen=True)
class SketchPlan:
    """What the engine decided for one row, and why (`reasons`)."""

    tempo_bpm: float
    tonic: int  # pitch class, 0 = C
    mode: str
    energy: float  # 0 calm .. 1 energetic
    style: str  # drum pattern: four, boom, rock, break or none
    lead_timbre: str
    emphasis: tuple[str, ...]  # parts the prompt names
    offset: float = 0.0  # seconds from the start to the first downbeat (continuations keep the bar phase)
    reasons: tuple[str, ...] = ()


def read_prompt(prompt: str) -> dict[str, Any]:
    """The musical words of a prompt: tempo (None if unnamed), key, mode, energy, style, instruments."""
    text = " " + " ".join(re.findall(r"[a-z0-9#\-.]+", prompt.lower())) + " "

    def has(words):  # a word or its plural
        return any(f" {w} " in text or f" {w}s " in text for w in words)
    out: dict[str, Any] = {"tempo": None, "tonic": None, "mode": None, "instruments": {}}
    if m := re.search(r"(\d+(?:\.\d+)?)\s*bpm", text):
        bpm = float(m.group(1))
        if not 40 <= bpm <= 240:
            raise ParameterError(f"the prompt asks for {bpm:g} BPM; the sketch engine plays 40..240 BPM")
        out["tempo"] = bpm
    else:
        out["tempo"] = next((t for w, t in _TEMPO_WORDS.items() if has([w])), None)
    if m := re.search(r" ([a-g])(#|b)? (major|minor)\b", text):
        out["tonic"] = ("c d ef g a b".index(m.group(1)) + {"#": 1, "b": -1}.get(m.group(2), 0)) % 12
    out["mode"] = "minor" if has(_MINOR) else "major" if has(_MAJOR) else None
    out["energy"] = 0.25 if has(_CALM) else 0.9 if has(_ENERGETIC) else 0.6
    out["style"] = next((s for s, words in _STYLE_WORDS.items() if has(words)), "rock")
    for word, (part, timbre) in _INSTRUMENTS.items():
        if has([word]):
            out["instruments"].setdefault(part, timbre)
    return out


class SketchEngine:
    """The offline sketch engine (Generator and Inpainter protocols); 32 kHz mono, up to 30 s per call."""

    name = "sketch"
    model_id = "workbench/sketch-v1"
    sample_rate = SR
    channels = 1
    max_duration = 30.0
    sees_both_sides = False  # it reads tempo and key from the whole track, not the material after a region

    def describe(self) -> dict[str, Any]:
        return {"engine": self.name, "model_id": self.model_id, "label": LABEL, "sample_rate": SR,
                "channels": 1, "max_duration": self.max_duration,
                "note": "procedural stand-in for MusicGen: seeded synthesis from the prompt's words"}

    # ------------------------------------------------------------------ public calls
    def generate(self, params: Sequence[GenerationParams], *, melody: Audio | None = None,
                 prompt_audio: Audio | None = None, progress: Progress | None = None,
                 cancel: Any = None) -> list[Audio]:
        rows = _check_rows(params, self.max_duration)
        for name, value in (("melody", melody), ("prompt_audio", prompt_audio)):
            if value is not None and not isinstance(value, Audio):
                raise InvalidInput(f"{name} must be an Audio or None, got {type(value).__name__}")
        melody_pcs = _pitch_classes(melody) if melody is not None else None
        ref = _Reference.of(prompt_audio, prompt_audio.duration) if prompt_audio is not None else None
        if ref is None and melody is not None and any(row.loyalty > 0 for row in rows):
            melody_ref = _Reference.of(melody, 0.0)  # tempo and key of the melody, for rows that follow it
        out = []
        for i, row in enumerate(rows):
            raise_if_cancelled(cancel)
            audio_ref = ref or (melody_ref if melody is not None and row.loyalty > 0 else None)
            audio = _render(row, _plan(row, audio_ref), melody_pcs)
            if prompt_audio is not None:
                audio = audio.match_loudness(prompt_audio)
            out.append(_limit(audio))
            report(progress, i + 1, len(rows))
        return out

    def inpaint(self, audio: Audio, region: Region, params: GenerationParams, *, candidates: int = 1,
                handle: float = 0.1, progress: Progress | None = None, cancel: Any = None) -> list[Audio]:
        """Full-length copies of `audio` whose region plus `handle` s each side holds new sketch material in
        the track's tempo, key and bar phase (candidate i uses seed + i), level-matched to its surroundings."""
        if not isinstance(audio, Audio) or not isinstance(region, Region):
            raise InvalidInput("inpaint needs an Audio and a Region")
        if not isinstance(candidates, int) or not 1 <= candidates <= 16:
            raise ParameterError(f"candidates must be a whole number in 1..16, got {candidates!r}")
        if not 0 <= handle <= 2:
            raise ParameterError(f"handle must be 0..2 s, got {handle!r}")
        region.check_within(audio.duration)
        start, end = max(0.0, region.start - handle), min(audio.duration, region.end + handle)
        if end - start > self.max_duration:
            raise ParameterError(f"region plus handles is {end - start:.2f} s; the sketch engine renders at "
                                 f"most {self.max_duration:.0f} s per call")
        ref = _Reference.of(audio, start)
        context = audio.slice(max(0.0, start - 3), min(audio.duration, end + 3))
        seed = _seed(params)
        i0, i1 = audio.seconds_to_samples(start), audio.seconds_to_samples(end)
        out = []
        for i in range(candidates):
            raise_if_cancelled(cancel)
            row = params.replace(duration=max(0.5, end - start), seed=(seed + i) % 2**32)
            new = _limit(_render(row, _plan(row, ref), None).match_loudness(context))
            new = new.resample(audio.sample_rate).with_channels(audio.channels).pad_to(i1 - i0)
            samples = audio.samples.copy()
            samples[:, i0:i1] = new.samples  # the rest stays bit-identical
            out.append(Audio(samples, audio.sample_rate))
            report(progress, i + 1, candidates)
        return out

    def plan(self, params: GenerationParams, *, melody: Audio | None = None,
             prompt_audio: Audio | None = None) -> SketchPlan:
        """What `generate` decides for this row (tempo, key, style, instruments) and why."""
        ref = _Reference.of(prompt_audio, prompt_audio.duration) if prompt_audio is not None else \
            _Reference.of(melody, 0.0) if melody is not None and params.loyalty > 0 else None
        return _plan(params, ref)


def _plan(params: GenerationParams, ref: _Reference | None) -> SketchPlan:
    words = read_prompt(params.prompt)
    rng = np.random.default_rng([_seed(params), 0])
    tempo, tonic, mode = words["tempo"], words["tonic"], words["mode"]
    reasons = [f"tempo from the prompt ({tempo:g} BPM)" if tempo else "tempo: default 110 BPM"]
    tonic = int(rng.integers(12)) if tonic is None else tonic
    mode = mode or "major"
    offset = 0.0
    if ref is not None:
        pull = float(np.clip((params.genre_shift - 3) / 7, 0, 1))
        if ref.grid.found:
            heard = ref.grid.tempo_bpm
            if tempo:  # beat trackers often hear half or double time: fix that when the prompt says so
                heard = next((bpm for bpm in (heard / 2, heard * 2) if abs(np.log(bpm / tempo)) < 0.1), heard)
            tempo = heard + pull * ((tempo or heard) - heard)
            offset = ref.offset if pull == 0 else 0.0
            reasons[0] = f"tempo {tempo:.1f} BPM: audio input {heard:.1f}, prompt pull {pull:.2f}"
        if ref.key is not None and (pull < 0.5 or (words["tonic"] is None and words["mode"] is None)):
            tonic, mode = ref.key.tonic, ref.key.mode
            reasons.append(f"key {ref.key.name} from the audio input")
    return SketchPlan(float(tempo or 110.0), tonic, mode, words["energy"], words["style"],
                      words["instruments"].get("lead") or "fm", tuple(words["instruments"]), offset,
                      tuple(reasons))


# ---------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class _Reference:
    grid: analysis.BeatGrid
    key: analysis.Key | None
    offset: float  # from `position` to the reference's next downbeat

    @classmethod
    def of(cls, audio: Audio, position: float) -> _Reference:
        grid = analysis.beat_grid(audio)
        offset = 0.0
        if grid.found and grid.downbeats:
            bar = 60.0 * grid.meter / grid.tempo_bpm
            offset = (grid.downbeats[-1] - position) % bar if position > grid.downbeats[0] else \
                (grid.downbeats[0] - position) % bar
        return cls(grid, analysis.estimate_key(audio), offset)


def _pitch_classes(melody: Audio) -> np.ndarray:
    """The melody's chroma per 32 ms frame (frames, 12); all zeros where it is silent."""
    return analysis.chroma(melody, n_fft=4096, hop_length=1024, argmax=False)


def _melody_runs(pcs: np.ndarray | None, t0: float, t1: float) -> list[tuple[float, float, int | None]]:
    """The melody's pitch class over [t0, t1) as runs (start, end, pitch class or None where silent), each
    at least 60 ms long; a melody shorter than the output repeats."""
    if pcs is None:
        return [(t0, t1, None)]
    hop = 1024 / SR
    first = int(max(0.0, t0) / hop)
    frames = pcs[np.arange(first, max(first + 1, int(np.ceil(t1 / hop)))) % len(pcs)]
    labels = np.where(frames.max(axis=1) > 0, frames.argmax(axis=1), -1)
    runs, start, begin = [], t0, 0
    for i in range(1, labels.size + 1):
        if i == labels.size or (labels[i] != labels[i - 1] and (first + i) * hop - start >= 0.06):
            end = t1 if i == labels.size else (first + i) * hop
            energy = frames[begin:i].sum(axis=0)
            runs.append((start, end, int(energy.argmax()) if energy.max() > 0 else None))
            start, begin = end, i
    return runs


def _check_rows(params, max_duration: float) -> list[GenerationParams]:
    rows = [params] if isinstance(params, GenerationParams) else list(params)
    if not rows or not all(isinstance(p, GenerationParams) for p in rows):
        raise InvalidInput("generate needs a non-empty sequence of GenerationParams")
    for p in rows:
        if p.duration > max_duration:
            raise ParameterError(f"duration {p.duration:g} s is over the sketch engine's {max_duration:g} s "
                                 "per call; use Studio.extend for longer tracks")
    return rows


def _seed(params: GenerationParams) -> int:
    if params.seed is None:
        raise ParameterError("the sketch engine needs a seed per row (the Studio draws one when none is given)")
    return params.seed


# ---------------------------------------------------------------------- composition
def _render(p: GenerationParams, plan: SketchPlan, pcs: np.ndarray | None) -> Audio:
    seed, weird, loose = _seed(p), p.weirdness, 1.0 - p.structure
    streams = [np.random.default_rng([seed, k]) for k in range(1, 6)]  # one per part
    beat, bar = 60.0 / plan.tempo_bpm, 240.0 / plan.tempo_bpm
    six = beat / 4
    n = int(round(p.duration * SR))
    out = {part: np.zeros(n + SR) for part in ("drums", "bass", "pad", "lead")}
    first_bar = plan.offset - bar if plan.offset > 0 else 0.0
    bars = np.arange(first_bar, p.duration, bar)
    loyal = p.loyalty if pcs is not None else 0.0

    def when(rng, nominal):  # structure: exact grid at 1, humanised and odd rhythms below
        jitter = np.clip(rng.normal(0, 0.22 * six), -0.5 * six, 0.5 * six)
        odd = rng.uniform(-0.5, 0.5) * six if rng.random() < 0.15 + 0.3 * max(0.0, weird - 0.5) else 0.0
        return nominal + loose * (jitter + odd)

    def detune(rng):
        return rng.normal(0, 0.3 * max(0.0, weird - 0.3))  # semitones off

    scale = np.array(_SCALES[plan.mode])
    chord_rng, drum_rng, bass_rng, lead_rng, noise_rng = streams
    progression = _PROGRESSIONS[plan.mode][chord_rng.integers(3)]
    chords = []
    for b, t0 in enumerate(bars):
        degree = progression[b % 4]
        runs = _melody_runs(pcs, t0, t0 + bar)
        target = max(runs, key=lambda r: (r[2] is not None, r[1] - r[0]))[2]
        if chord_rng.random() < loyal and target is not None:  # a chord that holds the melody's main note
            holds = [d for d in range(7) if (target - plan.tonic) % 12 in {scale[(d + k) % 7] for k in (0, 2, 4)}]
            degree = min(holds, key=lambda d: (scale[d] + plan.tonic - target) % 12 != 0) if holds else degree
        chords.append([plan.tonic + 60 + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)])
        for m in chords[-1]:
            _add(out["pad"], when(chord_rng, t0), _pad(m + detune(chord_rng), bar, weird), 0.18)
    if plan.style != "none":
        kicks, snares = _PATTERNS.get(plan.style, _PATTERNS["rock"])
        for t0 in bars:
            for step in range(16):
                nominal = t0 + step * six
                extra = drum_rng.random() < 0.06 * weird
                if step in kicks or (extra and step % 2):
                    _add(out["drums"], when(drum_rng, nominal), _kick(), 0.9)
                if step in snares:
                    _add(out["drums"], when(drum_rng, nominal), _snare(noise_rng), 0.5)
                if step % (1 if plan.energy > 0.8 else 2) == 0 or extra:
                    _add(out["drums"], when(drum_rng, nominal), _hat(noise_rng), 0.18)
    for b, t0 in enumerate(bars):
        root = chords[b][0] - 36
        for step in range(0, 16, 8 if plan.energy < 0.4 else 4 if plan.energy < 0.8 else 2):
            m = root + (scale[bass_rng.integers(7)] if bass_rng.random() < 0.3 * weird else 0)
            length = six * (8 if plan.energy < 0.4 else 4 if plan.energy < 0.8 else 2)
            _add(out["bass"], when(bass_rng, t0 + step * six), _bass(m + detune(bass_rng), length), 0.5)
    degree, onsets = 7, []
    for t0 in np.arange(first_bar, p.duration, beat):
        rhythm = _LEAD_RHYTHMS[lead_rng.integers(len(_LEAD_RHYTHMS) if plan.energy > 0.4 else 3)]
        onsets += [t0 + s * six for s in rhythm]
    last = 72 + plan.tonic
    for k, nominal in enumerate(onsets):
        length = (onsets[k + 1] if k + 1 < len(onsets) else nominal + beat) - nominal
        degree = int(np.clip(degree + np.round(lead_rng.normal(0, 1.0 + 1.5 * weird)), 0, 14))
        m = plan.tonic + 60 + scale[degree % 7] + 12 * (degree // 7)
        m += int(lead_rng.choice([-1, 1])) if lead_rng.random() < 0.3 * max(0.0, weird - 0.4) else 0
        follow, shift, tune = lead_rng.random() < loyal, when(lead_rng, nominal) - nominal, detune(lead_rng)
        for start, end, target in _melody_runs(pcs if follow else None, nominal, nominal + length):
            if target is not None:  # the melody's pitch class, in the octave nearest the last note
                m = last + ((target - last + 6) % 12) - 6
                m += 12 if m < 60 else -12 if m > 88 else 0
            last = m
            tone = _lead(m + tune, end - start, plan.lead_timbre, weird)
            if weird > 0.5:  # grit: breath noise under the note
                tone = tone + 0.3 * (weird - 0.5) * noise_rng.standard_normal(tone.size) * np.abs(tone).max()
            _add(out["lead"], start + shift, tone, 0.35)
    emphasis = 10 ** (4.0 * p.genre_shift / 3 / 20)
    gains = {part: (emphasis if part in plan.emphasis else 1.0) for part in out}
    gains["lead"] *= 10 ** (9 * loyal / 20)  # a followed melody sits on top of the mix
    mix = sum(gains[k] * v for k, v in out.items())[:n]
    audio = Audio(mix, SR)
    return audio.match_loudness(-16.0)  # audiocraft's demo normalises to -16 LUFS


# ---------------------------------------------------------------------- synthesis
def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _add(bus: np.ndarray, t: float, tone: np.ndarray, level: float) -> None:
    i = int(round(max(0.0, t) * SR))
    tone = tone[: max(0, bus.size - i)]
    bus[i: i + tone.size] += level * tone


def _envelope(n: int, attack: float, release: float, decay: float = 0.0) -> np.ndarray:
    t = np.arange(n) / SR
    env = np.minimum(1.0, t / attack) * np.exp(-decay * t)
    tail = int(release * SR)
    env[-tail:] *= np.linspace(1.0, 0.0, min(tail, n))
    return env


def _partials(freq: float, n: int, amps, decay_per_h: float = 0.0) -> np.ndarray:
    t = np.arange(n) / SR
    return sum(a * np.sin(2 * np.pi * h * freq * t) * np.exp(-decay_per_h * h * t)
               for h, a in enumerate(amps, 1) if h * freq < SR / 2)


def _lead(midi: float, length: float, timbre: str, weird: float) -> np.ndarray:
    n, f = int((length + 0.05) * SR), _hz(midi)
    t = np.arange(n) / SR
    if timbre == "piano":
        wave = _partials(f, n, (1, 0.5, 0.3, 0.2, 0.1, 0.05), 1.5)
        return wave * _envelope(n, 0.004, 0.05, 2.0)
    if timbre == "pluck":
        return _partials(f, n, (1, 0.6, 0.4, 0.25, 0.15), 4.0) * _envelope(n, 0.002, 0.05, 5.0)
    ratio = 3.5 if timbre == "bell" else 2.0
    index = (0.3 + 0.9 * weird) * np.exp(-4 * t)  # low: the fundamental must keep the pitch class
    return np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * ratio * f * t)) * _envelope(n, 0.01, 0.05, 1.5)


def _pad(midi: float, length: float, weird: float) -> np.ndarray:
    n, f = int((length + 0.2) * SR), _hz(midi)
    cents = 2 ** ((5 + 20 * weird) / 1200)
    wave = sum(_partials(f * c, n, (1, 0.3, 0.1)) for c in (1 / cents, 1.0, cents)) / 3
    return wave * _envelope(n, min(0.3, length / 3), 0.2)


def _bass(midi: float, length: float) -> np.ndarray:
    n = int((length + 0.03) * SR)
    return _partials(_hz(midi), n, (1, 0.5, 0.25, 0.12)) * _envelope(n, 0.005, 0.03, 2.0)


def _kick() -> np.ndarray:
    t = np.arange(int(0.35 * SR)) / SR
    phase = 2 * np.pi * np.cumsum(50 + 100 * np.exp(-30 * t)) / SR
    return np.sin(phase) * np.exp(-8 * t) * _envelope(t.size, 0.002, 0.02)


def _snare(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.2 * SR)) / SR
    noise = np.diff(rng.standard_normal(t.size + 1)) * 0.5
    return (noise * np.exp(-20 * t) + 0.5 * np.sin(2 * np.pi * 190 * t) * np.exp(-25 * t)) * _envelope(t.size, 0.001, 0.02)


def _hat(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.06 * SR)) / SR
    return np.diff(rng.standard_normal(t.size + 1)) * 0.5 * np.exp(-80 * t)


def _limit(audio: Audio) -> Audio:
    peak = audio.peak()
    return audio.gain(20 * np.log10(0.98 / peak)) if peak > 0.98 else audio
