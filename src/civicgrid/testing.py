"""A small, fully known city for tests, with the personas every test file uses.

The grid (WGS-84, lon/lat), one district 150603 split into one street and two communities:

    lat 39.62 +---------+---------+---------+
              | cell 001| cell 002| cell 003|   community 150603001001 (north)
    lat 39.61 +---------+---------+---------+
              | cell 001| cell 002  (hole)  |   community 150603001002 (south)
    lat 39.60 +---------+-------------------+
          lon 109.76  109.77    109.78    109.79

The south community's cell 002 is two squares wide and has a square hole (a lake) at
109.783–109.787 × 39.603–39.607; the hole is inside the city but in no cell.
Cells share their edges; the city boundary is the district polygon 109.76–109.79 × 39.60–39.62.

Personas (as in the style guide): citizen 王芳, grid member 李强, dispatcher 张伟,
roads handler 刘洋 (住建局市政科), parks handler 陈静 (园林绿化中心), department admin 孙丽 (住建局),
inspector 周杰, leader 赵敏, admin 管理员.
"""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Polygon, box

from civicgrid.accounts.models import Department, DepartmentKind, User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.grids import index
from civicgrid.grids.models import Cell, Community, District, Street
from civicgrid.grids.services import cell_member_assign, grid_revision_bump
from civicgrid.taxonomy.models import Category, RoutingRule

PASSWORD = "test-pass-2026"
DISTRICT = "150603"
STREET = "150603001"
NORTH = "150603001001"
SOUTH = "150603001002"
LAKE = box(109.783, 39.603, 109.787, 39.607)


@dataclass
class World:
    district: District
    street: Street
    north: Community
    south: Community
    cells: dict[str, Cell]
    departments: dict[str, Department]
    citizen: User
    grid_member: User
    dispatcher: User
    roads_handler: User
    parks_handler: User
    department_admin: User
    inspector: User
    leader: User
    admin: User

    def cell(self, code_suffix: str) -> Cell:
        return self.cells[code_suffix]


def _area(model, code: str, name: str, geom, **parents):
    obj = model(code=code, name=name, **parents)
    obj.set_shape(geom)
    obj.save()
    return obj


def build_world() -> World:
    """Create the test city in the current (test) database and return handles to it."""
    district = _area(District, DISTRICT, "康巴什区", box(109.76, 39.60, 109.79, 39.62))
    street = _area(Street, STREET, "青春山街道", box(109.76, 39.60, 109.79, 39.62), district=district)
    north = _area(Community, NORTH, "北苑社区", box(109.76, 39.61, 109.79, 39.62), street=street)
    south = _area(Community, SOUTH, "南苑社区", box(109.76, 39.60, 109.79, 39.61), street=street)
    cells = {}
    specs = [
        (NORTH + "001", "北苑一格", north, box(109.76, 39.61, 109.77, 39.62)),
        (NORTH + "002", "北苑二格", north, box(109.77, 39.61, 109.78, 39.62)),
        (NORTH + "003", "北苑三格", north, box(109.78, 39.61, 109.79, 39.62)),
        (SOUTH + "001", "南苑一格", south, box(109.76, 39.60, 109.77, 39.61)),
        (
            SOUTH + "002",
            "南苑湖区",
            south,
            Polygon(box(109.77, 39.60, 109.79, 39.61).exterior.coords, [LAKE.exterior.coords]),
        ),
    ]
    for code, name, community, geom in specs:
        cells[code] = _area(Cell, code, name, geom, community=community, street=street)
    grid_revision_bump()
    index.invalidate()

    departments = {}
    centre = Department.objects.create(code="ZHZX", name="城市服务指挥中心", kind=DepartmentKind.CENTRE)
    zjj = Department.objects.create(code="ZJJ", name="住房和城乡建设局", kind=DepartmentKind.BUREAU)
    departments.update(
        ZHZX=centre,
        ZJJ=zjj,
        ZJJ_SZ=Department.objects.create(
            code="ZJJ-SZ", name="住建局市政科", kind=DepartmentKind.SECTION, parent=zjj
        ),
        YLZX=Department.objects.create(code="YLZX", name="园林绿化中心"),
        CGJ=Department.objects.create(code="CGJ", name="城市管理综合执法局"),
        JD_QCS=Department.objects.create(
            code="JD-QCS", name="青春山街道办事处", kind=DepartmentKind.STREET_OFFICE
        ),
    )

    def person(phone: str, name: str, role: str, department: Department | None = None) -> User:
        return user_create(phone=phone, password=PASSWORD, real_name=name, role=role, department=department)

    world = World(
        district=district,
        street=street,
        north=north,
        south=south,
        cells=cells,
        departments=departments,
        citizen=person("13900000001", "王芳", Role.CITIZEN),
        grid_member=person("13900000002", "李强", Role.GRID_MEMBER),
        dispatcher=person("13900000003", "张伟", Role.DISPATCHER, centre),
        roads_handler=person("13900000004", "刘洋", Role.HANDLER, departments["ZJJ_SZ"]),
        parks_handler=person("13900000005", "陈静", Role.HANDLER, departments["YLZX"]),
        department_admin=person("13900000006", "孙丽", Role.DEPARTMENT_ADMIN, zjj),
        inspector=person("13900000007", "周杰", Role.INSPECTOR),
        leader=person("13900000008", "赵敏", Role.LEADER),
        admin=person("13900000009", "管理员", Role.ADMIN),
    )
    cell_member_assign(cell=cells[NORTH + "001"], user=world.grid_member)
    return world


