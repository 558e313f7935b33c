"""Benchmark: `civicgrid.grids.index.locate()` against a bare shapely STRtree query.

    .venv/bin/python bench/grid_locate.py [--points N] [--repeat R]

Builds two grids in a throw-away SQLite database — a demo-sized one (~400 cells over Kangbashi)
and a large one (50,000 cells) — and, for each, times N random points through `locate()` (the
path every report takes) and through `tree.query(Point, predicate="intersects")` on the very same
STRtree. Same points for both, median of R repetitions. Needs nothing beyond the venv. The last line
of output is one JSON object (naming a grid that failed; exit status 1 then, else 0; see bench/needs.py).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402

DEMO_BBOX = (109.72, 39.57, 109.86, 39.64)  # min_lon, min_lat, max_lon, max_lat
DEMO_SHAPE = (28, 14)  # columns × rows of 0.005° squares = 392 cells
BIG_BBOX = (109.65, 39.50, 109.91, 39.70)
BIG_SHAPE = (250, 200)  # 50,000 cells
BLOCK = 10  # a community is BLOCK × BLOCK cells (≤ 999 cells per community)
COMMUNITIES_PER_STREET = 50  # ≤ 999 communities per street
DISTRICT = "150603"


def setup_django(db_path: Path) -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    os.environ["DJANGO_SETTINGS_MODULE"] = "civicgrid.settings"
    os.environ["SQLITE_PATH"] = str(db_path)
    os.environ["DATABASE_URL"] = ""  # always the throw-away SQLite file, never a configured server
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@dataclass
class Grid:
    name: str
    bbox: tuple[float, float, float, float]
    columns: int
    rows: int

    @property
    def cells(self) -> int:
        return self.columns * self.rows


def build_grid(grid: Grid) -> None:
    """Replace the grid in the database: one district, streets of communities of BLOCK×BLOCK square cells."""
    from django.db import transaction
    from shapely.geometry import box

    from civicgrid.grids import index
    from civicgrid.grids.models import Cell, CellMember, Community, District, Street
    from civicgrid.grids.services import grid_revision_bump

    min_lon, min_lat, max_lon, max_lat = grid.bbox
    dx = (max_lon - min_lon) / grid.columns
    dy = (max_lat - min_lat) / grid.rows
    block_cols = -(-grid.columns // BLOCK)
    block_rows = -(-grid.rows // BLOCK)

    def area(model, code, name, geom, **parents):
        obj = model(code=code, name=name, **parents)
        obj.set_shape(geom)
        return obj

    with transaction.atomic():
        # Plain DELETEs: nothing else refers to the grid in this throw-away database.
        for model in (CellMember, Cell, Community, Street, District):
            model.objects.all()._raw_delete(model.objects.db)

        district = area(District, DISTRICT, "基准区", box(*grid.bbox))
        district.save()

        # Communities are numbered west→east, north→south; every COMMUNITIES_PER_STREET make a street.
        blocks = [(br, bc) for br in range(block_rows) for bc in range(block_cols)]
        street_codes, community_of_block = {}, {}
        streets, communities = [], []
        for n, (br, bc) in enumerate(blocks):
            s_seq, c_seq = divmod(n, COMMUNITIES_PER_STREET)
            s_code = f"{DISTRICT}{s_seq + 1:03d}"
            if s_code not in street_codes:
                street_codes[s_code] = len(streets)
                streets.append(Street(code=s_code, name=f"街道{s_seq + 1}", district=district))
            c_code = f"{s_code}{c_seq + 1:03d}"
            top = max_lat - br * BLOCK * dy
            left = min_lon + bc * BLOCK * dx
            c_box = box(left, max(min_lat, top - BLOCK * dy), min(max_lon, left + BLOCK * dx), top)
            communities.append((s_code, area(Community, c_code, f"社区{n + 1}", c_box)))
            community_of_block[br, bc] = c_code
        Street.objects.bulk_create(streets)
        street_by_code = {s.code: s for s in Street.objects.all()}
        for s_code, community in communities:
            community.street = street_by_code[s_code]
        Community.objects.bulk_create([c for _, c in communities], batch_size=500)
        community_by_code = {c.code: c for c in Community.objects.all()}

        cells, seq = [], {}
        for r in range(grid.rows):  # north → south
            for c in range(grid.columns):  # west → east
                community = community_by_code[community_of_block[r // BLOCK, c // BLOCK]]
                seq[community.code] = seq.get(community.code, 0) + 1
                top = max_lat - r * dy
                left = min_lon + c * dx
                geom = box(left, top - dy, left + dx, top)
                cell = area(
                    Cell,
                    f"{community.code}{seq[community.code]:03d}",
                    f"格{r}-{c}",
                    geom,
                    community=community,
                    street_id=community.street_id,
                )
                cell.area_m2 = 0.0
                cells.append(cell)
        assert max(seq.values()) <= 999
        Cell.objects.bulk_create(cells, batch_size=2000)
        grid_revision_bump()
    index.invalidate()


def rate(fn, points) -> float:
    start = time.perf_counter()
    fn(points)
    return len(points) / (time.perf_counter() - start)


def run_locate(points) -> None:
    from civicgrid.grids.index import locate

    for lat, lon in points:
        locate(lat, lon)


def bench(grid: Grid, n_points: int, repeat: int, seed: int) -> dict:
    import shapely

    from civicgrid.grids import index
    from civicgrid.grids.models import Cell

    t0 = time.perf_counter()
    build_grid(grid)
    t_db = time.perf_counter() - t0
    assert Cell.objects.count() == grid.cells

    t0 = time.perf_counter()
    index.locate(39.6, 109.78)  # warm-up: builds the index
    t_index = time.perf_counter() - t0
    tree = index.get_index().tree

    rng = random.Random(seed)
    min_lon, min_lat, max_lon, max_lat = grid.bbox
    points = [(rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)) for _ in range(n_points)]

    def run_tree(pts) -> None:
        for lat, lon in pts:
            tree.query(shapely.Point(lon, lat), predicate="intersects")

    # Sanity: both find the same cells (every point is inside the grid, so every point has one).
    idx = index.get_index()
    for lat, lon in points[:200]:
        hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
        found = index.locate(lat, lon)
        assert found is not None and found is idx.cells[int(min(hits))], (lat, lon)

    locate_rates, tree_rates = [], []
    for _ in range(repeat):  # interleaved, so drift in machine load hits both alike
        locate_rates.append(rate(run_locate, points))
        tree_rates.append(rate(run_tree, points))
    locate_per_s = statistics.median(locate_rates)
    strtree_per_s = statistics.median(tree_rates)
    return {
        "name": grid.name,
        "cells": grid.cells,
        "points": n_points,
        "db_build_s": t_db,
        "index_build_s": t_index,
        "locate_per_s": locate_per_s,
        "strtree_per_s": strtree_per_s,
        "ratio": locate_per_s / strtree_per_s,
        "locate_us": 1e6 / locate_per_s,
        "strtree_us": 1e6 / strtree_per_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000, help="random points per run (default 20000)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions; the median is reported (default 3)"
    )
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()

    run = needs.Run("grid_locate")
    results = {}
    with tempfile.TemporaryDirectory(prefix="civicgrid-bench-") as tmp:
        with run.part("setup"):
            setup_django(Path(tmp) / "bench.sqlite3")
        for grid in (Grid("demo", DEMO_BBOX, *DEMO_SHAPE), Grid("large", BIG_BBOX, *BIG_SHAPE)):
            if "setup" not in run.failed:
                with run.part(grid.name):
                    results[grid.name] = bench(grid, args.points, args.repeat, args.seed)
        if "setup" not in run.failed:
            from django.db import connections

            connections.close_all()

    print(f"grid_locate: {args.points} random points per run, median of {args.repeat} runs")
    header = (
        f"{'grid':<6} {'cells':>7} {'db s':>6} {'index s':>8} {'locate/s':>10} {'µs':>6} "
        f"{'strtree/s':>10} {'µs':>6} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results.values():
        print(
            f"{r['name']:<6} {r['cells']:>7} {r['db_build_s']:>6.2f} {r['index_build_s']:>8.2f} "
            f"{r['locate_per_s']:>10,.0f} {r['locate_us']:>6.1f} {r['strtree_per_s']:>10,.0f} "
            f"{r['strtree_us']:>6.1f} {r['ratio']:>6.2f}"
        )
    figures = {}
    for prefix, r in (("", results.get("large")), ("demo_", results.get("demo"))):
        if r is not None:
            figures.update(
                {
                    f"{prefix}cells": r["cells"],
                    f"{prefix}locate_per_s": round(r["locate_per_s"]),
                    f"{prefix}strtree_per_s": round(r["strtree_per_s"]),
                    f"{prefix}ratio": round(r["ratio"], 3),
                }
            )
    run.finish(figures)


if __name__ == "__main__":
    main()
