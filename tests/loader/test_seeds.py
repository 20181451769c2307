"""The loader on the four bundled informes, checked against counts established by reading them.

The expected figures are documented in the README ("What the loader finds in the seeds")."""
from __future__ import annotations

from collections import Counter

import pytest

from nlp.loader import load_paths
from tests.conftest import SEEDS

S7, S6, S5, SV = "000_46f6f9d7abe4d590.txt", "001_9fa70be67b2b7f1b.txt", "002_84a45db200c97aea.txt", "004_4659780f556f47d6.txt"


@pytest.fixture(scope="module")
def result():
    return load_paths([SEEDS])


def test_no_errors_and_informe_numbers(result):
    assert result.errors == []
    informe = {r.source: r.informe for r in result.records}
    assert informe == {S7: 7, S6: 6, S5: 5, SV: None}


def test_record_counts_per_source_and_section(result):
    counts = Counter((r.source, r.section) for r in result.records)
    assert counts == {
        (S7, "acuerdos"): 92, (S7, "mesa_federal"): 14,
        (S6, "acuerdos"): 115,
        (S5, "mesa_federal"): 5, (S5, "medidas_adicionales"): 49,
        (SV, "visita"): 3,
    }


def test_status_counts_per_source(result):
    counts = Counter((r.source, r.estatus) for r in result.records if r.section in ("acuerdos", "medidas_adicionales"))
    assert counts == {
        (S7, "Concluido"): 51, (S7, "En proceso"): 32, (S7, "Planeación"): 9,
        (S6, "Concluido"): 26, (S6, "En proceso"): 63, (S6, "Planeación"): 22, (S6, None): 4,
        (S5, "Concluido"): 28, (S5, "En proceso"): 14, (S5, "Planeación"): 6, (S5, "Se informa"): 1,
    }


def test_states_inferred_from_the_text_where_the_layout_is_uncertain(result):
    inferred = {(r.source, r.line): r.entidad for r in result.records if "entity_inferred" in r.flags}
    assert inferred == {
        (S6, 124): "Zacatecas", (S6, 125): "Zacatecas", (S6, 126): "Zacatecas", (S6, 127): "Zacatecas",
        (S6, 128): "Zacatecas",
        (S5, 215): "Baja California", (S5, 216): "Baja California", (S5, 262): "Campeche",
        (S5, 279): "Chiapas", (S5, 280): "Chiapas", (S5, 281): "Chiapas", (S5, 286): "Coahuila",
        (S5, 297): "Hidalgo", (S5, 298): "Hidalgo",
    }


def test_entity_mismatches(result):
    mism = {(r.source, r.line): [f for f in r.flags if f.startswith("entity_mismatch")] for r in result.records}
    assert {k: v for k, v in mism.items() if v} == {
        (S7, 91): ["entity_mismatch:Tamaulipas"],  # Tlaxcala row naming the IETAM
        (S6, 21): ["entity_mismatch:Baja California"],  # Campeche row naming Baja California's SSC
        (S5, 216): ["entity_mismatch:Hidalgo"],  # Hidalgo's document in the Baja California group
    }


def test_every_state_label_and_flag(result):
    by = {(r.source, r.line): r for r in result.records}
    assert by[(S7, 89)].entidad == "Tamaulipas" and "shifted_row" in by[(S7, 89)].flags
    assert all("shifted_row" in by[(S6, n)].flags and by[(S6, n)].entidad == "Ciudad de México" for n in (42, 43, 44))
    assert by[(S6, 45)].end_line == 48 and by[(S6, 45)].entidad == "Coahuila"
    assert by[(S6, 45)].entidad_printed == "Coahuila de Zaragoza"
    assert by[(S7, 120)].extra["reunion"] == "Octava" and "date_out_of_order" in by[(S7, 120)].flags
    assert by[(S5, 217)].end_line == 222 and by[(S5, 223)].end_line == 252
    assert {(r.source, r.line) for r in result.records if "broken_chars" in r.flags} == {(S5, 217), (S5, 223)}
    assert by[(SV, 17)].entidad is None and "entity_generic" in by[(SV, 17)].flags
    assert by[(SV, 75)].entidad == "México" and by[(SV, 75)].end_line == 88
    assert {r.entidad for r in result.records if r.section == "mesa_federal"} == {"Nacional"}
    assert all(r.entidad for r in result.records if r.section != "visita")


def test_every_table_line_is_in_a_record_or_reported(result):
    """Nothing is silently dropped: each tab-separated line is a header, inside a record, or listed."""
    for f in result.files:
        lines = f.path.read_text(encoding="utf-8").split("\n")
        covered = set()
        for r in f.records:
            covered.update(range(r.line, (r.end_line or r.line) + 1))
            if "label_line" in r.extra:
                covered.add(r.extra["label_line"])
        covered.update(s.line for s in f.skipped)
        from nlp.loader.segment import classify_header

        missing = [n for n, line in enumerate(lines, 1)
                   if "\t" in line and n not in covered and classify_header(line) is None]
        assert missing == [], f"{f.path.name}: lines {missing} neither in a record nor reported"
    skipped = Counter((s.source, s.reason.split(" (")[0]) for s in result.skipped)
    assert skipped == {
        (S5, "tab-separated line outside any recognised table"): 7,
        (S5, "footnote between pages of a table"): 1,
        (SV, "repeats the HTML table already read in this visit"): 5,
    }


def test_no_html_left_and_text_is_clean(result):
    for r in result.records:
        assert "<" not in r.texto and "\t" not in r.texto and "  " not in r.texto, (r.source, r.line)
        assert r.texto == r.texto.strip() and r.texto
