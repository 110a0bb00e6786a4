"""AudioSR's sampler: DDIM with v-prediction, as diffusers' DDIMScheduler.

The original's DDIM uses uniform 1-based timesteps (`range(0, 1000, 1000 // S) + 1`), takes the final
step's "previous alpha" from alphas_cumprod[0] instead of 1, predicts v, and never clips x0. Those are
DDIMScheduler's `timestep_spacing="leading"`, `steps_offset=1`, `set_alpha_to_one=False`,
`prediction_type="v_prediction"`, `clip_sample=False`; the cosine betas are its "squaredcos_cap_v2".
We hand it the model's own alphas_cumprod buffer so the numbers are the checkpoint's. eta = 1 is what
the original always runs (fresh noise every step); eta = 0 is deterministic given the start noise.
"""

from __future__ import annotations

import torch
from diffusers import DDIMScheduler

from ...errors import ParameterError

__all__ = ["make_scheduler", "ddim_step", "MAX_STEPS"]

MAX_STEPS = 1000


def make_scheduler(steps: int, alphas_cumprod: torch.Tensor | None = None) -> DDIMScheduler:
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= MAX_STEPS:
        raise ParameterError(f"steps must be an integer from 1 to {MAX_STEPS}, got {steps!r}")
    scheduler = DDIMScheduler(
        num_train_timesteps=1000,
        beta_schedule="squaredcos_cap_v2",
        prediction_type="v_prediction",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
        timestep_spacing="leading",
    )
    if alphas_cumprod is not None:
        scheduler.alphas_cumprod = alphas_cumprod.detach().float().cpu().clone()
        scheduler.final_alpha_cumprod = scheduler.alphas_cumprod[0]
    scheduler.set_timesteps(steps)
    return scheduler


def ddim_step(scheduler: DDIMScheduler, v: torch.Tensor, t: int, x_t: torch.Tensor, eta: float,
              noise: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """One DDIM update -> (x_prev, predicted x0). `noise` is used only when eta > 0."""
    out = scheduler.step(v.float(), int(t), x_t.float(), eta=float(eta),
                         variance_noise=noise.float() if eta > 0 else None, return_dict=True)
    return out.prev_sample, out.pred_original_sample
