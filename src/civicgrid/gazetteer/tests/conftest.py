"""A small known gazetteer on the test city (109.76–109.79 × 39.60–39.62)."""

from __future__ import annotations

import json

import pytest

from civicgrid.codes.tests.conftest import codes, people  # noqa: F401  (the codes app's fixtures, reused)
from civicgrid.gazetteer.services import Row, places_save

# 人民路 runs west→east along 39.615; 建设大街 south→north along 109.775; 文化巷 west→east along 39.605.
RENMIN = {"type": "LineString", "coordinates": [[109.760, 39.615], [109.790, 39.615]]}
JIANSHE = {"type": "LineString", "coordinates": [[109.775, 39.600], [109.775, 39.620]]}
WENHUA = {"type": "LineString", "coordinates": [[109.762, 39.605], [109.772, 39.605]]}


@pytest.fixture
def gazetteer(world):
    rows = [
        Row("road", "人民路", 39.615, 109.775, road_class=1, line=json.dumps(RENMIN)),
        Row("road", "建设大街", 39.61, 109.775, road_class=1, line=json.dumps(JIANSHE)),
        Row("road", "文化巷", 39.605, 109.767, road_class=3, line=json.dumps(WENHUA)),
        Row("road", "人民东路", 39.619, 109.785, road_class=2),
        Row("intersection", "人民路与建设大街交叉口", 39.615, 109.775),
        Row("place", "第一小学", 39.612, 109.765, category="学校"),
        Row("place", "人民医院", 39.6175, 109.782, category="医院"),
        Row("community", "北苑社区", 39.6175, 109.77),
    ]
    places_save(rows=rows)
    return rows
