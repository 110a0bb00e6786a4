"""`ControlPanel`: prompt, duration, seed, engine and the four creative sliders, with Generate / Remix /
Upscale buttons that run in the background (progress bar, Cancel, errors shown in the panel).

The sliders are built from `workbench.params` metadata (label, range, step, default, help), so the
panel and `GenerationParams` cannot drift apart. Work goes through `studio.submit` / `studio.upscale`:
the kernel stays free while a job runs, and `Job.on_change` drives the progress bar.
"""

from __future__ import annotations

import html
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from ..engines.registry import generator_names
from ..errors import InvalidInput
from ..jobs import Job
from ..params import SLIDERS, slider_spec
from .callbacks import register_callback

__all__ = ["ControlPanel", "MAX_PANEL_BATCH", "UPSCALE_RATE"]

log = logging.getLogger(__name__)

MAX_PANEL_BATCH = 16  # the Batch count slider's top; studio.generate itself allows more
UPSCALE_RATE = 48_000
MAX_PANEL_DURATION = 30.0  # one model window; longer pieces come from studio.extend

ResultCallback = Callable[[list, str], Any]


def _slider(name: str) -> widgets.FloatSlider:
    spec = slider_spec(name)
    return widgets.FloatSlider(value=spec["default"], min=spec["min"], max=spec["max"], step=spec["step"],
                               description=spec["label"], tooltip=spec["help"],
                               continuous_update=False, readout_format=".2f",
                               style={"description_width": "11em"}, layout=widgets.Layout(width="32em"))