def load_test_categories() -> dict[str, Category]:
    """A handful of real GB/T 47678.5 categories, keyed by code."""
    rows = [
        ("component", "01003", "01", "市政公用设施", "雨水井盖"),
        ("component", "04002", "04", "园林绿化设施", "行道树"),
        ("matter", "06010", "06", "市容环境类", "暴露垃圾"),
        ("matter", "06013", "06", "市容环境类", "道路破损"),
        ("matter", "09006", "09", "街面秩序类", "占道经营"),
    ]
    out = {}
    for kind, code, _major, major_name, name in rows:
        out[code] = Category.objects.create(
            kind=kind, code=code, major_name=major_name, name=name, is_local=False
        )
    return out


def load_test_routing(world: World, categories: dict[str, Category]) -> None:
    d = world.departments
    RoutingRule.objects.create(major_code="06", kind="matter", department=d["CGJ"])
    RoutingRule.objects.create(major_code="06", kind="matter", area_code=STREET, department=d["JD_QCS"])
    RoutingRule.objects.create(category=categories["06013"], department=d["ZJJ_SZ"])
    RoutingRule.objects.create(major_code="04", kind="component", department=d["YLZX"])
    RoutingRule.objects.create(major_code="01", kind="component", department=d["ZJJ_SZ"])


def assert_append_only(row) -> None:
    """The database refuses to change any column of `row` but its model's bookkeeping ones, and to
    delete it (core/immutable.py) — raw SQL, one column at a time.

    Every column is tried, so a column added to the model without renewing the triggers in a
    migration fails here. `row` must have a value in every column (NULL → NULL changes nothing).
    """
    import pytest
    from django.db import IntegrityError, connection, transaction

    model = type(row)
    q = connection.ops.quote_name
    table, pk = q(model._meta.db_table), q(model._meta.pk.column)
    for field in model._meta.concrete_fields:
        if field.name in model.IMMUTABLE.bookkeeping:
            continue
        assert getattr(row, field.attname) is not None, (
            f"give {model.__name__}.{field.name} a value to change"
        )
        # Facts may be NOT NULL: the triggers run before that constraint and must refuse first.
        new = f"{q(field.column)} + 1000000" if field.primary_key else "NULL"
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as c,
        ):
            c.execute(f"UPDATE {table} SET {q(field.column)} = {new} WHERE {pk} = %s", [row.pk])  # noqa: S608
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute(f"DELETE FROM {table} WHERE {pk} = %s", [row.pk])  # noqa: S608
    assert model.objects.filter(pk=row.pk).exists()
