"""Loading MusicGen models: official checkpoints through the Hugging Face cache, and tiny twins.

- `CHECKPOINTS` maps engine names ("musicgen-small", "musicgen-stereo-melody"...) to Hub ids.
- `load_checkpoint(model_id, ...)` loads a checkpoint the way transformers does, but never hangs: it first
  looks in the local cache only (`local_files_only=True`); only when that fails, HF_HUB_OFFLINE is not set and
  the Hub answers a 3-second TCP probe does it download. Otherwise it raises `WeightsNotFound` naming the
  model, the cache directory it searched and how to get the weights.
- `build_tiny(melody)` builds a random-initialised model with the same classes from a tiny config (seeded,
  so every build is identical) plus a byte-level tokenizer made without downloads. Not music: for tests and
  for trying the plumbing offline.
- `real_size_config(size)` gives the official architecture numbers (for benchmarks on random weights).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch

from ..errors import EngineError, ParameterError, WeightsNotFound

__all__ = [
    "CHECKPOINTS",
    "TINY_MODELS",
    "TINY_SEED",
    "load_checkpoint",
    "build_tiny",
    "build_tiny_tokenizer",
    "build_random",
    "tiny_config",
    "real_size_config",
    "resolve_device",
    "resolve_dtype",
    "hub_cache_dir",
    "is_offline",
    "weights_available",
]

# Engine name -> (Hub id, is a melody model). All load with transformers' MusicGen classes.
CHECKPOINTS: dict[str, tuple[str, bool]] = {
    "musicgen-small": ("facebook/musicgen-small", False),
    "musicgen-medium": ("facebook/musicgen-medium", False),
    "musicgen-large": ("facebook/musicgen-large", False),
    "musicgen-melody": ("facebook/musicgen-melody", True),
    "musicgen-melody-large": ("facebook/musicgen-melody-large", True),
    "musicgen-stereo-small": ("facebook/musicgen-stereo-small", False),
    "musicgen-stereo-medium": ("facebook/musicgen-stereo-medium", False),
    "musicgen-stereo-large": ("facebook/musicgen-stereo-large", False),
    "musicgen-stereo-melody": ("facebook/musicgen-stereo-melody", True),
    "musicgen-stereo-melody-large": ("facebook/musicgen-stereo-melody-large", True),
}
# Tiny random-initialised twins: engine name -> is a melody model.
TINY_MODELS: dict[str, bool] = {"musicgen-tiny": False, "musicgen-tiny-melody": True}
TINY_SEED = 1234
_PROBE_TIMEOUT_S = 3.0
_TRUE = {"1", "true", "yes", "on"}


def is_offline() -> bool:
    """HF_HUB_OFFLINE (or the older TRANSFORMERS_OFFLINE), read at call time."""
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """The cache directory from_pretrained searches: `cache_dir`, else HF_HUB_CACHE, else HF_HOME/hub,
    else ~/.cache/huggingface/hub (read at call time so a notebook may set HF_HOME before loading)."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "huggingface" / "hub"


