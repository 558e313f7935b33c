from django.conf import settings
from django.core.management.base import BaseCommand

from civicgrid.cases.models import Case
from civicgrid.codes.models import Code
from civicgrid.demo.bulk import build_bulk
from civicgrid.demo.city import DEMO_PASSWORD, build_city
from civicgrid.demo.codes import build_codes
from civicgrid.demo.history import build_history
from civicgrid.demo.town import build_town
from civicgrid.demo.points import build_points


class Command(BaseCommand):
    help = "Build (or bring up to date) the demo city around Kangbashi. Running it twice changes nothing."

    def add_arguments(self, parser):
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
        parser.add_argument("--days", type=int, default=365, help="with --bulk: the period the cases span")
        parser.add_argument("--seed", type=int, default=2026, help="with --bulk: the random seed")

    def handle(self, *args, cases: int, bulk: bool, days: int, seed: int, **options):
        summary = build_city()
        build_town()  # the gazetteer: roads, intersections, places (the drawn base map)
        codes_added = build_codes()
        if bulk:
            result = build_bulk(cases, seed=seed, days=days, progress=self.stderr.write)
            added = result.cases
            self.stdout.write(
                f"Bulk: {result.cases} cases, {result.events} events, {result.deadlines} deadlines "
                f"in {result.seconds:.1f} s ({result.open} open, {result.merged} merged)"
            )
        else:
            added = build_history(cases)
        build_points()  # after the history: volunteer hours, an honour, the public display
        out = self.stdout
        out.write(self.style.SUCCESS("Demo city ready: 鄂尔多斯市康巴什区"))
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
        out.write(f"  Site      {settings.SITE_URL}/")
        out.write(f"  Admin     {settings.SITE_URL}/admin/")
        out.write(f"  API docs  {settings.SITE_URL}/api/docs")
        out.write("")
        out.write(f"  Demo accounts (password for all: {DEMO_PASSWORD})")
        for role, phone, name in summary.accounts:
            out.write(f"    {role:<34} {phone}  {name}")
