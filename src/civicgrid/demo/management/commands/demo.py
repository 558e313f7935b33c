import csv
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicgrid.analytics.rollups import apply_pending
from civicgrid.cases.models import Case
from civicgrid.codes.models import Code
from civicgrid.demo import report
from civicgrid.demo.bulk import build_bulk
from civicgrid.demo.calibration import CALM, STRESSED
from civicgrid.demo.city import DEMO_PASSWORD, build_city
from civicgrid.demo.classifier import train_classifiers
from civicgrid.demo.codes import build_codes
from civicgrid.demo.evaluation import build_evaluation
from civicgrid.demo.history import build_bursts, build_history
from civicgrid.demo.points import build_points
from civicgrid.demo.texts import SPLITS, STYLES, labelled
from civicgrid.demo.town import build_town
from civicgrid.hotspots.services import hot_issues_refresh


class Command(BaseCommand):
    help = (
        "Build (or bring up to date) the demo city around Kangbashi. Running it twice changes nothing. "
        "`demo texts --split train|heldout --n N --out FILE.csv [--label category|department]` writes "
        "labelled report texts (demo/texts.py) for training or evaluating a classifier instead."
    )
    MAX_TEXTS = 200_000

    def add_arguments(self, parser):
        parser.add_argument(
            "what",
            nargs="?",
            choices=["city", "texts"],
            default="city",
            help="city (default): build the demo city; texts: write a labelled CSV of report texts",
        )
        parser.add_argument("--split", choices=SPLITS, default="train", help="texts: train or heldout")
        parser.add_argument("--n", type=int, default=2000, help="texts: how many rows (default 2000)")
        parser.add_argument(
            "--out", type=Path, help="texts: the CSV file to write (UTF-8, header text,label)"
        )
        parser.add_argument(
            "--label",
            choices=["category", "department"],
            default="category",
            help="texts: the category as kind:code (matter:06010) or the code of the department the "
            "demo's routing rules give it (a street-level matter: the street office of the place)",
        )
        parser.add_argument(
            "--style",
            choices=STYLES,
            help="texts: of this style only (mailbox: letters; default: the demo's mix)",
        )
        parser.add_argument(
            "--common",
            action="store_true",
            help="texts: only the categories the demo city's history holds (what its classifier learns)",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=3000,
            help="historical cases to replay through the case loop (default 3000)",
        )
        parser.add_argument(
            "--bulk",
            action="store_true",
            help="write the cases in bulk (COPY / executemany) instead of replaying them: for "
            "millions of cases. Each run APPENDS --cases more cases (no skipping).",
        )
        parser.add_argument("--days", type=int, default=365, help="the period the cases span (default 365)")
        parser.add_argument("--seed", type=int, default=2026, help="with --bulk: the random seed")
        parser.add_argument(
            "--stressed",
            action="store_true",
            help="a city under strain: slow steps, many cases stuck past their limits (red lights) "
            "instead of a centre that closes most cases on time (demo/calibration.py)",
        )

    def handle(
        self, *args, what: str, cases: int, bulk: bool, days: int, seed: int, stressed: bool, **options
    ):
        if what == "texts":
            return self.texts(
                options["split"],
                options["n"],
                seed,
                options["out"],
                options["label"],
                options["common"],
                options["style"],
            )
        out = self.stdout
        progress = report.Progress(out.write)
        profile = STRESSED if stressed else CALM
        with progress.step("The city: grid, departments, categories, routing rules, accounts") as done:
            summary = build_city()
            done(
                f"{summary.streets} streets, {summary.cells} cells, {summary.departments} departments, "
                f"{summary.categories} categories, {summary.users} users"
            )
        with progress.step("The town: roads, intersections, places (地名地址库, the drawn base map)") as done:
            places = build_town()
            done(f"{places} places added")
        with progress.step("QR codes (码上生活)") as done:
            codes_added = build_codes()
            done(f"{codes_added} added")
        if bulk:
            with progress.step(f"{cases:,} cases in bulk") as done:
                result = build_bulk(cases, seed=seed, days=days, progress=out.write, profile=profile)
                added = result.cases
                done(
                    f"Bulk: {result.cases} cases, {result.events} events, {result.deadlines} deadlines "
                    f"in {result.seconds:.1f} s ({result.open} open, {result.merged} merged)"  # bench/dashboard.py reads it
                )
        else:
            with progress.step(
                f"{cases:,} cases of the past {days} days through the case loop ({profile.name})"
            ) as done:
                added = build_history(cases, days=days, profile=profile, progress=progress.cases)
                done(f"{added} added")
        with progress.step("Citizen points: volunteer hours, an honour, the public display") as done:
            entries = build_points()  # after the history
            done(f"{entries} ledger entries added")
        with progress.step(
            "Civilized-city evaluation (文明城市测评): edition, sites, a closed and an open round"
        ) as done:
            done(build_evaluation())
        with progress.step("Hot issues (热点问题): problems many people report this week") as done:
            reports = build_bursts(profile=profile)
            while apply_pending():  # their events in the statistics now, not at the worker's first pass
                pass
            refreshed = hot_issues_refresh(full=True)
            done(f"{reports} reports added, {refreshed.issues} hot issues")
        with progress.step("The classifiers (智能分类) on the handled cases") as done:
            done("; ".join(train_classifiers()))
        out.write(self.style.SUCCESS(f"Demo city ready: 鄂尔多斯市康巴什区 ({progress.elapsed()})"))
        out.write(
            f"  {summary.streets} streets, {summary.communities} communities, {summary.cells} unit grid cells"
        )
        out.write(
            f"  {Case.objects.count()} cases ({added} added now) over the past year, "
            f"{Code.objects.count()} QR codes ({codes_added} added now)"
        )
        out.write(
            f"  {summary.departments} departments, {summary.categories} categories, "
            f"{summary.routing_rules} routing rules, {summary.users} users"
        )
        out.write("")
        for line in report.site_lines(os.environ.get("CIVICGRID_BIND")):
            out.write(line)
        out.write("")
        for line in report.accounts_lines(DEMO_PASSWORD):
            out.write(line)

    def texts(
        self, split: str, n: int, seed: int, path: Path | None, label: str, common: bool = False, style=None
    ) -> None:
        if path is None:
            raise CommandError("请用 --out 指定要写入的 CSV 文件 / give the CSV file to write with --out")
        if not 1 <= n <= self.MAX_TEXTS:
            raise CommandError(
                f"--n 必须在 1 到 {self.MAX_TEXTS} 之间 / --n must be between 1 and {self.MAX_TEXTS}"
            )
        rows = labelled(n, seed=seed, split=split, label=label, common_only=common, style=style)
        try:
            with path.open("w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["text", "label"])
                writer.writerows(rows)
        except OSError as exc:
            raise CommandError(
                f"无法写入 {path}：{exc.strerror} / cannot write {path}: {exc.strerror}"
            ) from exc
        self.stdout.write(f"{len(rows)} {split} texts labelled by {label} written to {path}")
