"""The query adapter: learns a query-side map from judged questions, is tied to its inputs, and lifts
dense search on questions it never saw."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from nlp import adapter as qa
from nlp.errors import StaleArtefactError
from nlp.late import maxsim, pack


def test_fit_learns_a_query_side_map():
    """Queries that say e0 must find the record holding e5: only a learned map can do that."""
    eye = np.eye(8, dtype=np.float32)
    records = [eye[[1, 2]], eye[[3, 4]], eye[[5, 6]], eye[[7, 1]]]
    tokens, offsets = pack(records, 8)
    queries = [eye[[0]], eye[[0, 0]]] * 3
    before = maxsim(queries[0], tokens, offsets, np.arange(4))
    fitted = qa.fit(queries, [{2: 2.0}] * 6, tokens, offsets, epochs=200)
    after = maxsim(fitted.transform(queries[0]), tokens, offsets, np.arange(4))
    assert np.allclose(before, before[0])  # the plain query cannot tell the records apart
    assert after.argmax() == 2 and after[2] - np.delete(after, 2).max() > 0.2
    assert np.allclose(np.linalg.norm(fitted.transform(queries[1]), axis=1), 1.0, atol=1e-5)


def test_training_pairs_keep_questions_with_relevant_records_in_the_index():
    qs = [{"query": "a", "relevant": {"x": 2, "nope": 1}}, {"query": "b", "relevant": {"nope": 2}},
          {"query": "c", "relevant": {"y": 1, "x": 0}}]
    assert qa.training_pairs(qs, ["x", "y"]) == [("a", {0: 2.0}), ("c", {1: 1.0})]


def test_adapter_is_built_and_tied_to_its_inputs(built, tmp_path):
    from nlp.index import read_index_meta

    meta = qa.read_meta(built.adapter_dir)
    assert meta["questions"] == 482 and set(meta["inputs"]["questions"]) == {p.name for p in built.search_training}
    want = qa.inputs(read_index_meta(built.index_dir), built.search_training, built.glossary)
    assert qa.load(built.adapter_dir, want, 384).weight.shape == (384, 384)
    assert qa.load(tmp_path / "none", want, 384) is None
    with pytest.raises(StaleArtefactError, match="stale .*questions"):
        qa.load(built.adapter_dir, {**want, "questions": {"search_queries.json": "0" * 64}}, 384)
    with pytest.raises(StaleArtefactError, match="stale .*corpus_sha256"):
        qa.load(built.adapter_dir, {**want, "corpus_sha256": "0" * 64}, 384)
    broken = tmp_path / "broken"
    shutil.copytree(built.adapter_dir, broken)
    (broken / "adapter.npy").write_bytes(b"not numpy")
    with pytest.raises(StaleArtefactError, match="corrupted"):
        qa.load(broken, want, 384)


def test_adapter_lifts_dense_search_on_blind_questions(searcher):
    """README: on the 20 blind dev questions (never used to fit it) dense nDCG@10 0.609 -> 0.843."""
    from nlp.search_eval import DEFAULT_QUERIES, evaluate_ranking, load_queries

    queries = load_queries(DEFAULT_QUERIES.with_name("search_queries_dev.json"))
    assert searcher.adapter is not None
    with_adapter = evaluate_ranking(searcher, queries)["dense"]["ndcg@10"]
    saved, searcher.adapter = searcher.adapter, None
    try:
        without = evaluate_ranking(searcher, queries)["dense"]["ndcg@10"]
    finally:
        searcher.adapter = saved
    assert with_adapter - without > 0.10 and without < 0.65


def test_cli_index_reports_the_adapter(env_home):
    from typer.testing import CliRunner

    from nlp.cli import app

    res = CliRunner().invoke(app, ["index"])
    assert res.exit_code == 0, res.output
    assert "index up to date" in res.output and "query adapter up to date: 482 hand-judged questions" in res.output
