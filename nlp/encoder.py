"""The sentence encoder: the offline e5 build by default, any sentence-transformers name or path
on request, with an embedding cache keyed by (model, text hash) so rebuilds encode only new text."""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from nlp.config import DEFAULT_ENCODER, Settings, check_query_precision
from nlp.errors import AcuerdosError
from nlp.io import atomic_write_bytes

WINDOW_TOKENS = 480  # texts longer than the model's 512 tokens are encoded in windows and averaged


class Encoder:
    """Wraps a SentenceTransformer with the right prompts, windowing and a cache."""

    def __init__(self, name: str, path: str, fingerprint: str, cache_dir: Path | None = None,
                 query_precision: str = "auto"):
        self.name = name
        self.path = path
        self.fingerprint = fingerprint
        self.cache_dir = cache_dir
        self.query_precision = check_query_precision(query_precision)
        self._model = None
        self._query_model = None
        self._cache: dict[str, np.ndarray] | None = None
        self._cache_dirty = False

    # -- model ---------------------------------------------------------------------------
    @property
    def model(self):
        if self._model is None:
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()  # token-count warnings for long texts we window ourselves
            hf_logging.disable_progress_bar()
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(self.path, device="cpu")
            except Exception as exc:  # noqa: BLE001 - hub errors, missing folders, bad configs
                raise AcuerdosError(
                    f"cannot load encoder {self.name!r} from {self.path}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                    hint="use the default offline model (unset ACUERDOS_ENCODER) or a local model folder",
                ) from None
        return self._model

    def _prompt(self, kind: str) -> str | None:
        prompts = getattr(self.model, "prompts", {}) or {}
        names = ("query",) if kind == "query" else ("passage", "document")
        return next((n for n in names if prompts.get(n)), None)

    @property
    def dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None)  # sentence-transformers >= 6 name
        return int(getter() if getter else self.model.get_sentence_embedding_dimension())

    # -- encoding -------------------------------------------------------------------------
    def _windows(self, text: str) -> list[str]:
        """Split a text too long for the model into sentence windows of <= WINDOW_TOKENS tokens."""
        tok = self.model.tokenizer
        if len(tok(text, add_special_tokens=False)["input_ids"]) <= WINDOW_TOKENS:
            return [text]
        import re

        sentences = re.split(r"(?<=[.;:])\s+", text)
        windows, cur, cur_len = [], [], 0
        for s in sentences:
            n = len(tok(s, add_special_tokens=False)["input_ids"])
            if cur and cur_len + n > WINDOW_TOKENS:
                windows.append(" ".join(cur))
                cur, cur_len = [], 0
            cur.append(s)
            cur_len += n
        if cur:
            windows.append(" ".join(cur))
        return windows

    def _encode_raw(self, texts: list[str], kind: str, batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        prompt = self._prompt(kind)
        pieces, owners = [], []
        for i, t in enumerate(texts):
            for w in self._windows(t.strip()) if kind == "passage" else [t.strip()]:
                pieces.append(w)
                owners.append(i)
        vecs = self.model.encode(pieces, prompt_name=prompt, batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=show_progress)
        out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
        np.add.at(out, np.asarray(owners), vecs.astype(np.float32))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1 and self._mean_pooled():
            return self._encode_one_query(texts[0])
        return self._encode_raw(texts, "query")

    def _mean_pooled(self) -> bool:
        """Transformer -> mean Pooling (-> Normalize): then one query can skip encode()'s batching."""
        mods = list(self.model)
        pool = mods[1] if len(mods) > 1 else None
        mode = getattr(pool, "pooling_mode", None)
        if mode is None and getattr(pool, "pooling_mode_mean_tokens", False):  # sentence-transformers < 6
            mode = "mean"
        return (len(mods) in (2, 3) and type(mods[0]).__name__ == "Transformer" and mode in ("mean", ["mean"])
                and (len(mods) == 2 or type(mods[2]).__name__ == "Normalize")
                and getattr(pool, "include_prompt", True))

    def _encode_one_query(self, text: str) -> np.ndarray:
        """Latency path for a single query (~3 ms less than encode()); same vector to float precision."""
        return self._forward_query(text)[0]

    def _forward_query(self, text: str) -> tuple[np.ndarray, list[tuple[int, int]], np.ndarray]:
        """One forward pass of a mean-pooled model: (pooled unit vector, token offsets, token states)."""
        import torch

        with torch.inference_mode():
            batch = self.model.tokenizer([self._prompt_text("query") + text.strip()], return_tensors="pt",
                                         truncation=True, max_length=self.model.max_seq_length,
                                         return_offsets_mapping=True)
            offsets = batch.pop("offset_mapping")[0].tolist()
            hidden = self._query_forward_model()(**batch).last_hidden_state[0].float()  # one text: no padding
            vec = torch.nn.functional.normalize(hidden.mean(0), dim=-1)
        return vec.numpy().astype(np.float32)[None, :], offsets, hidden.numpy()

    def at_precision(self, query_precision: str) -> "Encoder":
        """This encoder (same loaded model and cache) with another query precision."""
        self.model  # noqa: B018 - load once here, so both share it
        other = copy.copy(self)
        other.query_precision, other._query_model = check_query_precision(query_precision), None
        return other

    def bfloat16_queries(self) -> bool:
        return self.query_precision == "bfloat16" or (self.query_precision == "auto" and native_bfloat16())

    def _query_forward_model(self):
        """The transformer that encodes single queries: a bfloat16 copy where the CPU computes bfloat16
        natively (query p50 21.9 -> 16.6 ms on this machine's 2 cores; cosine with float32 >= 0.9999 on
        the benchmark queries), else the float32 model itself. Passages and the index stay float32."""
        if self._query_model is None:
            base = self.model[0].auto_model
            if self.bfloat16_queries():
                import torch

                self._query_model = copy.deepcopy(base).to(torch.bfloat16).eval()
            else:
                self._query_model = base
        return self._query_model

    def _prompt_text(self, kind: str) -> str:
        name = self._prompt(kind)
        return (self.model.prompts or {}).get(name, "") if name else ""

    def token_vectors(self, texts: list[str], kind: str, batch_size: int = 32) -> list[tuple[list[tuple[int, int]], np.ndarray]]:
        """Per text: (character span of each token in the text, its unit-length contextual vector),
        prompt and special tokens left out; texts past the model's length are truncated."""
        prompt = self._prompt_text(kind)
        texts = [t.strip() for t in texts]
        out = self.model.encode([prompt + t for t in texts], output_value="token_embeddings", batch_size=batch_size,
                                convert_to_numpy=False, show_progress_bar=False)
        tok = self.model.tokenizer
        result = []
        for text, emb in zip(texts, out):
            enc = tok(prompt + text, truncation=True, max_length=self.model.max_seq_length, return_offsets_mapping=True)
            result.append(_text_tokens(enc["offset_mapping"], emb.float().numpy(), len(prompt)))
        return result

    def query_with_tokens(self, text: str) -> tuple[np.ndarray, list[tuple[int, int]], np.ndarray]:
        """(pooled query vector, token spans, token vectors) from one forward pass when the model is
        mean-pooled (the query latency path), else from two calls."""
        if not self._mean_pooled():
            spans, vecs = self.token_vectors([text], "query")[0]
            return self.encode_queries([text])[0], spans, vecs
        vec, offsets, hidden = self._forward_query(text)
        spans, vecs = _text_tokens(offsets, hidden, len(self._prompt_text("query")))
        return vec[0], spans, vecs

    def encode_passages(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Embeddings of passages, from the cache when the same model saw the same text."""
        keys = [hashlib.sha256(("passage\x1f" + t.strip()).encode("utf-8")).hexdigest()[:24] for t in texts]
        cache = self._load_cache()
        missing = [i for i, k in enumerate(keys) if k not in cache]
        if missing:
            fresh = self._encode_raw([texts[i] for i in missing], "passage", show_progress=show_progress)
            for i, v in zip(missing, fresh):
                cache[keys[i]] = v
            self._cache_dirty = True
            self.save_cache()
        self.last_encoded = len(missing)
        return np.stack([cache[k] for k in keys]) if keys else np.zeros((0, self.dim), dtype=np.float32)

    # -- cache ----------------------------------------------------------------------------
    def _cache_file(self) -> Path | None:
        if self.cache_dir is None:
            return None
        safe = hashlib.sha256(self.fingerprint.encode()).hexdigest()[:16]
        return self.cache_dir / f"embeddings-{safe}.npz"

    def _load_cache(self) -> dict[str, np.ndarray]:
        if self._cache is None:
            self._cache = {}
            f = self._cache_file()
            if f is not None and f.exists():
                try:
                    data = np.load(f, allow_pickle=False)
                    if str(data["fingerprint"]) == self.fingerprint:
                        self._cache = dict(zip(data["keys"].tolist(), data["vectors"]))
                except Exception:  # noqa: BLE001 - a corrupt cache is rebuilt, not fatal
                    self._cache = {}
        return self._cache

    def save_cache(self) -> None:
        f = self._cache_file()
        if f is None or not self._cache_dirty or not self._cache:
            return
        import io

        buf = io.BytesIO()
        keys = list(self._cache)
        np.savez(buf, keys=np.array(keys), vectors=np.stack([self._cache[k] for k in keys]).astype(np.float32),
                 fingerprint=np.array(self.fingerprint))
        atomic_write_bytes(f, buf.getvalue())
        self._cache_dirty = False


def _text_tokens(offsets, vectors: np.ndarray, prompt_len: int) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Keep the tokens that cover characters of the text itself (not the prompt, not <s> / </s>)."""
    keep = [i for i, (a, b) in enumerate(offsets) if b > a and a >= prompt_len - 1 and b > prompt_len]
    vecs = vectors[keep].astype(np.float32)
    vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    spans = [(max(0, offsets[i][0] - prompt_len), offsets[i][1] - prompt_len) for i in keep]
    return spans, vecs


@functools.lru_cache(maxsize=1)
def native_bfloat16() -> bool:
    """Whether the CPU has bfloat16 matrix instructions (x86 AVX512-BF16 / AMX, Arm BF16); elsewhere
    torch emulates bfloat16 and it would be slower than float32."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = set()
    for line in info.splitlines():
        if line.startswith(("flags", "Features")):
            flags.update(line.partition(":")[2].split())
    return bool(flags & {"avx512_bf16", "amx_bf16", "bf16"})


def resolve_encoder(settings: Settings, name: str | None = None, build: bool = True) -> Encoder:
    """The configured encoder; the default offline e5 folder is built on first use."""
    name = name or settings.encoder
    cache_dir = settings.models / "cache"
    if name in (DEFAULT_ENCODER, "e5", "multilingual-e5-small") or Path(name) == settings.local_e5_dir:
        from nlp.e5build import build_e5_model, is_current

        folder = settings.local_e5_dir
        if not is_current(folder):
            if not build:
                raise AcuerdosError(f"the offline encoder at {folder} is missing or stale",
                                    hint="run `acuerdos build` (or `python -m nlp.e5build`)")
            build_e5_model(folder)
        info = json.loads((folder / "build_info.json").read_text(encoding="utf-8"))
        fingerprint = f"{DEFAULT_ENCODER}@" + hashlib.sha256(json.dumps(info.get("sources", info), sort_keys=True).encode()).hexdigest()[:16]
        return Encoder(DEFAULT_ENCODER, str(folder), fingerprint, cache_dir, settings.query_precision)
    path = Path(name)
    if path.exists():
        cfg = path / "config.json"
        digest = hashlib.sha256(cfg.read_bytes()).hexdigest()[:16] if cfg.exists() else "nocfg"
        weights = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
        size = sum(w.stat().st_size for w in weights)
        return Encoder(str(path), str(path), f"{path.resolve()}@{digest}:{size}", cache_dir, settings.query_precision)
    return Encoder(name, name, f"hub:{name}", cache_dir, settings.query_precision)