class ControlPanel(widgets.VBox):
    """The generation panel for a `Studio`.

    `panel.current_params()` gives the four slider values (what the region picker's actions use);
    `panel.generate()`, `panel.remix()`, `panel.upscale()` start a background `Job` (the buttons call
    them) and return it; `panel.track` is the track Remix and Upscale work on (the last result by
    default); `panel.on_result(f)` calls `f(tracks, operation)` when a job finishes.
    """

    def __init__(self, studio, *, prompt: str = "", duration: float = 8.0, seed: int | None = None):
        self.studio = studio
        self.track = None
        self.results: list = []
        self.job: Job | None = None
        self._finished: Job | None = None
        self._lock = threading.Lock()
        self._handled = threading.Event()  # set once the panel has shown a job's end (and called back)
        self.last_exception: BaseException | None = None
        self._callbacks: list[ResultCallback] = []

        self.prompt = widgets.Textarea(value=prompt, placeholder="lofi piano with warm vinyl crackle",
                                       description="Prompt", layout=widgets.Layout(width="40em", height="4em"))
        spec = slider_spec("duration")
        self.duration = widgets.BoundedFloatText(value=duration, min=spec["min"], max=MAX_PANEL_DURATION,
                                                 step=spec["step"], description=spec["label"],
                                                 tooltip=spec["help"])
        self.seed = widgets.IntText(value=0 if seed is None else seed, description="Seed",
                                    tooltip="Same seed + same settings = same take")
        self.random_seed = widgets.Checkbox(value=seed is None, description="random seed", indent=False)
        self.engine = widgets.Dropdown(options=generator_names(), value=_engine_value(studio.engine),
                                       description="Engine")
        self.sliders = {name: _slider(name) for name in SLIDERS}
        self.batch = widgets.ToggleButton(value=False, description="Batch", icon="clone",
                                          tooltip="Make several variations in one call (seed, seed+1, ...)")
        self.batch_count = widgets.IntSlider(value=4, min=2, max=MAX_PANEL_BATCH, description="count",
                                             disabled=True, layout=widgets.Layout(width="20em"))
        self.generate_button = widgets.Button(description="Generate", button_style="primary", icon="music")
        self.remix_button = widgets.Button(description="Remix", icon="random", disabled=True,
                                           tooltip="Variations of the current track that follow its melody")
        self.upscale_button = widgets.Button(description="Upscale", icon="arrow-up", disabled=True,
                                             tooltip=f"Upscale the current track to {UPSCALE_RATE} Hz")
        self.cancel_button = widgets.Button(description="Cancel", button_style="warning", icon="stop",
                                            disabled=True)
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="",
                                              layout=widgets.Layout(width="24em"))
        self.status = widgets.HTML("")
        self.engine_info = widgets.HTML("")
        self.error = widgets.HTML("")
        for widget, css in ((self.generate_button, "wb-generate"), (self.remix_button, "wb-remix"),
                            (self.upscale_button, "wb-upscale"), (self.cancel_button, "wb-cancel"),
                            (self.error, "wb-panel-error"), (self.status, "wb-panel-status")):
            widget.add_class(css)

        self.random_seed.observe(lambda change: setattr(self.seed, "disabled", change["new"]), "value")
        self.seed.disabled = self.random_seed.value
        self.batch.observe(lambda change: setattr(self.batch_count, "disabled", not change["new"]), "value")
        self.engine.observe(lambda _change: self._show_engine(), "value")
        self.generate_button.on_click(lambda _b: self._from_button(self.generate))
        self.remix_button.on_click(lambda _b: self._from_button(self.remix))
        self.upscale_button.on_click(lambda _b: self._from_button(self.upscale))
        self.cancel_button.on_click(lambda _b: self.cancel())

        super().__init__([
            self.prompt,
            widgets.HBox([self.duration, self.seed, self.random_seed]),
            widgets.HBox([self.engine, self.engine_info]),
            *self.sliders.values(),
            widgets.HBox([self.batch, self.batch_count]),
            widgets.HBox([self.generate_button, self.remix_button, self.upscale_button, self.cancel_button]),
            widgets.HBox([self.progress, self.status]),
            self.error,
        ])
        self.add_class("wb-control-panel")
        self._show_engine()

    # ------------------------------------------------------------------ reading the controls
    def current_params(self) -> dict[str, float]:
        """The four slider values, e.g. {"loyalty": 1.0, "weirdness": 1.0, "genre_shift": 3.0, "structure": 0.0}."""
        return {name: float(slider.value) for name, slider in self.sliders.items()}

    def set_params(self, **values: float) -> None:
        """Move sliders from Python (`panel.set_params(weirdness=0.4)`); names and ranges are checked."""
        for name, value in values.items():
            if name not in self.sliders:
                raise InvalidInput(f"{name!r} is not a slider; sliders are {', '.join(SLIDERS)}")
            spec = slider_spec(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not spec["min"] <= value <= spec["max"]:
                raise InvalidInput(f"{name} = {value!r} is out of range: allowed {spec['min']}..{spec['max']}")
        for name, value in values.items():
            self.sliders[name].value = float(value)

    def _seed_value(self) -> int | None:
        return None if self.random_seed.value else int(self.seed.value)

    def _engine_arg(self) -> str | None:
        return None if self.engine.value == self.studio.engine else self.engine.value

    def _show_engine(self) -> None:
        """Which engine "auto" resolves to here, and why (e.g. no weights -> the offline sketch engine)."""
        try:
            choice = self.studio.choose_engine(self.engine.value)
        except Exception as error:  # an unknown engine name, a broken cache: say so in the panel
            self.engine_info.value = f"<span style='color:#b00020'>{html.escape(str(error))}</span>"
            return
        self.engine_info.value = (f"uses <b>{html.escape(choice.name)}</b>: "
                                  f"<span style='color:#666'>{html.escape(choice.reason)}</span>")

    # ------------------------------------------------------------------ actions
    def use(self, track) -> ControlPanel:
        """Make `track` (a library Track or id) the one Remix and Upscale work on."""
        self.track = self.studio.library.get(track)
        self._sync_buttons()
        return self

    def generate(self) -> Job:
        """Generate from the prompt and sliders (a batch of `batch_count` when Batch is on)."""
        n = int(self.batch_count.value) if self.batch.value else 1
        return self._start("generate", lambda: self.studio.submit(
            "generate", self.prompt.value, float(self.duration.value), self._seed_value(), n=n,
            engine=self._engine_arg(), **self.current_params()))

    def remix(self, n: int | None = None) -> Job:
        """Variations of `panel.track` that follow its melody (batch count of them when Batch is on)."""
        track = self._require_track("Remix")
        n = n if n is not None else (int(self.batch_count.value) if self.batch.value else 1)
        return self._start("remix", lambda: self.studio.submit(
            "remix", track, self.prompt.value, n, seed=self._seed_value(), engine=self._engine_arg(),
            **self.current_params()))

    def upscale(self, sample_rate: int = UPSCALE_RATE) -> Job:
        """Upscale `panel.track` to `sample_rate` in the background."""
        track = self._require_track("Upscale")
        return self._start("upscale", lambda: self.studio.upscale(track, sample_rate))

    def run(self, operation: str, *args, **kwargs) -> Job:
        """Run any `studio.submit` operation with this panel's progress bar, Cancel and error display."""
        return self._start(operation, lambda: self.studio.submit(operation, *args, **kwargs))

    def wait(self, timeout: float | None = None):
        """Wait until the panel's job ended and its result is shown (result callbacks included);
        returns the job's result or raises its error. For notebooks run top to bottom."""
        if self.job is None:
            raise InvalidInput("no job has been started from this panel")
        job = self.job
        try:
            return job.result(timeout)  # raises the job's error, or Cancelled
        finally:
            if not self._handled.wait(timeout):
                raise TimeoutError(f"the panel did not finish showing {job.name!r} within {timeout} s")

    def cancel(self) -> None:
        if self.job is not None and not self.job.done():
            self.job.cancel()
            self.status.value = "cancelling..."

    def on_result(self, callback: ResultCallback, remove: bool = False) -> ResultCallback:
        """Call `callback(tracks, operation)` (a list of Tracks) when a job of this panel succeeds."""
        return register_callback(self._callbacks, callback, remove)

    # ------------------------------------------------------------------ plumbing
    def _require_track(self, what: str):
        if self.track is None:
            raise InvalidInput(f"{what} needs a track: generate one first or call panel.use(track)")
        return self.track

    def _from_button(self, start: Callable[[], Job]) -> None:
        """A button click: errors (bad input, no track) go to the panel, never only to a log."""
        self.error.value = ""
        try:
            start()
        except Exception as error:
            self._show_error(error)

    def _show_error(self, error: BaseException) -> None:
        self.last_exception = error
        log.debug("control panel error: %s", "".join(traceback.format_exception(error)))
        self.error.value = (f"<div style='color:#b00020'><b>{html.escape(type(error).__name__)}</b>: "
                            f"{html.escape(str(error))}</div>")

    def _start(self, operation: str, submit: Callable[[], Job]) -> Job:
        if self.job is not None and not self.job.done():  # one job at a time per panel
            raise InvalidInput(f"{self.job.name!r} is still running: wait for it or press Cancel")
        job = submit()
        self.job = job
        self._finished = None
        self._handled.clear()
        self.error.value = ""
        self.progress.value = 0.0
        self.progress.bar_style = ""
        self.status.value = f"{html.escape(operation)}: queued"
        self._sync_buttons()
        job.on_change(lambda j: self._job_changed(j, operation))
        return job

    def _job_changed(self, job: Job, operation: str) -> None:
        """Called from the job's thread on progress and at the end (widget updates are thread-safe)."""
        with self._lock:  # on_change may report the end twice, from two threads
            if job is not self.job or self._finished is job:
                return
            if job.done():
                self._finished = job
        status = job.status
        self.progress.value = job.progress
        if not job.done():
            steps = f" {job.done_steps}/{job.total_steps}" if job.total_steps else ""
            self.status.value = f"{html.escape(operation)}: running{steps}"
            return
        if status == "done":
            result = job.result()
            tracks = result if isinstance(result, list) else [result]
            self.results = tracks
            self.track = tracks[0]
            self.progress.bar_style = "success"
            self.status.value = (f"{html.escape(operation)}: done, {len(tracks)} track(s): "
                                 + ", ".join(html.escape(t.id) for t in tracks))
            self._show_engine()
            for callback in list(self._callbacks):
                try:
                    callback(tracks, operation)
                except Exception as error:
                    self._show_error(error)
        elif status == "cancelled":
            self.progress.bar_style = "warning"
            self.status.value = f"{html.escape(operation)}: cancelled"
        else:
            self.progress.bar_style = "danger"
            self.status.value = f"{html.escape(operation)}: failed"
            self._show_error(job.error)
        self._sync_buttons()
        self._handled.set()

    def _sync_buttons(self) -> None:
        running = self.job is not None and not self.job.done()
        self.generate_button.disabled = running
        self.remix_button.disabled = running or self.track is None
        self.upscale_button.disabled = running or self.track is None
        self.cancel_button.disabled = not running


def _engine_value(engine: str) -> str:
    names = generator_names()
    if engine not in names:
        raise InvalidInput(f"the studio's engine {engine!r} is not one the panel knows: {', '.join(names)}")
    return engine