def resolve_device(device: str | torch.device | None) -> torch.device:
    """None picks cuda, then mps, then cpu. A named device that is not available raises EngineError."""
    if device is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ParameterError(f"device {device!r} is not a torch device; use 'cpu', 'cuda', 'cuda:N' or 'mps'") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise EngineError(f"device {device!r} was asked for but CUDA is not available on this machine")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise EngineError(f"device {device!r} was asked for but MPS is not available on this machine")
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ParameterError(f"device {device!r} is not supported; use 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return dev


def resolve_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """None gives float16 on a GPU (cuda, mps) and float32 on the CPU."""
    if dtype is None:
        return torch.float16 if device.type in ("cuda", "mps") else torch.float32
    names = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if isinstance(dtype, str):
        if dtype not in names:
            raise ParameterError(f"dtype {dtype!r} is not supported; use one of {', '.join(names)}")
        return names[dtype]
    if dtype not in names.values():
        raise ParameterError(f"dtype {dtype!r} is not supported; use one of {', '.join(names)}")
    return dtype


def _hub_reachable() -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (443 if parsed.scheme != "http" else 80)
    try:
        with socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _weights_not_found(model_id: str, cache: Path, why: str) -> WeightsNotFound:
    return WeightsNotFound(
        f"MusicGen weights for {model_id!r} are not available: {why}. Looked in the Hugging Face cache at "
        f"{cache}. To get them, run `huggingface-cli download {model_id}` on a machine with internet and copy "
        f"its cache (~/.cache/huggingface/hub) here, or point HF_HOME / HF_HUB_CACHE at a cache that holds "
        f"them, or pass a local folder saved with save_pretrained(). Offline, the engine 'musicgen-tiny' (not "
        f"music) or 'sketch' runs without weights."
    )


def load_checkpoint(model_id: str, melody: bool, *, device: torch.device, dtype: torch.dtype,
                    cache_dir: str | os.PathLike | None = None) -> tuple[Any, Any]:
    """Load (model, tokenizer) for a Hub id or a local folder, in eval mode on `device` in `dtype`.

    Order: the local cache only; then, unless offline, the Hub after a short reachability probe. The
    tokenizer comes through AutoTokenizer (MusicgenMelodyProcessor would need torchaudio for its chroma
    feature extractor; we compute chroma ourselves).
    """
    from transformers import (
        AutoTokenizer,
        MusicgenForConditionalGeneration,
        MusicgenMelodyForConditionalGeneration,
    )

    cls = MusicgenMelodyForConditionalGeneration if melody else MusicgenForConditionalGeneration
    cache = hub_cache_dir(cache_dir)
    is_folder = Path(model_id).expanduser().is_dir()

    def load(local_only: bool):
        kw = {"cache_dir": str(cache), "local_files_only": local_only}
        model = cls.from_pretrained(model_id, dtype=dtype, **kw)
        tokenizer = AutoTokenizer.from_pretrained(model_id, **kw)
        return model, tokenizer

    try:
        model, tokenizer = load(local_only=True)
    except (OSError, ValueError) as local_error:
        if is_folder:
            raise WeightsNotFound(f"the folder {model_id} does not hold a loadable {cls.__name__} checkpoint "
                                  f"and tokenizer: {local_error}") from local_error
        if is_offline():
            raise _weights_not_found(model_id, cache, "they are not in the local cache and HF_HUB_OFFLINE is "
                                     "set") from local_error
        if not _hub_reachable():
            raise _weights_not_found(model_id, cache, "they are not in the local cache and the Hugging Face Hub "
                                     f"did not answer within {_PROBE_TIMEOUT_S:.0f} s") from local_error
        try:
            model, tokenizer = load(local_only=False)
        except (OSError, ValueError) as hub_error:
            raise _weights_not_found(model_id, cache, f"downloading failed ({hub_error})") from hub_error
    return model.to(device).eval(), tokenizer


# ----------------------------------------------------------------------------------------- tiny twins
def build_tiny_tokenizer():
    """A byte-level tokenizer (one token per UTF-8 byte, then '</s>' like T5) made without downloads.

    Token ids: 0 <pad>, 1 </s>, 2 <unk>, 3.. the 256 byte symbols. Different prompts give different ids,
    so the tiny models see the prompt; it is not T5's vocabulary (tiny models are not music anyway)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[symbol] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=512)


def _encodec_config(*, hidden: int, filters: int, codebook: int, bandwidth: float, channels: int = 1):
    from transformers import EncodecConfig

    # 32 kHz with upsampling 8*5*4*4 = 640 -> 50 frames/s; bandwidth/(50*log2(codebook)) codebooks.
    return EncodecConfig(sampling_rate=32000, audio_channels=channels, hidden_size=hidden, num_filters=filters,
                         upsampling_ratios=[8, 5, 4, 4], codebook_size=codebook, codebook_dim=hidden,
                         target_bandwidths=[bandwidth], normalize=False, chunk_length_s=None, overlap=None,
                         use_causal_conv=False, use_conv_shortcut=False, num_lstm_layers=2, compress=2,
                         num_residual_layers=1, norm_type="weight_norm", pad_mode="reflect", trim_right_ratio=1.0)


def _compose(melody: bool, t5: dict, encodec, decoder: dict):
    from transformers import (
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenMelodyConfig,
        MusicgenMelodyDecoderConfig,
        T5Config,
    )

    text = T5Config(**t5)
    if melody:
        return MusicgenMelodyConfig(text_encoder=text, audio_encoder=encodec,
                                    decoder=MusicgenMelodyDecoderConfig(**decoder), num_chroma=12, chroma_length=235)
    return MusicgenConfig(text_encoder=text, audio_encoder=encodec, decoder=MusicgenDecoderConfig(**decoder))


def tiny_config(melody: bool, stereo: bool = False):
    """DESIGN.md's tiny sizes: T5 d_model 32 / 1 layer; EnCodec hidden 16, codebook 64, 1.2 kbps -> 4
    codebooks at 50 Hz; decoder 2 layers. The decoder is 48 wide (not 32) so that the text projection
    `enc_to_dec_proj`, present in every real checkpoint, is exercised too. `stereo` doubles the codebooks
    (left/right interleaved, as in musicgen-stereo-*)."""
    t5 = {"vocab_size": 260, "d_model": 32, "d_kv": 16, "d_ff": 64, "num_layers": 1, "num_heads": 2,
          "relative_attention_num_buckets": 8, "pad_token_id": 0, "eos_token_id": 1, "decoder_start_token_id": 0}
    decoder = {"vocab_size": 64, "hidden_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4,
               "ffn_dim": 96, "num_codebooks": 8 if stereo else 4, "audio_channels": 2 if stereo else 1,
               "pad_token_id": 64, "bos_token_id": 64, "max_position_embeddings": 2048, "dropout": 0.0}
    config = _compose(melody, t5, _encodec_config(hidden=16, filters=4, codebook=64, bandwidth=1.2), decoder)
    # A larger init than 0.02, so that the random model's output depends on its text and audio inputs.
    config.initializer_factor = config.decoder.initializer_factor = 0.2
    return config


# Official architecture numbers (audiocraft / the Hub configs): width, layers, heads; T5-base text encoder.
_REAL_SIZES = {"small": (1024, 24, 16), "medium": (1536, 48, 24), "large": (2048, 48, 32)}


def real_size_config(size: str, melody: bool = False):
    """A config with the real size of musicgen-{small,medium,large} (or the melody model at medium size),
    for measuring speed with random weights; nothing is downloaded."""
    if size not in _REAL_SIZES:
        raise ParameterError(f"model size {size!r} is not one of {', '.join(_REAL_SIZES)}")
    width, layers, heads = _REAL_SIZES[size]
    t5 = {"vocab_size": 32128, "d_model": 768, "d_kv": 64, "d_ff": 3072, "num_layers": 12, "num_heads": 12}
    decoder = {"vocab_size": 2048, "hidden_size": width, "num_hidden_layers": layers, "num_attention_heads": heads,
               "ffn_dim": 4 * width, "num_codebooks": 4, "pad_token_id": 2048, "bos_token_id": 2048,
               "max_position_embeddings": 2048, "dropout": 0.0}
    return _compose(melody, t5, _encodec_config(hidden=128, filters=64, codebook=2048, bandwidth=2.2), decoder)


def build_random(config, *, seed: int, device: torch.device, dtype: torch.dtype):
    """A random-initialised model from a config; the global RNG is left as it was."""
    from transformers import (
        GenerationConfig,
        MusicgenForConditionalGeneration,
        MusicgenMelodyForConditionalGeneration,
    )

    melody = config.model_type == "musicgen_melody"
    cls = MusicgenMelodyForConditionalGeneration if melody else MusicgenForConditionalGeneration
    with torch.random.fork_rng(devices=[]), torch.device(device):  # build on the device: no host copy
        torch.manual_seed(seed)
        model = cls(config)
        _fill_codebooks(model.audio_encoder)
    pad = config.decoder.pad_token_id
    model.generation_config = GenerationConfig(decoder_start_token_id=pad, pad_token_id=pad, bos_token_id=pad,
                                               max_length=1500, do_sample=True, guidance_scale=3.0, top_k=250)
    return model.to(device=device, dtype=dtype).eval()


@torch.no_grad()
def _fill_codebooks(codec) -> None:
    """transformers initialises EnCodec's codebooks to zeros (real ones are loaded); with zero codebooks every
    code decodes to the same sound and every input encodes to code 0. Give them random vectors at the scale
    of the encoder's output, so codes carry information in random-initialised models too."""
    noise = torch.randn(1, codec.config.audio_channels, 3200, device=codec.device) * 0.1
    scale = codec.encoder(noise).std().clamp(min=1e-3)
    for layer in codec.quantizer.layers:
        vectors = torch.randn_like(layer.codebook.embed) * scale
        layer.codebook.embed.copy_(vectors)
        layer.codebook.embed_avg.copy_(vectors)
        scale = scale * 0.5  # residual stages quantise what the previous ones left over


def build_tiny(melody: bool, *, device: torch.device, dtype: torch.dtype = torch.float32):
    """(model, tokenizer) of the tiny twin: identical weights on every build (seed TINY_SEED)."""
    return build_random(tiny_config(melody), seed=TINY_SEED, device=device, dtype=dtype), build_tiny_tokenizer()


def weights_available(name: str, cache_dir: str | None = None) -> bool:
    """Whether `name` can load without a network: tiny models always, checkpoints when the local cache
    holds their config and weights (for the Studio's "auto" engine choice)."""
    if name in TINY_MODELS:
        return True
    if name not in CHECKPOINTS:
        return False
    from huggingface_hub import try_to_load_from_cache

    repo = CHECKPOINTS[name][0]
    cache = str(hub_cache_dir(cache_dir))

    def cached(filename: str) -> bool:
        return isinstance(try_to_load_from_cache(repo, filename, cache_dir=cache), str)

    weights = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
    return cached("config.json") and any(cached(f) for f in weights)
