"""Similarity of short Chinese texts (文本相似度), shared by duplicate hints, hot issues and reply checks.

Texts become L2-normalised vectors of character 2- and 3-grams through a hashing vectoriser: stateless (no
vocabulary to fit or store), so any two texts, today's or last year's, compare the same way. The cosine of two
vectors is their dot product. Digits and punctuation are dropped first: "3号楼" and "5号楼" should not make
two complaints about one broken lamp look different, and "！！！" should not make two unrelated ones alike.
"""

import re

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

_NOISE = re.compile(r"[\s\d\W_]+", re.UNICODE)

_VECTORISER = HashingVectorizer(
    analyzer="char",
    ngram_range=(2, 3),
    n_features=2**18,
    alternate_sign=False,
    norm="l2",
    preprocessor=lambda text: _NOISE.sub(" ", text.lower()).strip(),
)


def text_vectors(texts):
    """A sparse matrix with one L2-normalised row per text (an empty text is a row of zeros)."""
    return _VECTORISER.transform(list(texts))


def text_similarity(a: str, b: str) -> float:
    """Cosine similarity of two texts, 0.0 (nothing shared) … 1.0 (the same character n-grams)."""
    vectors = text_vectors([a, b])
    return float(vectors[0].multiply(vectors[1]).sum())


def similarity_matrix(left, right) -> np.ndarray:
    """Dense matrix of cosines: rows are the texts of `left`, columns those of `right`."""
    return (text_vectors(left) @ text_vectors(right).T).toarray()
