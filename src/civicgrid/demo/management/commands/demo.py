from django.conf import settings
from django.core.management.base import BaseCommand

from civicgrid.cases.models import Case
from civicgrid.codes.models import Code
from civicgrid.demo.city import DEMO_PASSWORD, build_city
from civicgrid.demo.codes import build_codes
from civicgrid.demo.history import build_history


class Command(BaseCommand):
    help = "Build (or bring up to date) the demo city around Kangbashi. Running it twice changes nothing."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=3000,
                            help="historical cases to replay through the case loop (default 3000)")

    def handle(self, *args, cases: int, **options):
        summary = build_city()
        codes_added = build_codes()
        added = build_history(cases)
        out = self.stdout
        out.write(self.style.SUCCESS("Demo city ready: 鄂尔多斯市康巴什区"))
        out.write(f"  {summary.streets} streets, {summary.communities} communities, {summary.cells} unit grid cells")
        out.write(f"  {Case.objects.count()} cases ({added} added now) over the past year, "
                  f"{Code.objects.count()} QR codes ({codes_added} added now)")
        out.write(f"  {summary.departments} departments, {summary.categories} categories, "
                  f"{summary.routing_rules} routing rules, {summary.users} users")
        out.write("")
        out.write(f"  Site      {settings.SITE_URL}/")
        out.write(f"  Admin     {settings.SITE_URL}/admin/")
        out.write(f"  API docs  {settings.SITE_URL}/api/docs")
        out.write("")
        out.write(f"  Demo accounts (password for all: {DEMO_PASSWORD})")
        for role, phone, name in summary.accounts:
            out.write(f"    {role:<34} {phone}  {name}")
