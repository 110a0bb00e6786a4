"""`GenerationParams`: the frozen settings of one generation, and the four creative sliders.

The slider mapping (the one place it is defined; the slider panel is built from this metadata):

- Melody Loyalty (`loyalty`, 0..1): how strictly a given melody is followed. On MusicGen it weights a
  separate guidance term for the melody condition: 0 gives exactly the text-only guided output, 1 exactly
  MusicGen-melody's standard guided output.
- Weirdness (`weirdness`, 0.1..1.5): the sampling temperature. 0.1 is safe, 1.0 is the model's own
  distribution, 1.5 is chaos.
- Genre Shift (`genre_shift`, 0..10): the classifier-free guidance scale, i.e. how hard the text prompt
  pulls (MusicGen's default is 3). With an audio input it also sets the balance between that audio and
  the text: higher values let the text pull further away from the input.
- Structure Consistency (`structure`, 0..1): bar/beat alignment. Edit regions snap to the beat grid
  (to bars above 0.5), the tempo is stated in the conditioning, and the sketch engine quantises its
  notes to the grid.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .errors import ParameterError

__all__ = ["GenerationParams", "SLIDERS", "MAX_PROMPT_CHARS", "MAX_SEED", "slider_spec", "tempo_prompt",
           "MIN_TEMPO", "MAX_TEMPO"]

MAX_PROMPT_CHARS = 2000
MAX_SEED = 2**32 - 1
MAX_DURATION = 600.0
MIN_TEMPO, MAX_TEMPO = 20.0, 400.0

# The four creative sliders, in the order the panel shows them.
SLIDERS = ("loyalty", "weirdness", "genre_shift", "structure")


def _slider(default: float, low: float, high: float, step: float, label: str, help: str):
    return field(default=default, metadata={"label": label, "min": low, "max": high, "step": step, "help": help})


@dataclass(frozen=True)
class GenerationParams:
    """Everything that decides one generation, besides the engine and the optional melody audio."""

    prompt: str = ""
    duration: float = field(default=8.0, metadata={"label": "Duration (s)", "min": 0.5, "max": MAX_DURATION,
                                                   "step": 0.5, "help": "Length of the result in seconds"})
    seed: int | None = None
    loyalty: float = _slider(1.0, 0.0, 1.0, 0.05, "Melody Loyalty",
                             "How strictly the melody is followed (0: ignore it, 1: MusicGen-melody)")
    weirdness: float = _slider(1.0, 0.1, 1.5, 0.05, "Weirdness",
                               "Sampling temperature: 0.1 safe, 1.0 natural, 1.5 chaos")
    genre_shift: float = _slider(3.0, 0.0, 10.0, 0.25, "Genre Shift",
                                 "Guidance scale: how hard the text prompt pulls (vs the audio input)")
    structure: float = _slider(0.0, 0.0, 1.0, 0.05, "Structure Consistency",
                               "Bar/beat alignment: snap edits and notes to the tempo grid")
    top_k: int = field(default=250, metadata={"label": "Top-k", "min": 0, "max": 2048, "step": 1,
                                              "help": "Sample among the k most likely tokens (0: all)"})
    top_p: float = field(default=0.0, metadata={"label": "Top-p", "min": 0.0, "max": 1.0, "step": 0.05,
                                                "help": "Nucleus sampling threshold (0: off)"})

    def __post_init__(self):
        _check_prompt(self.prompt)
        if self.seed is not None:
            if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
                raise ParameterError(f"seed must be an integer in 0..{MAX_SEED} or None, got {self.seed!r}")
        for f in dataclasses.fields(self):
            if "min" not in f.metadata:
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ParameterError(f"{f.name} must be a finite number, got {value!r}")
            low, high = f.metadata["min"], f.metadata["max"]
            if not low <= value <= high:
                raise ParameterError(f"{f.name} = {value!r} is out of range: allowed {low}..{high}")
            if f.type == "int" and value != int(value):
                raise ParameterError(f"{f.name} must be a whole number, got {value!r}")
            object.__setattr__(self, f.name, int(value) if f.type == "int" else float(value))

    @property
    def temperature(self) -> float:
        return self.weirdness

    @property
    def guidance_scale(self) -> float:
        return self.genre_shift

    def replace(self, **changes: Any) -> GenerationParams:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationParams:
        """Build from a dict, ignoring keys that are not parameters (e.g. a whole config snapshot)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def slider_spec(name: str) -> dict[str, Any]:
    """The label, range, step, default and help text of a parameter, for building widgets."""
    for f in dataclasses.fields(GenerationParams):
        if f.name == name and "min" in f.metadata:
            return {**f.metadata, "name": name, "default": f.default}
    raise ParameterError(f"{name!r} is not a slider; sliders are {', '.join(SLIDERS)}")


def _check_prompt(prompt: Any) -> None:
    if not isinstance(prompt, str):
        raise ParameterError(f"prompt must be text, got {type(prompt).__name__}")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ParameterError(f"prompt is {len(prompt)} characters long; the limit is {MAX_PROMPT_CHARS}")
    for ch in prompt:
        if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\n\r":
            raise ParameterError(f"prompt holds a control character {ch!r}")


def tempo_prompt(prompt: str, tempo_bpm: float | None, structure: float) -> str:
    """The text an engine sees: the prompt, plus ", at N bpm" when a tempo is given and structure > 0."""
    if tempo_bpm is None or structure <= 0 or "bpm" in prompt.lower():  # a tempo the user named wins
        return prompt
    if not (isinstance(tempo_bpm, int | float) and math.isfinite(tempo_bpm) and MIN_TEMPO <= tempo_bpm <= MAX_TEMPO):
        raise ParameterError(f"tempo_bpm = {tempo_bpm!r} is out of range: allowed {MIN_TEMPO:g}..{MAX_TEMPO:g}")
    suffix = f"at {round(tempo_bpm)} bpm"
    return f"{prompt.rstrip()}, {suffix}" if prompt.strip() else suffix
