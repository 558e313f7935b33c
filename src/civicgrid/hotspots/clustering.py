"""Hot issues (热点问题) as clusters of similar reports in space and time: pure functions over arrays.

ST-DBSCAN with a text gate. Two reports are neighbours when they are at most `eps_space` metres apart
(x, y from a local equirectangular projection), at most `eps_time` apart in time, and either share a
category or have texts at least `text_threshold` alike (`core.textsim`: cosine of character 2/3-grams).
A report is a core point when the reports of its neighbourhood (itself included) weigh at least
`min_samples`; a report's weight is 1 plus its me-too reports (附议) and merged duplicates (并案: the
intake counts each as one more me-too of its original). Clusters are scikit-learn's DBSCAN over that
neighbour graph (a precomputed sparse matrix), so border points and the order of assignment are its own.

Neighbour candidates come from a 3-D k-d tree (scipy cKDTree) over (x, y, t·eps_space/eps_time): a pair
within both limits is at most eps_space·√2 apart in that space; the candidates are then checked on each
limit exactly. The texts are compared only for the candidates of different categories, each distinct
pair of texts once, in chunks.

Heat (热度) = weight × distinct reporters × 0.5 ** (age / half-life), where weight is the cluster's
reports (me-too and merged ones included), age the time since its last report and the half-life
`HALF_LIFE_DAYS` (7 days): a hot issue nobody reported for a week counts half as much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN

from civicgrid.core.textsim import text_vectors

EPS_SPACE_M = 150.0
EPS_TIME_S = 7 * 86400.0
MIN_SAMPLES = 3
TEXT_THRESHOLD = 0.2
HALF_LIFE_DAYS = 7.0
EARTH_RADIUS_M = 6_371_008.8
REPRESENTATIVE_SAMPLE = 400  # members compared to pick a cluster's representative text
PAIR_CHUNK = 200_000  # text pairs compared at once


@dataclass(frozen=True)
class Params:
    eps_space: float = EPS_SPACE_M
    eps_time: float = EPS_TIME_S
    min_samples: int = MIN_SAMPLES
    text_threshold: float = TEXT_THRESHOLD


def project(lat, lon, *, lat0: float | None = None, lon0: float | None = None) -> np.ndarray:
    """Metres east and north of (lat0, lon0) (default: the points' mean), an (n, 2) array. Equirectangular:
    over a city (tens of km) its error is well under a metre per 100 m."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if lat0 is None:
        lat0 = float(lat.mean()) if len(lat) else 0.0
    if lon0 is None:
        lon0 = float(lon.mean()) if len(lon) else 0.0
    x = np.radians(lon - lon0) * math.cos(math.radians(lat0)) * EARTH_RADIUS_M
    y = np.radians(lat - lat0) * EARTH_RADIUS_M
    return np.column_stack([x, y])


def neighbour_pairs(xy, t, categories, texts, params: Params = Params()) -> np.ndarray:
    """The pairs (i < j) of reports that are neighbours, an (m, 2) int array."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    t = np.asarray(t, dtype=float)
    categories = np.asarray(categories)
    if len(t) < 2:
        return np.empty((0, 2), dtype=np.int64)
    scale = params.eps_space / params.eps_time
    tree = cKDTree(np.column_stack([xy, t * scale]))
    pairs = tree.query_pairs(params.eps_space * math.sqrt(2) * (1 + 1e-9), output_type="ndarray")
    if not len(pairs):
        return pairs.reshape(0, 2).astype(np.int64)
    i, j = pairs[:, 0], pairs[:, 1]
    d2 = ((xy[i] - xy[j]) ** 2).sum(axis=1)
    keep = (d2 <= params.eps_space**2) & (np.abs(t[i] - t[j]) <= params.eps_time)
    pairs = pairs[keep]
    i, j = pairs[:, 0], pairs[:, 1]
    same = categories[i] == categories[j]
    other = np.flatnonzero(~same)
    if len(other):
        same[other] = _alike(texts, pairs[other], params.text_threshold)
    return pairs[same].astype(np.int64)


def _alike(texts, pairs: np.ndarray, threshold: float) -> np.ndarray:
    """Whether the texts of each pair are at least `threshold` alike. Each distinct text is vectorised once
    and each distinct pair of texts compared once, PAIR_CHUNK pairs at a time (bounded memory)."""
    text_id: dict[str, int] = {}
    ids = np.array([text_id.setdefault(texts[k], len(text_id)) for k in range(len(texts))], dtype=np.int64)
    a, b = ids[pairs[:, 0]], ids[pairs[:, 1]]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys, back = np.unique(lo * len(text_id) + hi, return_inverse=True)
    first, second = keys // len(text_id), keys % len(text_id)
    involved = np.unique(np.concatenate([first, second]))
    row_of = np.full(len(text_id), -1, dtype=np.int64)
    row_of[involved] = np.arange(len(involved))
    distinct = list(text_id)
    vectors = text_vectors([distinct[k] for k in involved])
    cosine = np.empty(len(keys))
    for start in range(0, len(keys), PAIR_CHUNK):
        part = slice(start, start + PAIR_CHUNK)
        left = vectors[row_of[first[part]]]
        right = vectors[row_of[second[part]]]
        cosine[part] = np.asarray(left.multiply(right).sum(axis=1)).ravel()
    return (cosine >= threshold)[back.ravel()]


def cluster_labels(xy, t, categories, texts, weights=None, params: Params = Params()) -> np.ndarray:
    """DBSCAN labels of the reports: 0, 1, … per cluster (numbered by first appearance), -1 for noise."""
    n = len(t)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    pairs = neighbour_pairs(xy, t, categories, texts, params)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    # Distance 0.5 stands for "neighbour" (an explicit 0 could be dropped from a sparse matrix).
    graph = coo_matrix((np.full(len(rows), 0.5), (rows, cols)), shape=(n, n)).tocsr()
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    labels = DBSCAN(eps=1.0, min_samples=params.min_samples, metric="precomputed").fit_predict(
        graph, sample_weight=weights
    )
    # Number the clusters by their first member, so that the same data gives the same numbers.
    out = np.full(n, -1, dtype=np.int64)
    seen: dict[int, int] = {}
    for k, label in enumerate(labels):
        if label >= 0:
            out[k] = seen.setdefault(int(label), len(seen))
    return out


def heat(weight: float, reporters: int, age_seconds: float, half_life_days: float = HALF_LIFE_DAYS) -> float:
    """Reports × distinct reporters × 0.5 ** (age / half-life)."""
    age = max(0.0, age_seconds)
    return float(weight) * max(1, reporters) * 0.5 ** (age / (half_life_days * 86400.0))


def representative(texts) -> int:
    """Index of the text most similar to the others (the largest sum of cosines); at most
    REPRESENTATIVE_SAMPLE texts are compared (evenly spaced), ties to the first."""
    texts = list(texts)
    if len(texts) <= 2:
        return 0
    picks = np.unique(np.linspace(0, len(texts) - 1, min(len(texts), REPRESENTATIVE_SAMPLE)).astype(int))
    vectors = text_vectors([texts[k] for k in picks])
    scores = np.asarray((vectors @ vectors.T).sum(axis=1)).ravel()
    return int(picks[int(np.argmax(scores))])


def pairwise_scores(truth, predicted) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the truth (-1 is noise in both): of the
    pairs put together, how many belong together; of the pairs that belong together, how many are."""
    truth = np.asarray(truth)
    predicted = np.asarray(predicted)

    def pair_counts(labels_a, labels_b=None) -> int:
        keys = labels_a if labels_b is None else labels_a * (int(labels_b.max()) + 2) + labels_b
        _, counts = np.unique(keys, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    both = (truth >= 0) & (predicted >= 0)
    together_both = pair_counts(truth[both], predicted[both])
    together_predicted = pair_counts(predicted[predicted >= 0])
    together_truth = pair_counts(truth[truth >= 0])
    precision = together_both / together_predicted if together_predicted else 1.0
    recall = together_both / together_truth if together_truth else 1.0
    return precision, recall
