import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.core.errors import DomainError
from civicgrid.grids.cellgen import DEFAULT_SIZE_M, cells_generate, cells_plan
from civicgrid.grids.models import Community, Street


class Command(BaseCommand):
    help = (
        "Generate unit grid cells (单元网格) of SIZE metres inside a street's or a community's boundary, "
        "coded community + 3-digit sequence (west → east, north → south). --dry-run only previews."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the 9-digit street code or the 12-digit community code")
        parser.add_argument("--size", type=int, default=DEFAULT_SIZE_M, help="cell side in metres (100–200)")
        parser.add_argument("--dry-run", action="store_true", help="show the plan, save nothing")
        parser.add_argument("--geojson", type=Path, help="write the planned cells to this GeoJSON file")

    def handle(self, *args, code: str, size: int, dry_run: bool, geojson: Path | None, **options):
        area = (Community if len(code) == 12 else Street).objects.filter(code=code).first()
        if area is None:
            raise CommandError(f"no street or community with the code {code!r}")
        try:
            plan = cells_plan(area=area, size_m=size) if dry_run else cells_generate(area=area, size_m=size)
        except DomainError as err:
            raise CommandError(err.message_en) from err
        if geojson is not None:
            geojson.write_text(json.dumps(plan.geojson(), ensure_ascii=False), encoding="utf-8")
        for name, count in plan.counts().items():
            self.stdout.write(f"{name}: {count} cells")
        verb = "would create" if dry_run else "created"
        first, last = plan.cells[0].code, plan.cells[-1].code
        self.stdout.write(f"{verb} {len(plan.cells)} cells of {plan.size_m} m ({first} … {last})")
