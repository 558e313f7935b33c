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
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.models import Department
from civicgrid.cases.choices import Channel
from civicgrid.cases.models import Case
from civicgrid.grids.models import Cell, Street
from civicgrid.taxonomy.models import Category

EVENT_COUNTERS = (
    "reported", "registered", "registered_on_time", "rejected", "merged", "me_too", "dispatched", "returned",
    "handled", "handled_on_time", "reworked", "closed", "closed_on_time", "rated", "satisfied", "supervised",
)
COHORT_COUNTERS = ("due_to_close", "closed_now", "closed_on_time_now", "by_grid")
COUNTERS = EVENT_COUNTERS + COHORT_COUNTERS


def _counter(label: str) -> models.IntegerField:
    return models.IntegerField(label, default=0)


class FlowCounts(models.Model):
    """The counters of one local day of one grouping set (see the module docstring)."""

    day = models.DateField(_("日期 day"))
    dims = models.CharField(_("维度键 dimension key"), max_length=80, default="", editable=False)

    reported = _counter(_("上报 reported"))
    registered = _counter(_("立案 registered"))
    registered_on_time = _counter(_("按时立案 registered on time"))
    rejected = _counter(_("不予立案 rejected"))
    merged = _counter(_("并案 merged"))
    me_too = _counter(_("附议 me too"))
    dispatched = _counter(_("派遣 dispatched"))
    returned = _counter(_("退回 returned"))
    handled = _counter(_("处置反馈 handled"))
    handled_on_time = _counter(_("按期处置 handled on time"))
    reworked = _counter(_("返工 reworked"))
    closed = _counter(_("结案 closed"))
    closed_on_time = _counter(_("按时结案 (结案环节) closed within the closing limit"))
    rated = _counter(_("评价 rated"))
    satisfied = _counter(_("满意 satisfied"))
    supervised = _counter(_("督办 supervised"))
    # registration cohort: of the cases registered on `day` …
    due_to_close = _counter(_("应结案 registered that day"))
    closed_now = _counter(_("已结案 of those, closed now"))
    closed_on_time_now = _counter(_("按期结案 of those, closed with every step on time"))
    by_grid = _counter(_("监督举报 of those, reported by grid members"))

    class Meta:
        abstract = True
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.dims}"


