"""LAC codec parity with the original (fixtures: codec.npz), and preprocessing."""

import numpy as np
import pytest
import torch
from vampnet_fixtures import js, npz, weights

from workbench.engines.vampnet.codec import LAC, CodecConfig
from workbench.engines.vampnet.preprocess import integrated_loudness, normalize_loudness, preprocess

ATOL = 1e-5


@pytest.fixture(scope="module")
def codec():
    model = LAC(CodecConfig.from_kwargs(js("config.json")["codec"]["kwargs"])).eval()
    model.load_state_dict(weights("codec"), strict=True)
    return model


@pytest.fixture(scope="module")
def ref():
    return npz("codec.npz")


def test_preprocessing_matches_original(ref):
    x = ref["audio_in"][0, 0]
    assert integrated_loudness(x, 44100) == pytest.approx(float(ref["loudness_in_lufs"][0]), abs=1e-3)
    np.testing.assert_allclose(normalize_loudness(x, 44100), ref["audio_normalized"][0, 0], atol=ATOL)
    out = preprocess(ref["audio_in"][0], 44100, 768)
    assert out.shape == ref["audio_preprocessed"].shape[-1:]
    np.testing.assert_allclose(out, ref["audio_preprocessed"][0, 0], atol=ATOL)


def test_preprocessing_limits_peak_and_mixes_to_mono():
    loud = np.stack([np.full(1000, 0.9, np.float32), np.full(1000, 0.1, np.float32)])
    loud[:, ::7] *= -1
    out = preprocess(loud, 44100, 768)
    assert out.shape == (1536,) and np.abs(out).max() <= 1.0 + 1e-6
    assert np.all(out[1000:] == 0)


def test_encode_matches_original(codec, ref):
    with torch.no_grad():
        out = codec.encode(torch.from_numpy(ref["audio_preprocessed"]))
    np.testing.assert_allclose(out["encoder_out"].numpy(), ref["encoder_out"], atol=ATOL)
    np.testing.assert_allclose(out["latents"].numpy(), ref["vq_latents"], atol=ATOL)
    np.testing.assert_allclose(out["z_q"].numpy(), ref["vq_z_q"], atol=ATOL)
    np.testing.assert_array_equal(out["codes"].numpy(), ref["codes"])


def test_decode_matches_original(codec, ref):
    codes = torch.from_numpy(ref["codes"])
    with torch.no_grad():
        latents = codec.latents_from_codes(codes)
        z_q, requantized = codec.quantize_latents(latents)
        audio = codec.decode_codes(codes)
    np.testing.assert_allclose(latents.numpy(), ref["decode_latents_from_codes"], atol=ATOL)
    np.testing.assert_array_equal(requantized.numpy(), ref["decode_codes_requantized"])
    np.testing.assert_allclose(z_q.numpy(), ref["decode_z_q"], atol=ATOL)
    assert audio.shape == ref["audio_decoded"].shape
    np.testing.assert_allclose(audio.numpy(), ref["audio_decoded"], atol=ATOL)


def test_codec_config_keeps_unknown_kwargs_aside():
    cfg = CodecConfig.from_kwargs({"encoder_rates": [2, 4], "quantizer_dropout": True, "n_codebooks": 3})
    assert cfg.encoder_rates == (2, 4) and cfg.n_codebooks == 3
    assert cfg.extra == {"quantizer_dropout": True}
    assert CodecConfig().hop_length == 768 and CodecConfig().latent_dim == 1024
