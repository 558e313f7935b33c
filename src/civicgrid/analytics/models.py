"""Rollups (统计汇总): per local day counters of the case loop, one table per grouping set.

Every table inherits FlowCounts. Two kinds of counters live side by side:

- event counters (reported … me_too) count CaseEvents on the local day of the event; the department
  of an event counter is the event's department (as in `cases.indicators`), the street, cell,
  category and channel are the case's;
- registration-cohort counters (due_to_close … by_grid) count cases on the local day they were
  registered, under the case's current department; they change when a case registered that day is
  later closed, reopened or dispatched elsewhere.

`dims` is the key of the grouping set as text ("street|department|category|channel", empty parts
for "outside the grid" / "not dispatched"), so that the unique constraint holds for missing
dimensions too on SQLite and PostgreSQL alike. Rows are written only by `analytics.rollups`.

Each daily table has a monthly twin (`…Month`, `day` = the first of the month) holding the same
counters summed per month, so that a year reads 12 rows per group instead of 365.

`ROLLUPS` is the one list of grouping sets: each is declared once below (`_rollup` makes both of
its models), and everything that writes or picks a table (`rollups.apply_pending`, `rollups.rebuild`,
`selectors`, the admin, the tests) goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department
from civicgrid.cases.choices import Channel
from civicgrid.cases.models import Case
from civicgrid.grids.models import Cell, Street
from civicgrid.taxonomy.models import Category

EVENT_COUNTERS = (
    "reported",
    "registered",
    "registered_on_time",
    "rejected",
    "merged",
    "me_too",
    "dispatched",
    "returned",
    "handled",
    "handled_on_time",
    "reworked",
    "closed",
    "closed_on_time",
    "rated",
    "satisfied",
    "supervised",
)
COHORT_COUNTERS = ("due_to_close", "closed_now", "closed_on_time_now", "by_grid")
COUNTERS = EVENT_COUNTERS + COHORT_COUNTERS


def _counter(label: str) -> models.IntegerField:
    return models.IntegerField(label, default=0)


class FlowCounts(models.Model):
    """The counters of one local day of one grouping set (see the module docstring)."""

    day = models.DateField(_("日期"))
    dims = models.CharField(_("维度键"), max_length=80, default="", editable=False)

    reported = _counter(_("上报"))
    registered = _counter(_("立案"))
    registered_on_time = _counter(_("按时立案"))
    rejected = _counter(_("不予立案"))
    merged = _counter(_("并案"))
    me_too = _counter(_("附议"))
    dispatched = _counter(_("派遣"))
    returned = _counter(_("退回"))
    handled = _counter(_("处置反馈"))
    handled_on_time = _counter(_("按期处置"))
    reworked = _counter(_("返工"))
    closed = _counter(_("结案"))
    closed_on_time = _counter(_("按时结案 (结案环节)"))
    rated = _counter(_("评价"))
    satisfied = _counter(_("满意"))
    supervised = _counter(_("督办"))
    # registration cohort: of the cases registered on `day` …
    due_to_close = _counter(_("应结案"))
    closed_now = _counter(_("已结案"))
    closed_on_time_now = _counter(_("按期结案"))
    by_grid = _counter(_("监督举报"))

    class Meta:
        abstract = True
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.dims}"


def _fk(model, label):
    # Derived data: no database constraint to check on every one of millions of rebuilt rows
    # (the events and cases they come from hold the real references; PROTECT still applies).
    return models.ForeignKey(
        model,
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )


def _dimension(dim: str) -> models.Field:
    """The column of one dimension of a grouping set (see DIMENSIONS)."""
    if dim == "channel":
        return models.CharField(_("来源"), max_length=12, choices=Channel.choices)
    model, label = {
        "street": (Street, _("街道")),
        "cell": (Cell, _("单元网格")),
        "department": (Department, _("部门")),
        "category": (Category, _("分类")),
    }[dim]
    return _fk(model, label)


DIMENSIONS = ("street", "cell", "department", "category", "channel")


@dataclass(frozen=True)
class Rollup:
    """One grouping set: its dimensions (in the order of its `dims` key) and its two tables."""

    dims: tuple[str, ...]
    day: type[FlowCounts]
    month: type[FlowCounts]

    @property
    def tables(self) -> tuple[tuple[type[FlowCounts], str], ...]:
        """(model, grain) of the daily and the monthly table."""
        return (self.day, "day"), (self.month, "month")

    def answers(self, needed: set[str]) -> bool:
        """Its rows can be filtered or grouped by each of `needed` (a cell's street follows from the cell)."""
        return needed <= {*self.dims, *(["street"] if "cell" in self.dims else [])}


ROLLUPS: list[Rollup] = []  # every grouping set, smallest first: a reader takes the first that answers


def _rollup(
    name: str,
    key: str,
    dims: tuple[str, ...],
    day_name,
    month_name,
    doc: str,
    indexes: dict[str, tuple[str, ...]] | None = None,
    daily_only: tuple[str, ...] = (),
) -> tuple[type[FlowCounts], type[FlowCounts]]:
    """Declare a grouping set: the models `<name>Day` and `<name>Month` with a column per dimension,
    unique (day, dims) as `<key><grain>_unique` and an index `<key><grain>_<suffix>` on
    (columns…, day) per entry of `indexes` (those named in `daily_only` on the daily table only)."""
    tables = []
    for grain, verbose_name in (("day", day_name), ("month", month_name)):
        meta = type(
            "Meta",
            (FlowCounts.Meta,),
            {
                "verbose_name": verbose_name,
                # set, not left to Django's default (which would add an "s" to the Chinese)
                "verbose_name_plural": verbose_name,
                "constraints": [models.UniqueConstraint(fields=["day", "dims"], name=f"{key}{grain}_unique")],
                "indexes": [
                    models.Index(fields=[*columns, "day"], name=f"{key}{grain}_{suffix}")
                    for suffix, columns in (indexes or {}).items()
                    if grain == "day" or suffix not in daily_only
                ],
            },
        )
        attrs = {
            "__module__": __name__,
            "Meta": meta,
            **{dim: _dimension(dim) for dim in dims},
            "__doc__": doc if grain == "day" else f"{name}Day summed per month (day = the 1st).",
        }
        tables.append(type(f"{name}{grain.capitalize()}", (FlowCounts,), attrs))
    day, month = tables
    ROLLUPS.append(Rollup(dims, day, month))
    return day, month


CityDay, CityMonth = _rollup(
    "City", "city", (), _("全市日汇总"), _("全市月汇总"), "全市: the whole city per day."
)
ChannelDay, ChannelMonth = _rollup(
    "Channel",
    "channel",
    ("channel",),
    _("渠道日汇总"),
    _("渠道月汇总"),
    "来源渠道: per channel per day.",
)
StreetDay, StreetMonth = _rollup(
    "Street",
    "street",
    ("street",),
    _("街道日汇总"),
    _("街道月汇总"),
    "街道: per street per day (empty street = outside the grid).",
    {"street_idx": ("street",)},
)
DepartmentDay, DepartmentMonth = _rollup(
    "Department",
    "department",
    ("department",),
    _("部门日汇总"),
    _("部门月汇总"),
    "部门: per department per day (empty = not dispatched).",
    {"dept_idx": ("department",)},
)
CategoryDay, CategoryMonth = _rollup(
    "Category",
    "category",
    ("category",),
    _("分类日汇总"),
    _("分类月汇总"),
    "分类: per category per day (empty = not classified yet).",
    {"category_idx": ("category",)},
)
CellDay, CellMonth = _rollup(
    "Cell",
    "cell",
    ("cell",),
    _("网格日汇总"),
    _("网格月汇总"),
    "单元网格: per unit grid cell per day.",
    {"cell_idx": ("cell",)},
)
StreetDepartmentDay, StreetDepartmentMonth = _rollup(
    "StreetDepartment",
    "streetdept",
    ("street", "department"),
    _("街道部门日汇总"),
    _("街道部门月汇总"),
    "街道 × 部门: per street and department per day (the departments' indicators in a street read a few "
    "hundred rows here instead of the street's tens of thousands of cube rows).",
    {"street_idx": ("street",), "dept_idx": ("department",)},
)
CubeDay, CubeMonth = _rollup(
    "Cube",
    "cube",
    ("street", "department", "category", "channel"),
    _("组合日汇总"),
    _("组合月汇总"),
    "组合: street × department × category × channel per day, for combined filters.",
    {
        "street_idx": ("street",),
        "dept_idx": ("department",),
        "category_idx": ("category",),
        "street_dept_idx": ("street", "department"),
        "street_category_idx": ("street", "category"),
        "dept_category_idx": ("department", "category"),
    },
    # the two-dimension indexes on the daily cube only (the monthly cube has a thirtieth of its rows)
    daily_only=("street_dept_idx", "street_category_idx", "dept_category_idx"),
)
CellCubeDay, CellCubeMonth = _rollup(
    "CellCube",
    "cellcube",
    ("cell", "department", "category"),
    _("网格组合日汇总"),
    _("网格组合月汇总"),
    "网格组合: cell × department × category per day, for the cells under a department or category filter "
    "(the street follows from the cell).",
    # filter first (category, department or both, then the days), group by cell after
    {"category_idx": ("category",), "dept_idx": ("department",), "dept_cat_idx": ("department", "category")},
)


class CaseTally(models.Model):
    """What the rollups hold for one case: the dimensions its events were counted under and its
    registration-cohort contribution. `rollups.apply_pending` compares it with the case as it is now
    and moves the difference (a reclassified case moves its counted events to the new category)."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE, related_name="tally")
    street_id = models.IntegerField(null=True)
    cell_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=12)
    # cohort: registration day (None = not registered) and the case's department
    registered_day = models.DateField(null=True)
    department_id = models.IntegerField(null=True)
    closed = models.BooleanField(default=False)
    closed_on_time = models.BooleanField(default=False)
    by_grid = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("案件计数快照")
        verbose_name_plural = _("案件计数快照")

    def __str__(self) -> str:
        return f"tally {self.case_id}"
