"""Clustering on generated reports with known clusters (no database)."""

from __future__ import annotations

import numpy as np

from civicgrid.hotspots import clustering
from civicgrid.hotspots.tests.generated import generated_reports


def test_known_clusters_are_found_with_pairwise_precision_and_recall_of_at_least_0_9():
    data = generated_reports(seed=7)
    xy = clustering.project(data.lat, data.lon)
    labels = clustering.cluster_labels(xy, data.t, data.categories, data.texts, data.weights)
    precision, recall = clustering.pairwise_scores(data.truth, labels)
    assert precision >= 0.9, precision
    assert recall >= 0.9, recall
    # Every known cluster is found as one cluster of its own.
    for name, members in data.clusters.items():
        found = set(labels[members])
        assert len(found) == 1 and -1 not in found, (name, found)
    assert len({int(labels[m[0]]) for m in data.clusters.values()}) == len(data.clusters)


def test_many_seeds_keep_precision_and_recall():
    for seed in range(5):
        data = generated_reports(seed=seed)
        labels = clustering.cluster_labels(
            clustering.project(data.lat, data.lon), data.t, data.categories, data.texts, data.weights
        )
        precision, recall = clustering.pairwise_scores(data.truth, labels)
        assert min(precision, recall) >= 0.9, (seed, precision, recall)


def test_close_in_space_but_different_texts_and_categories_stay_apart():
    data = generated_reports(seed=3)
    labels = clustering.cluster_labels(
        clustering.project(data.lat, data.lon), data.t, data.categories, data.texts, data.weights
    )
    assert labels[data.clusters["manholes"][0]] != labels[data.clusters["noise_at_night"][0]]


def test_different_categories_with_similar_texts_join():
    data = generated_reports(seed=3)
    labels = clustering.cluster_labels(
        clustering.project(data.lat, data.lon), data.t, data.categories, data.texts, data.weights
    )
    members = data.clusters["street_vendors"]
    assert len(set(data.categories[members])) > 1
    assert len(set(labels[members])) == 1


def test_a_cluster_with_a_gap_longer_than_eps_time_splits():
    data = generated_reports(seed=3)
    labels = clustering.cluster_labels(
        clustering.project(data.lat, data.lon), data.t, data.categories, data.texts, data.weights
    )
    assert labels[data.clusters["potholes_early"][0]] != labels[data.clusters["potholes_late"][0]]
    # With eps_time beyond the gap they are one.
    wide = clustering.Params(eps_time=30 * 86400)
    labels = clustering.cluster_labels(
        clustering.project(data.lat, data.lon), data.t, data.categories, data.texts, data.weights, wide
    )
    assert labels[data.clusters["potholes_early"][0]] == labels[data.clusters["potholes_late"][0]]


def test_weight_makes_a_core_point():
    # Two reports 20 m apart: noise; one of them with two me-too reports: a cluster of both.
    xy = np.array([[0.0, 0.0], [20.0, 0.0]])
    t = np.array([0.0, 3600.0])
    args = (xy, t, np.array([1, 1]), ["路灯不亮", "路灯坏了"])
    assert list(clustering.cluster_labels(*args, np.array([1, 1]))) == [-1, -1]
    assert list(clustering.cluster_labels(*args, np.array([3, 1]))) == [0, 0]


def test_text_threshold_gates_different_categories():
    xy = np.zeros((3, 2))
    t = np.zeros(3)
    texts = ["小区门口路灯不亮", "门口路灯不亮了", "路边有人乱倒建筑垃圾"]
    pairs = clustering.neighbour_pairs(xy, t, np.array([1, 2, 3]), texts)
    assert [tuple(p) for p in pairs] == [(0, 1)]
    strict = clustering.Params(text_threshold=0.99)
    assert len(clustering.neighbour_pairs(xy, t, np.array([1, 2, 3]), texts, strict)) == 0


def test_heat_is_reports_times_reporters_halved_every_half_life():
    assert clustering.heat(10, 5, 0) == 50
    assert clustering.heat(10, 5, 7 * 86400) == 25
    assert clustering.heat(10, 5, 14 * 86400) == 12.5
    assert clustering.heat(10, 5, 0) > clustering.heat(10, 4, 0) > clustering.heat(9, 4, 0)


def test_representative_is_the_text_most_like_the_others():
    texts = [
        "路灯坏了",
        "小区门口路灯不亮晚上很黑",
        "门口路灯不亮晚上很黑",
        "小区门口路灯不亮",
        "今天天气不错",
    ]
    assert clustering.representative(texts) in (1, 2)


def test_projection_metres():
    xy = clustering.project([39.6, 39.6], [109.8, 109.8 + 0.001], lat0=39.6, lon0=109.8)
    assert abs(xy[1, 0] - 85.7) < 0.5 and abs(xy[1, 1]) < 1e-9
