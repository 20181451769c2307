"""The candidate topic models, all scikit-learn estimators built by name."""
from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from nlp.classify.features import Embeddings, FoldedText, KeywordHits, LemmaText
from nlp.classify.keywords import KeywordClassifier

MODEL_NAMES = ("keywords", "tfidf", "embeddings", "combined", "combined_fast")
DEFAULT_MODEL = "combined_fast"
DESCRIPTIONS = {
    "keywords": "keyword rules from the codebook (no learning)",
    "tfidf": "TF-IDF of word lemmas (1-2 grams) + character 3-5 grams, logistic regression",
    "embeddings": "multilingual-e5-small sentence embeddings, logistic regression",
    "combined": "TF-IDF words + chars + keyword-rule hits + e5 embeddings, logistic regression",
    "combined_fast": "TF-IDF words + chars + keyword-rule hits, logistic regression (no encoder)",
}


def _tfidf_union() -> list[tuple[str, Pipeline]]:
    return [
        ("words", Pipeline([("lemmas", LemmaText()),
                            ("tfidf", TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), min_df=1,
                                                      sublinear_tf=True))])),
        ("chars", Pipeline([("fold", FoldedText()),
                            ("tfidf", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2,
                                                      sublinear_tf=True, max_features=40000))])),
    ]


def _lr(C: float) -> LogisticRegression:
    # class_weight="balanced": problemas_sociales is rare; each class weighs the same in the loss
    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000)


def make_model(name: str, encoder: str = "intfloat/multilingual-e5-small"):
    if name == "keywords":
        return KeywordClassifier()
    if name == "tfidf":
        return Pipeline([("features", FeatureUnion(_tfidf_union())), ("clf", _lr(10.0))])
    if name == "embeddings":
        return Pipeline([("features", Embeddings(encoder)), ("clf", _lr(10.0))])
    if name == "combined":
        union = FeatureUnion(_tfidf_union() + [("rules", KeywordHits()), ("embeddings", Embeddings(encoder))])
        return Pipeline([("features", union), ("clf", _lr(10.0))])
    if name == "combined_fast":
        union = FeatureUnion(_tfidf_union() + [("rules", KeywordHits())])
        return Pipeline([("features", union), ("clf", _lr(10.0))])
    raise ValueError(f"unknown model {name!r}: use one of {', '.join(MODEL_NAMES)}")
