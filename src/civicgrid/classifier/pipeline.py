"""The text classifier (文本分类): a report's text → a label (a category code, a department code, any label set).

Pure scikit-learn, CPU only, nothing downloaded at run time. What it does and why:

- **Normalised text.** Full-width forms become half-width (NFKC), letters lower case, every run of digits one
  `0`: a house number, a date or a phone number says nothing of the problem, and "3号楼" must teach what "12号楼"
  teaches.
- **Two views of the text.** Character 1–3-grams (robust to typos, homophones and words jieba does not know;
  citizens' texts are short) and jieba words with word bigrams (the meaning of longer texts). Both TF-IDF with
  sublinear term frequency: a word said five times in a letter is not five times the evidence.
- **Two linear models, averaged.** A linear SVM (calibrated to probabilities by Platt scaling on internal
  folds) and a multinomial logistic regression, both with class weights balanced against the label counts:
  rare labels are where a macro-F1 is lost.
- **Long texts read as their sentences too.** A model trained on short titles sees a letter of several
  hundred characters as an unfamiliar, diluted vector. A long text is therefore also cut into pieces of about
  the training texts' length; each piece is classified, and the pieces vote with their confidence (a greeting
  or a "谢谢" is near uniform and barely counts). The letter's own prediction and the pieces' vote are averaged.

The labels are whatever the training data holds; `TextClassifier.labels` lists them in the order of the
probability columns.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from scipy import sparse

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
# Where a long text is cut: sentence ends first; commas only inside an over-long sentence.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = _DIGITS.sub("0", text)
    return _SPACES.sub(" ", text).strip()


_jieba = None


def words(text: str) -> list[str]:
    """jieba's words of a normalised text, without spaces and punctuation-only tokens."""
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _jieba = jieba
    return [w for w in _jieba.lcut(text, HMM=False) if w.strip() and not _is_punctuation(w)]


def _is_punctuation(token: str) -> bool:
    return all(unicodedata.category(ch).startswith(("P", "S", "Z")) for ch in token)


def pieces(text: str, size: int) -> list[str]:
    """A long text cut into pieces of about `size` characters, at sentence ends, then at commas."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if len(sentence) <= 2 * size:
            out.append(sentence)
            continue
        buffer = ""
        for clause in _CLAUSE_END.split(sentence):
            if buffer and len(buffer) + len(clause) > size:
                out.append(buffer)
                buffer = ""
            buffer += clause
        if buffer:
            out.append(buffer)
    # Tiny fragments ("谢谢！") join their neighbour rather than vote alone.
    merged: list[str] = []
    for piece in out:
        if merged and (len(piece) < size // 3 or len(merged[-1]) < size // 3):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


@dataclass(frozen=True)
class Settings:
    """The knobs; the defaults are what `civicgrid classifier train` uses."""

    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)
    svm_c: float = 0.5
    logistic_c: float = 20.0
    use_words: bool = True
    use_pieces: bool = True
    # A text longer than this many times the training texts' typical (90th percentile) length is also read
    # piece by piece.
    long_factor: float = 1.5


class TextClassifier:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.labels: list[str] = []
        self.piece_size = 0
        self.long_length = 0

    # -- training -----------------------------------------------------------------------------------------
    def fit(self, texts: list[str], labels: list[str]) -> TextClassifier:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        s = self.settings
        normal = [normalise(t) for t in texts]
        y = np.asarray(labels)
        self.labels = sorted(set(labels))
        if len(self.labels) < 2:
            raise ValueError("a classifier needs at least two labels")
        lengths = np.array([len(t) for t in normal])
        self.piece_size = int(max(8, np.percentile(lengths, 50)))
        self.long_length = int(max(20, np.percentile(lengths, 90) * s.long_factor))

        self.char_vectoriser = TfidfVectorizer(
            analyzer="char", ngram_range=s.char_ngrams, sublinear_tf=True, min_df=1, dtype=np.float32
        )
        blocks = [self.char_vectoriser.fit_transform(normal)]
        self.word_vectoriser = None
        if s.use_words:
            self.word_vectoriser = TfidfVectorizer(
                tokenizer=words,
                lowercase=False,
                token_pattern=None,
                ngram_range=s.word_ngrams,
                sublinear_tf=True,
                dtype=np.float32,
            )
            blocks.append(self.word_vectoriser.fit_transform(normal))
        x = sparse.hstack(blocks, format="csr")

        smallest = min(int((y == label).sum()) for label in self.labels)
        folds = max(2, min(3, smallest))
        svm = LinearSVC(C=s.svm_c, class_weight="balanced")
        if smallest >= 2:
            self.svm = CalibratedClassifierCV(svm, method="sigmoid", cv=folds).fit(x, y)
        else:  # a label seen once cannot be calibrated on folds: calibrate on the training data itself
            self.svm = CalibratedClassifierCV(svm.fit(x, y), method="sigmoid", cv="prefit").fit(x, y)
        self.logistic = LogisticRegression(C=s.logistic_c, class_weight="balanced", max_iter=2000).fit(x, y)
        return self

    # -- prediction ---------------------------------------------------------------------------------------
    def _features(self, normal: list[str]):
        blocks = [self.char_vectoriser.transform(normal)]
        if self.word_vectoriser is not None:
            blocks.append(self.word_vectoriser.transform(normal))
        return sparse.hstack(blocks, format="csr")

    def _proba(self, normal: list[str]) -> np.ndarray:
        x = self._features(normal)
        return (self.svm.predict_proba(x) + self.logistic.predict_proba(x)) / 2

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per label (`self.labels`), rows summing to 1."""
        normal = [normalise(t) for t in texts]
        proba = self._proba(normal)
        if not self.settings.use_pieces:
            return proba
        long_rows = [i for i, t in enumerate(normal) if len(t) > self.long_length]
        if not long_rows:
            return proba
        owners: list[int] = []
        texts_of_pieces: list[str] = []
        for i in long_rows:
            for piece in pieces(normal[i], self.piece_size):
                owners.append(i)
                texts_of_pieces.append(piece)
        piece_proba = self._proba(texts_of_pieces)
        uniform = 1.0 / len(self.labels)
        weight = np.clip(piece_proba.max(axis=1) - uniform, 1e-6, None)
        owners_arr = np.asarray(owners)
        for i in long_rows:
            mine = owners_arr == i
            vote = (piece_proba[mine] * weight[mine, None]).sum(axis=0) / weight[mine].sum()
            proba[i] = (proba[i] + vote) / 2
        return proba

    def predict(self, texts: list[str]) -> list[str]:
        proba = self.predict_proba(texts)
        return [self.labels[j] for j in proba.argmax(axis=1)]

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The `k` likeliest labels of one text with their probabilities, likeliest first."""
        row = self.predict_proba([text])[0]
        order = np.argsort(-row)[:k]
        return [(self.labels[j], float(row[j])) for j in order]
