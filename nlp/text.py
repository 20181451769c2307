"""Spanish preprocessing shared by lexical search, the classifier and duplicate detection:
spaCy's blank Spanish tokenizer with the lookup lemmatizer (spacy-lookups-data), Spanish stop
words, and accent folding, so that 'custodiarán', 'Custodia' and 'custodias' meet."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_KEEP_SHORT = {"gn", "c4", "c5", "ine", "opl", "cae", "pef", "pel", "pec", "jle", "jde"}


def fold(text: str) -> str:
    """Lower case without accents ('Querétaro' -> 'queretaro'); ñ becomes n."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=1)
def spacy_es():
    """spacy.blank('es') with the lookup lemmatizer: works offline, no trained pipeline needed."""
    import spacy

    nlp = spacy.blank("es")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from spacy.lang.es.stop_words import STOP_WORDS

    extra = {"mediante", "asi", "dicho", "dicha", "respecto", "parte", "caso"}
    return frozenset(fold(w) for w in STOP_WORDS | extra)


_TOKEN_RE = re.compile(r"[a-z0-9ñ]+")


def is_content_token(tok) -> bool:
    """Not punctuation, not space, not a stop word (short domain acronyms such as 'GN' kept)."""
    if tok.is_punct or tok.is_space:
        return False
    low = fold(tok.text)
    return low not in stop_words() or low in _KEEP_SHORT


def _doc_tokens(doc) -> list[str]:
    stops = stop_words()
    out = []
    for tok in doc:
        if not is_content_token(tok):
            continue
        lemma = fold(tok.lemma_ or tok.text)
        for piece in _TOKEN_RE.findall(lemma):
            if (len(piece) > 1 or piece.isdigit()) and (piece not in stops or piece in _KEEP_SHORT):
                out.append(piece)
    return out


def lemmas(text: str) -> list[str]:
    """Content lemmas of one text, accent-folded, stop words removed."""
    return _doc_tokens(spacy_es()(text))


def lemmas_many(texts: Iterable[str], batch_size: int = 256) -> list[list[str]]:
    return [_doc_tokens(doc) for doc in spacy_es().pipe(texts, batch_size=batch_size)]


@lru_cache(maxsize=8192)
def _term_pattern(term: str) -> tuple[re.Pattern, bool]:
    """(compiled pattern, matches the raw query) for a term: compiled once, not once per query
    (the thesaurus and glossary hold more terms than the re module's own cache)."""
    folded = fold(term)
    if term.isupper() and folded in stop_words():
        return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)"), True
    return re.compile(rf"(?<!\w){re.escape(folded)}(?!\w)"), False


def mentions(term: str, query: str, folded_query: str | None = None) -> bool:
    """Whether the query names the term (a whole word or phrase), ignoring accents and case, except
    that an acronym which is also a Spanish word ('SE', Supervisor Electoral, and the pronoun 'se')
    counts only when typed in capitals."""
    pattern, raw = _term_pattern(term)
    if raw:
        return pattern.search(query) is not None
    folded_query = fold(query) if folded_query is None else folded_query  # callers testing many terms fold once
    return pattern.search(folded_query) is not None


@lru_cache(maxsize=8192)
def term_lemmas(term: str) -> tuple[str, ...]:
    """Lemmas of a thesaurus or glossary term, computed once per term."""
    return tuple(lemmas(term))


def is_only_stop_words(text: str) -> bool:
    return not lemmas(text)
