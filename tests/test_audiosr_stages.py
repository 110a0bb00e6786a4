"""AudioSR network stages (VAEs, vocoder, UNet, DDIM, guidance, post-processing) against the original."""

import numpy as np
import pytest
import torch
from audiosr_fixtures import load, require_fixtures

from workbench.engines.audiosr import postprocess as PP
from workbench.engines.audiosr.config import tiny_config
from workbench.engines.audiosr.loading import read_state_dict
from workbench.engines.audiosr.model import AudioSRModel, cosine_alphas_cumprod
from workbench.engines.audiosr.schedule import ddim_step, make_scheduler

NET = 1e-4  # single network stages (MANIFEST: thread-count jitter is ~1e-5)


@pytest.fixture(scope="module")
def model():
    m = AudioSRModel(tiny_config())
    m.load_original(read_state_dict(require_fixtures() / "tiny_weights.safetensors"))
    return m


def t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


@torch.no_grad()
def test_both_vaes_match(model):
    pre, ref = load("a_preprocess_e2e"), load("b_vae")
    mean, logvar = model.posterior(t(pre["log_mel_spec"][None]), condition=False)
    np.testing.assert_allclose(mean.numpy(), ref["posterior_mean"], atol=NET)
    np.testing.assert_allclose(logvar.numpy(), ref["posterior_logvar"], atol=NET)
    cond = model.condition_latent(t(pre["lowpass_mel"][None]), t(ref["cond_noise"]))
    np.testing.assert_allclose(cond.numpy(), ref["cond_latent"], atol=NET)
    assert float(model.scale_factor) == pytest.approx(float(ref["scale_factor"]))
    np.testing.assert_allclose(model.decode(t(ref["z_scaled"])).numpy(), ref["decoded_mel"], atol=NET)
    np.testing.assert_array_equal(model.unconditional_latent(cond).numpy(), ref["uncond_latent"])


@torch.no_grad()
def test_vocoder_matches(model):
    pre, ref = load("a_preprocess_e2e"), load("f_vocoder")
    wave = model.vocode(t(pre["log_mel_spec"][None, None]))
    assert wave.shape == (1, 512 * 480 + 16)
    np.testing.assert_allclose(wave.numpy(), ref["waveform"][:, 0], atol=NET)


@torch.no_grad()
def test_unet_forward_and_time_embedding_match(model):
    ref = load("c_unet")
    steps = t(ref["t"])
    np.testing.assert_allclose(model.unet.time_proj(steps).numpy(), ref["timestep_embedding"], atol=1e-6)
    np.testing.assert_allclose(model.unet.time_embed(steps).numpy(), ref["time_embed_out"], atol=NET)
    x, cond = t(ref["x_t"]), t(ref["cond_latent"])
    both = model.velocity(torch.cat([x, x]), torch.cat([steps, steps]),
                          torch.cat([cond, model.unconditional_latent(cond)])).numpy()
    np.testing.assert_allclose(both[:2], ref["model_output_v"], atol=NET)
    np.testing.assert_allclose(both[2:], ref["model_output_v_uncond"], atol=NET)


def test_schedule_matches():
    ref = load("d_schedule")
    np.testing.assert_allclose(cosine_alphas_cumprod().numpy(), ref["alphas_cumprod"], atol=1e-7)
    for steps in (200, 50, 5):
        scheduler = make_scheduler(steps, t(ref["alphas_cumprod"]))
        np.testing.assert_array_equal(scheduler.timesteps.numpy()[::-1], ref[f"s{steps}_eta0_timesteps"])
        alphas = scheduler.alphas_cumprod[scheduler.timesteps].numpy()[::-1]
        np.testing.assert_allclose(alphas, ref[f"s{steps}_eta0_ddim_alphas"], atol=1e-7)


@torch.no_grad()
def test_guidance_and_one_ddim_step_match(model):
    cfg, step, sched = load("e_cfg"), load("d_ddim_step"), load("d_schedule")
    x, cond = t(cfg["x_t"]), t(cfg["cond_latent"])
    timestep = torch.tensor([int(cfg["t"])])
    v = model.guided_velocity(x, timestep, cond, float(cfg["guidance_scale"]))  # one batched UNet call
    np.testing.assert_allclose(v.numpy(), cfg["model_output_cfg"], atol=1e-3)
    v = t(cfg["model_output_cfg"])
    for eta, key in ((0.0, "eta0"), (1.0, "eta1")):
        scheduler = make_scheduler(int(step["ddim_steps"]), t(sched["alphas_cumprod"]))
        x_prev, x0 = ddim_step(scheduler, v, int(step["t"]), t(step["x_t"]), eta, t(step["noise_eta1"]))
        np.testing.assert_allclose(x_prev.numpy(), step[f"x_prev_{key}"], atol=1e-5)
        np.testing.assert_allclose(x0.numpy(), step[f"pred_x0_{key}"], atol=1e-5)


def test_post_processing_matches():
    pre, dec, ref = load("a_preprocess_e2e"), load("b_vae"), load("g_postprocess")
    low_mel = t(pre["lowpass_mel"][None])
    assert PP.mel_cutoff_bin(low_mel[0]) == int(ref["cutoff_melbin"])
    np.testing.assert_allclose(PP.replace_low_mel(t(dec["decoded_mel"]), low_mel).numpy(),
                               ref["mel_after_replace"], atol=1e-6)
    out, info = PP.replace_low_band(ref["vocoder_waveform"][0, 0], pre["waveform_lowpass"])
    assert info["cutoff_bin"] == int(ref["cutoff_stft_bin"])
    assert info["energy_ratio"] == pytest.approx(float(ref["energy_ratio_clamped"]), rel=1e-5)
    np.testing.assert_allclose(out, ref["postprocessed"][0, 0], atol=1e-5)
    final = PP.parity_normalize(ref["postprocessed"][:, 0])
    assert np.max(np.abs(final + ref["final_mean_removed"])) == pytest.approx(0.5, abs=1e-6)
