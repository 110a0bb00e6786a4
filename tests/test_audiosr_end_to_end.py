"""AudioSR end to end against the original's `super_resolution` (5 DDIM steps, eta 1, guidance 3.5)."""

import numpy as np
import torch
from audiosr_fixtures import load, require_fixtures

from workbench.engines.audiosr.config import tiny_config
from workbench.engines.audiosr.loading import read_state_dict
from workbench.engines.audiosr.model import AudioSRModel
from workbench.engines.audiosr.pipeline import (
    NoiseStream,
    RecordedNoise,
    SamplerSettings,
    super_resolution_parity,
)


def test_seeded_stream_reproduces_the_originals_draws():
    ref = load("h_end_to_end")
    stream = NoiseStream(int(ref["seed"]), [0])
    for i in range(8):
        np.testing.assert_array_equal(stream.draw((1, 8, 64, 32)).numpy(), ref[f"randn_{i}"])


def test_end_to_end_matches_with_the_recorded_noise():
    pre, ref = load("a_preprocess_e2e"), load("h_end_to_end")
    model = AudioSRModel(tiny_config())
    model.load_original(read_state_dict(require_fixtures() / "tiny_weights.safetensors"))
    trace: dict = {}
    settings = SamplerSettings(steps=int(ref["ddim_steps"]), guidance_scale=float(ref["guidance_scale"]),
                               eta=float(ref["ddim_eta"]))
    out = super_resolution_parity(model, pre["input_signal"], int(pre["input_rate"]), int(ref["seed"]),
                                  settings=settings, trace=trace,
                                  noise=RecordedNoise([ref[f"randn_{i}"] for i in range(8)]))
    assert [t for t, _, _ in trace["steps"]] == ref["step_timesteps"].tolist()
    for i, (_, x_prev, x0) in enumerate(trace["steps"]):
        np.testing.assert_allclose(x_prev.numpy(), ref[f"step{i}_x_prev"], atol=1e-3)
        np.testing.assert_allclose(x0.numpy(), ref[f"step{i}_pred_x0"], atol=1e-3)
    np.testing.assert_allclose(trace["decoded"].numpy(), ref["decode_first_stage_out"], atol=1e-3)
    np.testing.assert_allclose(trace["replaced"].numpy(), ref["mel_replace_ops_out"], atol=1e-3)
    assert out.shape == ref["output_waveform"].shape == (1, 1, 245776)
    np.testing.assert_allclose(out, ref["output_waveform"], atol=1e-3)
    assert torch.is_tensor(trace["cond"])
