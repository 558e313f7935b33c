"""Unit grid cells generated inside a boundary: coverage, numbering, refusals, the index, the command."""

from __future__ import annotations

import io
import json
import math

import pytest
import shapely
from django.core.management import CommandError, call_command
from shapely.geometry import Polygon, box

from civicgrid.core.errors import Conflict, DomainError
from civicgrid.grids import index
from civicgrid.grids.cellgen import cells_generate, cells_plan
from civicgrid.grids.importer import _area_m2
from civicgrid.grids.models import Cell, Community, District, Street

pytestmark = pytest.mark.django_db

# An L-shaped community of about 600 m × 450 m with a slanted edge (slivers along it).
LAT = 39.80
DLON, DLAT = 1 / (111_320 * math.cos(math.radians(LAT))), 1 / 110_574  # one metre
L_SHAPE = Polygon(
    [
        (109.90, LAT),
        (109.90 + 600 * DLON, LAT),
        (109.90 + 600 * DLON, LAT + 200 * DLAT),
        (109.90 + 330 * DLON, LAT + 210 * DLAT),
        (109.90 + 310 * DLON, LAT + 455 * DLAT),
        (109.90, LAT + 455 * DLAT),
    ]
)
SECOND = box(109.90 + 600 * DLON, LAT, 109.90 + 900 * DLON, LAT + 200 * DLAT)


def area(model, code, name, geom, **parents):
    obj = model(code=code, name=name, **parents)
    if geom is not None:
        obj.set_shape(geom)
    obj.save()
    return obj


@pytest.fixture
def street(db):
    district = area(District, "150602", "东胜区", L_SHAPE.union(SECOND).envelope)
    street = area(Street, "150602001", "交通街道", L_SHAPE.union(SECOND).envelope, district=district)
    area(Community, "150602001001", "东苑社区", L_SHAPE, street=street)
    area(Community, "150602001002", "西苑社区", SECOND, street=street)
    return street


def test_cells_cover_the_community_without_gap_or_overlap(street):
    community = Community.objects.get(code="150602001001")
    plan = cells_plan(area=community, size_m=150)
    geoms = [c.geometry for c in plan.cells]
    union = shapely.union_all(geoms)
    assert union.symmetric_difference(L_SHAPE).area < L_SHAPE.area * 1e-9
    assert abs(sum(g.area for g in geoms) - union.area) < L_SHAPE.area * 1e-9  # no overlap
    full = _area_m2(box(109.90, LAT, 109.90 + 150 * DLON, LAT + 150 * DLAT))
    sizes = [c.area_m2 for c in plan.cells]
    assert min(sizes) >= 0.2 * full * 0.99  # slivers were merged into neighbours
    assert max(sizes) <= 2.0 * full
    assert Cell.objects.count() == 0  # a plan writes nothing


def test_cells_are_numbered_west_to_east_then_north_to_south(street):
    plan = cells_plan(area=Community.objects.get(code="150602001001"), size_m=150)
    codes = [c.code for c in plan.cells]
    assert codes == [f"150602001001{i:03d}" for i in range(1, len(codes) + 1)]
    first, second = plan.cells[0].geometry.centroid, plan.cells[1].geometry.centroid
    assert first.x < second.x and abs(first.y - second.y) < 150 * DLAT  # same row, west first
    assert plan.cells[-1].geometry.centroid.y < first.y  # the last row is the southernmost
    north_west = plan.cells[0].geometry.bounds
    assert math.isclose(north_west[0], 109.90) and math.isclose(north_west[3], L_SHAPE.bounds[3])


def test_generating_saves_every_community_of_a_street_and_rebuilds_the_index(
    street, django_capture_on_commit_callbacks
):
    point = (LAT + 100 * DLAT, 109.90 + 750 * DLON)  # inside 西苑社区
    assert index.get_index().locate(*point) is None
    with django_capture_on_commit_callbacks(execute=True):
        plan = cells_generate(area=street, size_m=100)
    assert Cell.objects.count() == len(plan.cells) > 20
    assert set(Cell.objects.values_list("street__code", flat=True)) == {"150602001"}
    cell = index.get_index().locate(*point)
    assert cell is not None and cell.code.startswith("150602001002")
    stored = Cell.objects.get(code=cell.code)
    assert stored.area_m2 > 0 and stored.shape.within(SECOND.buffer(1e-9))


def test_a_second_generation_is_refused_and_changes_nothing(street):
    cells_generate(area=street, size_m=200)
    before = list(Cell.objects.order_by("code").values_list("code", "min_lon"))
    with pytest.raises(Conflict, match="already has unit grid cells"):
        cells_generate(area=Community.objects.get(code="150602001002"), size_m=100)
    assert list(Cell.objects.order_by("code").values_list("code", "min_lon")) == before


@pytest.mark.parametrize("size", [50, 99, 201, "abc", "", None])
def test_a_cell_size_outside_100_to_200_m_is_refused(street, size):
    with pytest.raises(DomainError) as err:
        cells_generate(area=street, size_m=size)
    assert err.value.field == "size_m" and "100–200" in err.value.message_zh
    assert Cell.objects.count() == 0


def test_a_community_without_a_boundary_is_refused(street):
    bare = area(Community, "150602001003", "无界社区", None, street=street)
    with pytest.raises(DomainError, match="no community boundary"):
        cells_plan(area=bare)


def test_the_command_previews_then_saves(street, tmp_path):
    out, preview = io.StringIO(), tmp_path / "plan.geojson"
    call_command(
        "generate_cells", "150602001001", "--size", "150", "--dry-run", "--geojson", str(preview), stdout=out
    )
    assert "would create" in out.getvalue() and Cell.objects.count() == 0
    features = json.loads(preview.read_text(encoding="utf-8"))["features"]
    planned = [f for f in features if f["properties"]["kind"] == "cell"]
    assert planned[0]["properties"]["code"] == "150602001001001"
    call_command("generate_cells", "150602001001", "--size", "150", stdout=out)
    assert Cell.objects.count() == len(planned)
    with pytest.raises(CommandError, match="already has"):
        call_command("generate_cells", "150602001001", stdout=out)
    with pytest.raises(CommandError, match="no street or community"):
        call_command("generate_cells", "999999999", stdout=out)
