"""Themes found in the data beyond the taxonomy.

Texts that no taxonomy theme covers are grouped per language with non-negative matrix factorisation
of their TF-IDF lemma matrix (Lee & Seung 1999; as topic model: Arora et al. 2012), stop words from
stopwords-iso removed. A topic is kept only when it is carried by at least ``min_texts`` texts, and it
is named by its top terms. Few uncovered texts give no topics: nothing is invented where nothing is.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from centric.models.text.self_trained import lemma_document


@dataclass(frozen=True)
class Topic:
    language: str
    topic: str
    terms: tuple[str, ...]
    members: tuple[int, ...]  # positions in the input


def _stopwords(language: str) -> set[str]:
    import stopwordsiso

    from centric.models.text.normalize import fold

    return {fold(w) for w in stopwordsiso.stopwords(language) or set()}


def discover(texts: list[str], language: str, max_topics: int = 6, min_texts: int = 15,
             random_state: int = 0) -> list[Topic]:
    """Topics among ``texts`` (all in ``language``); each text joins at most its strongest topic."""
    if len(texts) < 2 * min_texts:
        return []
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    stop = _stopwords(language)
    docs = [" ".join(w.removeprefix("NEG_") for w in lemma_document(t, language).split()
                     if w.isalpha() and len(w) > 2 and w not in stop) for t in texts]
    vectorizer = TfidfVectorizer(min_df=max(3, min_texts // 3), max_df=0.5, sublinear_tf=True, token_pattern=r"\S+")
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # no term left
        return []
    k = int(min(max_topics, max(1, len(texts) // (2 * min_texts)), matrix.shape[1]))
    if k < 1 or matrix.nnz == 0:
        return []
    model = NMF(n_components=k, init="nndsvd", random_state=random_state, max_iter=400)
    with warnings.catch_warnings():
        # Topics only need the strongest terms of each factor, which settle long before NMF meets its
        # tolerance on noisy short texts; an unconverged fit is not an error here, and the warning
        # would only reach the user's terminal (and break `--format json` output).
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    terms = np.asarray(vectorizer.get_feature_names_out())
    strongest = weights.argmax(1)
    strength = weights.max(1)
    cutoff = np.quantile(strength[strength > 0], 0.25) if (strength > 0).any() else 0.0
    topics = []
    for j in range(k):
        members = tuple(int(i) for i in np.flatnonzero((strongest == j) & (strength > max(cutoff, 1e-9))))
        if len(members) < min_texts:
            continue
        top = tuple(terms[np.argsort(model.components_[j])[::-1][:4]])
        topics.append(Topic(language, " / ".join(top[:3]), top, members))
    return topics
