"""The text classifier (文本分类): a report's text → a label (a category code, a department code, any label set).

Pure scikit-learn, CPU only, nothing downloaded at run time. What it does and why:

- **Normalised text.** Full-width forms become half-width (NFKC), letters lower case, every run of digits one
  `0`: a house number, a date or a phone number says nothing of the problem, and "3号楼" must teach what "12号楼"
  teaches.
- **Character 1–3-grams**, TF-IDF with sublinear term frequency (a word said five times in a letter is not five
  times the evidence). They are robust to typos, homophones and words no dictionary knows, and citizens' texts
  are short. jieba word n-grams can be added (`Settings.use_words`): on the demo city's held-out phrasings
  they lowered macro-F1 of short reports (0.891 → 0.877), raised that of letters a little (0.906 → 0.914)
  and cut the speed on letters to a third (2,556 → 813 texts/s), so they are off by default
  (`bench/classifier.py --csv-train … --csv-test … [--words]`).
- **A linear SVM** with class weights balanced against the label counts (rare labels are where a macro-F1 is
  lost), calibrated to probabilities by Platt scaling on internal folds, so that a suggestion can say "86 %".
  A logistic regression beside it (averaged) did no better on the held-out sets and was dropped.
- **Long texts.** A model trained on short titles sees a letter of several hundred characters as an
  unfamiliar, diluted vector. Two remedies, each worth about 0.8 points of macro-F1 on the demo city's held-out
  letters (`--no-letters`, `--no-pieces`):
  - the training set also holds made-up letters: a few training texts of one label joined (30 % as many as
    the training texts), so the model has seen long texts of every label;
  - a long text is also cut into pieces of about the training texts' typical length; each piece is
    classified, and the pieces vote with their confidence (a greeting or a "谢谢" is near uniform and barely
    counts). The letter's own prediction and the pieces' vote are averaged.
  Each text is still segmented and counted once: a long text's counts are the sum of its pieces'.

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
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n ])")
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


def words_of(text: str, ngrams: tuple[int, int]) -> list[str]:
    """The word n-grams of a text as one token list (jieba words; bigrams joined by a space)."""
    tokens = words(text)
    low, high = ngrams
    out = tokens if low <= 1 else []
    for n in range(max(2, low), high + 1):
        out = out + [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return out


def word_grams(tokens: list[str]) -> list[str]:
    """The analyser of the word counter: its input is already a list of word n-grams."""
    return tokens


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
    use_words: bool = False
    use_pieces: bool = True
    # A text longer than this many times the training texts' typical (90th percentile) length is also read
    # piece by piece.
    long_factor: float = 1.5
    # Letters made of several training texts of one label, as a share of the training texts: the models also
    # learn what a long text of each label looks like when only short ones were given.
    augment_long: float = 0.3


class TextClassifier:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.labels: list[str] = []
        self.piece_size = 0
        self.long_length = 0

    # -- training -----------------------------------------------------------------------------------------
    def fit(self, texts: list[str], labels: list[str]) -> TextClassifier:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
        from sklearn.frozen import FrozenEstimator
        from sklearn.svm import LinearSVC

        s = self.settings
        normal = [normalise(t) for t in texts]
        labels = list(labels)
        self.labels = sorted(set(labels))
        if len(self.labels) < 2:
            raise ValueError("a classifier needs at least two labels")
        lengths = np.array([len(t) for t in normal])
        self.piece_size = int(max(8, np.percentile(lengths, 50)))
        self.long_length = int(max(20, np.percentile(lengths, 90) * s.long_factor))
        if s.augment_long:
            rng = np.random.default_rng(2026)
            by_label: dict[str, list[int]] = {}
            for i, label in enumerate(labels):
                by_label.setdefault(label, []).append(i)
            for _ in range(int(len(normal) * s.augment_long)):
                label = labels[int(rng.integers(len(labels)))]
                chosen = rng.choice(by_label[label], size=int(rng.integers(3, 8)))
                normal.append("。".join(normal[j] for j in chosen))
                labels.append(label)
        y = np.asarray(labels)

        self.char_counter = CountVectorizer(analyzer="char", ngram_range=s.char_ngrams, dtype=np.float32)
        self.char_weights = TfidfTransformer(sublinear_tf=True)
        blocks = [self.char_weights.fit_transform(self.char_counter.fit_transform(normal))]
        self.word_counter = self.word_weights = None
        if s.use_words:
            self.word_counter = CountVectorizer(analyzer=word_grams, dtype=np.float32)
            self.word_weights = TfidfTransformer(sublinear_tf=True)
            tokens = [words_of(t, s.word_ngrams) for t in normal]
            blocks.append(self.word_weights.fit_transform(self.word_counter.fit_transform(tokens)))
        x = sparse.hstack(blocks, format="csr")

        smallest = min(int((y == label).sum()) for label in self.labels)
        folds = max(2, min(3, smallest))
        svm = LinearSVC(C=s.svm_c, class_weight="balanced")
        if smallest >= 2:
            self.svm = CalibratedClassifierCV(svm, method="sigmoid", cv=folds).fit(x, y)
        else:  # a label seen once cannot be calibrated on folds: calibrate on the training data itself
            everything = np.arange(x.shape[0])
            self.svm = CalibratedClassifierCV(
                FrozenEstimator(svm.fit(x, y)), method="sigmoid", cv=[(everything, everything)]
            ).fit(x, y)
        return self

    # -- prediction ---------------------------------------------------------------------------------------
    def _proba(self, x) -> np.ndarray:
        return self.svm.predict_proba(x)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """One row per text, one column per label (`self.labels`), rows summing to 1.

        Every text is segmented (jieba) and counted once: a long text's counts are the sum of its pieces'."""
        normal = [normalise(t) for t in texts]
        use_pieces = self.settings.use_pieces
        segments: list[str] = []
        owners: list[int] = []
        for i, text in enumerate(normal):
            parts = pieces(text, self.piece_size) if use_pieces and len(text) > self.long_length else [text]
            segments.extend(parts or [text])
            owners.extend([i] * len(parts or [text]))
        owner = np.asarray(owners)
        # texts × segments: sums the segments' counts into their text's
        gather = sparse.csr_matrix(
            (np.ones(len(owner), dtype=np.float32), (owner, np.arange(len(owner)))),
            shape=(len(normal), len(owner)),
        )
        counts = [(self.char_counter.transform(segments), self.char_weights)]
        if self.word_counter is not None:
            tokens = [words_of(t, self.settings.word_ngrams) for t in segments]
            counts.append((self.word_counter.transform(tokens), self.word_weights))
        whole = sparse.hstack([weights.transform(gather @ c) for c, weights in counts], format="csr")
        proba = self._proba(whole)
        split = np.bincount(owner, minlength=len(normal)) > 1
        if not split.any():
            return proba
        in_split = split[owner]
        part = sparse.hstack([weights.transform(c[in_split]) for c, weights in counts], format="csr")
        piece_proba = self._proba(part)
        piece_owner = owner[in_split]
        uniform = 1.0 / len(self.labels)
        weight = np.clip(piece_proba.max(axis=1) - uniform, 1e-6, None)
        votes = np.zeros_like(proba)
        np.add.at(votes, piece_owner, piece_proba * weight[:, None])
        totals = np.bincount(piece_owner, weights=weight, minlength=len(normal))
        rows = np.flatnonzero(split)
        proba[rows] = (proba[rows] + votes[rows] / totals[rows, None]) / 2
        return proba

    def predict(self, texts: list[str]) -> list[str]:
        proba = self.predict_proba(texts)
        return [self.labels[j] for j in proba.argmax(axis=1)]

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The `k` likeliest labels of one text with their probabilities, likeliest first."""
        row = self.predict_proba([text])[0]
        order = np.argsort(-row)[:k]
        return [(self.labels[j], float(row[j])) for j in order]