def _fk(model, label):
    # Derived data: no database constraint to check on every one of millions of rebuilt rows
    # (the events and cases they come from hold the real references; PROTECT still applies).
    return models.ForeignKey(model, verbose_name=label, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", db_index=False, db_constraint=False)


def _unique(name: str) -> list[models.UniqueConstraint]:
    return [models.UniqueConstraint(fields=["day", "dims"], name=name)]


class CityDay(FlowCounts):
    """全市: the whole city per day."""

    class Meta(FlowCounts.Meta):
        verbose_name = _("全市日汇总 city day")
        verbose_name_plural = _("全市日汇总 city days")
        constraints = _unique("cityday_unique")


class StreetDay(FlowCounts):
    """街道: per street per day (empty street = outside the grid)."""

    street = _fk(Street, _("街道 street"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("街道日汇总 street day")
        verbose_name_plural = _("街道日汇总 street days")
        constraints = _unique("streetday_unique")
        indexes = [models.Index(fields=["street", "day"], name="streetday_street_idx")]


class CellDay(FlowCounts):
    """单元网格: per unit grid cell per day."""

    cell = _fk(Cell, _("单元网格 cell"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("网格日汇总 cell day")
        verbose_name_plural = _("网格日汇总 cell days")
        constraints = _unique("cellday_unique")
        indexes = [models.Index(fields=["cell", "day"], name="cellday_cell_idx")]


class DepartmentDay(FlowCounts):
    """部门: per department per day (empty = not dispatched)."""

    department = _fk(Department, _("部门 department"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("部门日汇总 department day")
        verbose_name_plural = _("部门日汇总 department days")
        constraints = _unique("departmentday_unique")
        indexes = [models.Index(fields=["department", "day"], name="departmentday_dept_idx")]


class CategoryDay(FlowCounts):
    """分类: per category per day (empty = not classified yet)."""

    category = _fk(Category, _("分类 category"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("分类日汇总 category day")
        verbose_name_plural = _("分类日汇总 category days")
        constraints = _unique("categoryday_unique")
        indexes = [models.Index(fields=["category", "day"], name="categoryday_category_idx")]


class ChannelDay(FlowCounts):
    """来源渠道: per channel per day."""

    channel = models.CharField(_("来源 channel"), max_length=12, choices=Channel.choices)

    class Meta(FlowCounts.Meta):
        verbose_name = _("渠道日汇总 channel day")
        verbose_name_plural = _("渠道日汇总 channel days")
        constraints = _unique("channelday_unique")


class CubeDay(FlowCounts):
    """组合: street × department × category × channel per day, for combined filters."""

    street = _fk(Street, _("街道 street"))
    department = _fk(Department, _("部门 department"))
    category = _fk(Category, _("分类 category"))
    channel = models.CharField(_("来源 channel"), max_length=12, choices=Channel.choices)

    class Meta(FlowCounts.Meta):
        verbose_name = _("组合日汇总 cube day")
        verbose_name_plural = _("组合日汇总 cube days")
        constraints = _unique("cubeday_unique")
        indexes = [
            models.Index(fields=["street", "day"], name="cubeday_street_idx"),
            models.Index(fields=["department", "day"], name="cubeday_dept_idx"),
            models.Index(fields=["category", "day"], name="cubeday_category_idx"),
            models.Index(fields=["street", "department", "day"], name="cubeday_street_dept_idx"),
            models.Index(fields=["street", "category", "day"], name="cubeday_street_category_idx"),
            models.Index(fields=["department", "category", "day"], name="cubeday_dept_category_idx"),
        ]


class StreetDepartmentDay(FlowCounts):
    """街道 × 部门: per street and department per day (the departments' indicators in a street read
    a few hundred rows here instead of the street's tens of thousands of cube rows)."""

    street = _fk(Street, _("街道 street"))
    department = _fk(Department, _("部门 department"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("街道部门日汇总 street department day")
        verbose_name_plural = _("街道部门日汇总 street department days")
        constraints = _unique("streetdeptday_unique")
        indexes = [models.Index(fields=["street", "day"], name="streetdeptday_street_idx"),
                   models.Index(fields=["department", "day"], name="streetdeptday_dept_idx")]


class CellCubeDay(FlowCounts):
    """网格组合: cell × department × category per day, for the cells under a department or category
    filter (the street follows from the cell)."""

    cell = _fk(Cell, _("单元网格 cell"))
    department = _fk(Department, _("部门 department"))
    category = _fk(Category, _("分类 category"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("网格组合日汇总 cell cube day")
        verbose_name_plural = _("网格组合日汇总 cell cube days")
        constraints = _unique("cellcubeday_unique")
        # filter first (category, department or both, then the days), group by cell after
        indexes = [
            models.Index(fields=["category", "day"], name="cellcubeday_category_idx"),
            models.Index(fields=["department", "day"], name="cellcubeday_dept_idx"),
            models.Index(fields=["department", "category", "day"], name="cellcubeday_dept_cat_idx"),
        ]


class CityMonth(FlowCounts):
    """全市月汇总: CityDay summed per month (day = the 1st)."""

    class Meta(FlowCounts.Meta):
        verbose_name = _("全市月汇总 city month")
        verbose_name_plural = _("全市月汇总 city months")
        constraints = _unique("citymonth_unique")


class StreetMonth(FlowCounts):
    """街道月汇总."""

    street = _fk(Street, _("街道 street"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("街道月汇总 street month")
        verbose_name_plural = _("街道月汇总 street months")
        constraints = _unique("streetmonth_unique")
        indexes = [models.Index(fields=["street", "day"], name="streetmonth_street_idx")]


class CellMonth(FlowCounts):
    """网格月汇总."""

    cell = _fk(Cell, _("单元网格 cell"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("网格月汇总 cell month")
        verbose_name_plural = _("网格月汇总 cell months")
        constraints = _unique("cellmonth_unique")
        indexes = [models.Index(fields=["cell", "day"], name="cellmonth_cell_idx")]


class DepartmentMonth(FlowCounts):
    """部门月汇总."""

    department = _fk(Department, _("部门 department"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("部门月汇总 department month")
        verbose_name_plural = _("部门月汇总 department months")
        constraints = _unique("departmentmonth_unique")
        indexes = [models.Index(fields=["department", "day"], name="departmentmonth_dept_idx")]


class CategoryMonth(FlowCounts):
    """分类月汇总."""

    category = _fk(Category, _("分类 category"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("分类月汇总 category month")
        verbose_name_plural = _("分类月汇总 category months")
        constraints = _unique("categorymonth_unique")
        indexes = [models.Index(fields=["category", "day"], name="categorymonth_category_idx")]


class ChannelMonth(FlowCounts):
    """渠道月汇总."""

    channel = models.CharField(_("来源 channel"), max_length=12, choices=Channel.choices)

    class Meta(FlowCounts.Meta):
        verbose_name = _("渠道月汇总 channel month")
        verbose_name_plural = _("渠道月汇总 channel months")
        constraints = _unique("channelmonth_unique")


class CubeMonth(FlowCounts):
    """组合月汇总: street × department × category × channel per month."""

    street = _fk(Street, _("街道 street"))
    department = _fk(Department, _("部门 department"))
    category = _fk(Category, _("分类 category"))
    channel = models.CharField(_("来源 channel"), max_length=12, choices=Channel.choices)

    class Meta(FlowCounts.Meta):
        verbose_name = _("组合月汇总 cube month")
        verbose_name_plural = _("组合月汇总 cube months")
        constraints = _unique("cubemonth_unique")
        indexes = [
            models.Index(fields=["street", "day"], name="cubemonth_street_idx"),
            models.Index(fields=["department", "day"], name="cubemonth_dept_idx"),
            models.Index(fields=["category", "day"], name="cubemonth_category_idx"),
        ]


class StreetDepartmentMonth(FlowCounts):
    """街道部门月汇总."""

    street = _fk(Street, _("街道 street"))
    department = _fk(Department, _("部门 department"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("街道部门月汇总 street department month")
        verbose_name_plural = _("街道部门月汇总 street department months")
        constraints = _unique("streetdeptmonth_unique")
        indexes = [models.Index(fields=["street", "day"], name="streetdeptmonth_street_idx"),
                   models.Index(fields=["department", "day"], name="streetdeptmonth_dept_idx")]


class CellCubeMonth(FlowCounts):
    """网格组合月汇总: cell × department × category per month."""

    cell = _fk(Cell, _("单元网格 cell"))
    department = _fk(Department, _("部门 department"))
    category = _fk(Category, _("分类 category"))

    class Meta(FlowCounts.Meta):
        verbose_name = _("网格组合月汇总 cell cube month")
        verbose_name_plural = _("网格组合月汇总 cell cube months")
        constraints = _unique("cellcubemonth_unique")
        indexes = [
            models.Index(fields=["category", "day"], name="cellcubemonth_category_idx"),
            models.Index(fields=["department", "day"], name="cellcubemonth_dept_idx"),
            models.Index(fields=["department", "category", "day"], name="cellcubemonth_dept_cat_idx"),
        ]


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
        verbose_name = _("案件计数快照 case tally")
        verbose_name_plural = _("案件计数快照 case tallies")

    def __str__(self) -> str:
        return f"tally {self.case_id}"
