"""The keyword-rule baseline: the codebook's definitions written as ordered regular expressions.
It learns nothing; it is the floor the learned models must beat."""
from __future__ import annotations

import re

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from nlp.classify.labels import TOPICS
from nlp.text import fold

# checked in this order; the first rule that matches decides
RULES: list[tuple[str, re.Pattern]] = [
    ("problemas_sociales", re.compile(r"bloqueo|pueblos originarios|autogobierno|usos y costumbres|protesta|manifestaci|huelga|\bparo\b|conflictividad|conflicto (social|politico|comunitario|agrario)")),
    ("otros", re.compile(r"^(remitir|enviar|compartir|proporcionar el nombre|informar)|\b(chat|whatsapp|grupo de mensajeria)\b|proxima reunion|se (programara|programaria|celebrara|celebraria) (una )?reunion|reunion de (trabajo|delegados)|designar enlace|enlace|capacitacion|rueda de prensa|conferencia de prensa|presentacion")),
    ("logistica_resguardo", re.compile(r"(custodi|resguard|acompanamiento|traslad|escolt)\w*.{0,80}(paquete|boleta|documentacion|material|cryt|recoleccion|bodega|lista nominal|listas nominales|camion|vehiculo|ruta)|\bcryt\b|centros? de (recoleccion|recepcion) y traslado|mecanismos? de recoleccion|bodegas? electoral")),
    ("inseguridad", re.compile(r"segur|patrull|vigilan|proteccion|candidat|riesgo|incidente|incidencia|amenaza|panico|violencia|delito|c4\b|c5\b|base de operacion|operativo|ciberseguridad|resguardar la jornada")),
]


# institution names that contain "seguridad" but say nothing about the topic
_INSTITUTIONS = re.compile(
    r"(mesas? (estatal |regional |nacional |interinstitucional |operativa )?(de|para la) (construccion de (la )?paz y )?seguridad( electoral| interinstitucional)?"
    r"|(sub)?secretaria (general )?de (seguridad|proteccion)[a-z ]{0,40}?(publica|ciudadana)"
    r"|seguridad (publica|ciudadana)|proteccion ciudadana|consejo (estatal |municipal )?de seguridad publica)"
)


def clean(text: str) -> str:
    """Folded text without institution names ("Mesa de Seguridad", "Secretaría de Seguridad Pública")."""
    return _INSTITUTIONS.sub(" ", fold(text))


class KeywordClassifier(ClassifierMixin, BaseEstimator):
    """scikit-learn estimator API; fit() only records the classes."""

    def __init__(self, default: str = "otros"):
        self.default = default

    def fit(self, X, y=None):
        self.classes_ = np.array(TOPICS)
        return self

    def _one(self, text: str) -> str:
        f = clean(text)
        for topic, pattern in RULES:
            if pattern.search(f):
                return topic
        return self.default

    def predict(self, X) -> np.ndarray:
        return np.array([self._one(t) for t in X])

    def predict_proba(self, X) -> np.ndarray:
        pred = self.predict(X)
        return (pred[:, None] == self.classes_[None, :]).astype(float)
