"""Feature extractors for the topic models (scikit-learn transformers, picklable)."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from nlp.text import fold, lemmas_many


class LemmaText(TransformerMixin, BaseEstimator):
    """Texts -> space-joined spaCy lemmas (accent-folded, stop words out), batched through nlp.pipe."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [" ".join(toks) for toks in lemmas_many([str(x) for x in X])]


class FoldedText(TransformerMixin, BaseEstimator):
    """Texts -> lower case without accents (for character n-grams)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [fold(str(x)) for x in X]


class Embeddings(TransformerMixin, BaseEstimator):
    """Texts -> sentence embeddings from the project's encoder (cached by text hash).

    Only the encoder's name, path and fingerprint are pickled; the model is reopened on load and
    must be the same one (same fingerprint) or transform() refuses."""

    def __init__(self, model: str = "intfloat/multilingual-e5-small", scale: float = 1.0):
        self.model = model
        self.scale = scale

    def _encoder(self):
        enc = getattr(self, "_enc", None)
        if enc is None:
            from nlp.config import get_settings
            from nlp.encoder import resolve_encoder
            from nlp.errors import StaleArtefactError

            enc = resolve_encoder(get_settings(), self.model)
            want = getattr(self, "fingerprint_", None)
            if want is not None and enc.fingerprint != want:
                raise StaleArtefactError(
                    f"the topic model was trained with encoder {want!r}, the current one is {enc.fingerprint!r}",
                    hint="run `acuerdos train`")
            self._enc = enc
        return enc

    def fit(self, X, y=None):
        self.fingerprint_ = self._encoder().fingerprint
        return self

    def transform(self, X):
        return self.scale * self._encoder().encode_passages([str(x) for x in X]).astype(np.float64)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_enc", None)
        return state


class KeywordHits(TransformerMixin, BaseEstimator):
    """Which of the codebook's keyword rules match (one column per rule): the baseline's knowledge
    given to the learned model as features, which it can weigh against the words."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        from nlp.classify.keywords import RULES, clean

        out = np.zeros((len(X), len(RULES)), dtype=np.float64)
        for i, x in enumerate(X):
            f = clean(str(x))
            for j, (_, pattern) in enumerate(RULES):
                out[i, j] = 1.0 if pattern.search(f) else 0.0
        return out


class LeadLemmas(TransformerMixin, BaseEstimator):
    """The first content lemmas of the text, marked ('lead_remitir'): the main verb decides the
    topic (codebook rule 3), and it usually comes first in an acuerdo."""

    def __init__(self, n: int = 3):
        self.n = n

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [" ".join(f"lead_{t}" for t in toks[: self.n]) for toks in lemmas_many([str(x) for x in X])]
