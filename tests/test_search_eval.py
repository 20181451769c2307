"""The evaluation harness itself: out-of-fold adapters are cached by what they were fitted from, and the
dense-weight sweep really changes the fusion it scores."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from nlp import adapter as qa
from nlp import search
from nlp import search_eval as se


def test_out_of_fold_adapters_are_cached_by_their_inputs(searcher, tmp_path, monkeypatch):
    data = se.DEFAULT_QUERIES.parent
    sets = {n: se.load_queries(data / f"search_train_{n}.json") for n in "ab"}
    fresh = se.out_of_fold_adapters(searcher, sets, tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 2 and all(a is not None for a in fresh.values())

    def no_fit(*_a, **_k):
        raise AssertionError("refitted although the cache holds this fit")

    monkeypatch.setattr(qa, "fit_searcher", no_fit)
    cached = se.out_of_fold_adapters(searcher, sets, tmp_path)
    for name in sets:  # the fold of set a was fitted on set b only, and comes back bit for bit
        assert np.array_equal(cached[name].weight, fresh[name].weight)
    assert not np.array_equal(fresh["a"].weight, fresh["b"].weight)

    damaged = tmp_path / f"{se._adapter_key(searcher, sets['b'])}.npy"  # set a's fold
    saved = damaged.read_bytes()
    damaged.write_bytes(b"not numpy")
    with pytest.raises(AssertionError, match="refitted"):  # a damaged entry is refitted, not loaded
        se.out_of_fold_adapters(searcher, sets, tmp_path)
    damaged.write_bytes(saved)

    edited = copy.deepcopy(sets)
    edited["b"][0]["relevant"] = {**edited["b"][0]["relevant"], searcher.index.records[0]["id"]: 2}
    with pytest.raises(AssertionError, match="refitted"):  # set a's fold learns from b: a new key, a new fit
        se.out_of_fold_adapters(searcher, edited, tmp_path)
    assert se._adapter_key(searcher, edited["b"]) != se._adapter_key(searcher, sets["b"])


def test_dense_weight_changes_the_fusion_and_is_restored(searcher):
    query = "escolta de camiones con boletas"
    shipped = search.RRF_WEIGHTS["dense"]
    with se.dense_weight(0.01):
        lexical_led = [h.record["id"] for h in searcher.search(query, k=10)]
    with se.dense_weight(100):
        dense_led = [h.record["id"] for h in searcher.search(query, k=10)]
    assert search.RRF_WEIGHTS["dense"] == shipped
    assert lexical_led != dense_led
    assert lexical_led[:3] == [h.record["id"] for h in searcher.search(query, k=3, mode="lexical")]
    assert dense_led[:3] == [h.record["id"] for h in searcher.search(query, k=3, mode="dense")]


def test_sweep_rejects_a_bad_weight_list(capsys):
    with pytest.raises(SystemExit) as exc:
        se.main(["--sweep", "4,ocho"])
    assert exc.value.code == 2 and "--sweep takes numbers" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        se.main(["--sweep", ","])
    assert exc.value.code == 2 and "--sweep takes positive numbers" in capsys.readouterr().err
