"""One small fixture per layout quirk of the informes (tests/fixtures/loader/)."""
from __future__ import annotations

import pytest

from nlp.errors import InputError
from nlp.loader import load_file
from tests.conftest import fixture_path


def records(name: str):
    return load_file(fixture_path("loader", name)).records


def by_line(name: str):
    return {r.line: r for r in records(name)}


def test_merged_cell_printed_on_first_row_continues_state():
    recs = by_line("merged_first_row.txt")
    assert [recs[n].entidad for n in (4, 5, 6)] == ["Puebla", "Puebla", "Sonora"]
    assert recs[5].entidad_printed == ""
    assert recs[4].informe == 8


def test_merged_cell_printed_on_middle_row_claims_rows_above_it():
    recs = by_line("merged_middle_row.txt")
    assert recs[5].entidad == "Tamaulipas" and "entity_inferred" not in recs[5].flags
    # the row naming Zacatecas and the row that reads like it go to Zacatecas
    assert recs[7].entidad == "Zacatecas" and "entity_inferred" in recs[7].flags
    assert recs[6].entidad == "Zacatecas" and "entity_inferred" in recs[6].flags
    assert recs[8].entidad_printed == "Zacatecas" and "entity_inferred" not in recs[8].flags


def test_cell_split_by_page_break_is_joined():
    recs = records("page_break_split.txt")
    assert len(recs) == 2
    first = recs[0]
    assert first.line == 4 and first.end_line == 7
    assert first.texto.endswith("junto con la Lista de Ubicación de Casillas y los requerimientos de custodia.")
    assert first.estatus == "Concluido" and "joined_page_break" in first.flags
    assert first.entidad == "Coahuila" and first.entidad_printed == "Coahuila de Zaragoza"


def test_shifted_rows_keep_text_and_status():
    recs = by_line("shifted_rows.txt")
    assert recs[5].texto.startswith("Para el tema 6:") and recs[5].estatus == "En proceso"
    assert "shifted_row" in recs[5].flags and recs[5].entidad == "Ciudad de México"
    assert recs[7].entidad == "México" and recs[7].entidad_printed == "Estado de México"


def test_missing_and_nonstandard_status():
    recs = by_line("status_quirks.txt")
    assert recs[4].estatus is None and "missing_status" in recs[4].flags
    assert recs[6].estatus == "Se informa" and "nonstandard_status:Se informa" in recs[6].flags
    assert recs[7].estatus == "Concluido"  # 'concluido' normalised


def test_html_cells_become_sentences_with_list_items_separate():
    recs = by_line("html_cells.txt")
    assert recs[4].texto == "Mediante oficio se solicitó a la SSyPC el acompañamiento. Se obtuvo respuesta favorable."
    assert recs[5].texto == "a) Chiapas. b) Guerrero."
    assert "<" not in recs[6].texto and "Evento: Simulacro; Fecha: 3 de abril." in recs[6].texto
    assert all("html_cleaned" in r.flags for r in recs.values())


def test_numbered_sub_items_belong_to_the_meeting_description():
    recs = records("numbered_items.txt")
    assert len(recs) == 3
    meeting = recs[1]
    assert meeting.line == 5 and meeting.end_line == 9
    assert "1. Protocolo" in meeting.texto and "3. Propuestas" in meeting.texto
    assert meeting.estatus == "Planeación" and "numbered_items_joined" in meeting.flags
    # the state name was printed beside sub-item 2: it labels the whole meeting
    assert meeting.entidad == "Baja California"
    assert recs[0].entidad == "Aguascalientes"


def test_pages_rendered_as_paragraphs_are_parsed():
    recs = records("paragraph_pages.txt")
    assert [r.line for r in recs] == [4, 12, 20, 26, 30, 31]
    first = recs[0]
    assert "Encargado de Despacho de la Coordinación de Gabinete." in first.texto
    assert "3. Presentación de acciones operativas" in first.texto
    semar = recs[1]
    assert semar.estatus == "Planeación" and semar.texto.endswith("agilizar la distribución.")
    assert semar.entidad == "Baja California"
    carmen = recs[2]
    assert carmen.entidad == "Campeche" and "entity_inferred" in carmen.flags and carmen.estatus == "Concluido"
    assert recs[3].entidad_printed == "Campeche"
    assert recs[5].entidad == "Chiapas"


def test_entity_checks_ignore_surnames_municipalities_and_neighbours():
    recs = by_line("entity_checks.txt")
    assert not any(f.startswith("entity_mismatch") for f in recs[4].flags)  # "Ávila Hidalgo"
    assert "entity_mismatch:Baja California" in recs[5].flags
    assert not any(f.startswith("entity_mismatch") for f in recs[6].flags)  # "límites con … Zacatecas"
    assert recs[7].flags == ["entity_mismatch:Coahuila"]  # "municipio de Hidalgo, Coahuila"


def test_federal_meetings_one_record_each_with_continuations():
    result = load_file(fixture_path("loader", "mesa_federal.txt"))
    recs = result.records
    assert [r.extra["reunion"] for r in recs] == ["Primera", "Segunda", "Tercera", "Cuarta"]
    assert all(r.entidad == "Nacional" and r.section == "mesa_federal" for r in recs)
    assert recs[1].texto.endswith("en la que refirió que solicita incorporar las recomendaciones. II. Reporte de seguimiento.")
    assert recs[0].texto == "I. Situación de las mesas. II. Estatus del apoyo de SEDENA."
    assert "date_out_of_order" in recs[2].flags and recs[2].extra["fecha_iso"] == "2024-01-30"
    assert [(s.line, s.reason) for s in result.skipped] == [(11, "footnote between pages of a table")]


def test_visit_forms_one_record_per_visit():
    result = load_file(fixture_path("loader", "visit_forms.txt"))
    coah, mex = result.records
    assert coah.entidad == "Coahuila" and coah.extra["objetivo"] == "Revisar los sistemas."
    assert coah.extra["fecha"] == "" and coah.texto == "L091910 Soporte técnico. Se dio seguimiento a las solicitudes."
    assert mex.entidad == "México" and mex.extra["fecha"] == "3 y 10 de abril de 2023" and mex.extra["junta"] == "Local"
    assert mex.extra["direccion"] == "Unidad Técnica de Servicios de Informática"
    assert mex.texto.endswith("Se llevaron a cabo los simulacros.") and "joined_page_break" in mex.flags
    assert {s.line for s in result.skipped} == {37, 38}


def test_legacy_encoding_is_decoded_and_flagged():
    (rec,) = records("cp1252.txt")
    assert rec.entidad == "Querétaro" and rec.texto == "Se remitirá el listado de casillas."
    assert "decoded_as:cp1252" in rec.flags


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.txt", "empty file"),
        ("binary.txt", "binary file"),
        ("no_table.txt", "no recognisable table"),
        ("does_not_exist.txt", "no such file"),
    ],
)
def test_bad_input_gives_one_line_error(name, message):
    with pytest.raises(InputError) as info:
        load_file(fixture_path("loader", name))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_ids_are_stable_and_unique():
    a, b = records("paragraph_pages.txt"), records("paragraph_pages.txt")
    assert [r.id for r in a] == [r.id for r in b]
    assert len({r.id for r in a}) == len(a)
