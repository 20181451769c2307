"""The analyst notebook runs top to bottom, offline, against a built corpus."""
from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from tests.conftest import ROOT


def test_notebook_runs(env_home):
    nb = nbformat.read(ROOT / "notebooks" / "exploracion.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "278 registros" in outputs
    assert "Baja California Sur" in outputs and "Morelos" in outputs
    assert "logistica_resguardo" in outputs and "problemas_sociales" in outputs
    assert "Informe 6 → 7" in outputs
