"""Boundary files as map services and surveying offices publish them: GeoJSON in GCJ-02 (a FeatureCollection
or a plain array, adcode/name/level), zipped Shapefiles in projected or geographic CGCS2000."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import shapefile
import shapely
from django.core.management import CommandError, call_command
from pyproj import CRS, Transformer
from pyproj.enums import WktVersion
from shapely.geometry import box, mapping

from civicgrid.grids.boundaries import import_boundaries, import_boundary_file, import_shapefile
from civicgrid.grids.coords import from_wgs84
from civicgrid.grids.importer import GridImportError
from civicgrid.grids.models import Community, District, GridRevision, Street

pytestmark = pytest.mark.django_db

# 东胜区 and its street, in WGS-84: what the files describe in their own coordinates.
DISTRICT_WGS = box(109.90, 39.80, 109.96, 39.84)
STREET_WGS = box(109.90, 39.80, 109.93, 39.84)
COMMUNITY_WGS = box(109.90, 39.80, 109.93, 39.82)


def gcj(geom) -> dict:
    """The geometry as a map service serves it: [lon, lat] in GCJ-02."""

    def convert(xy):
        return [from_wgs84(lat, lon, "gcj02")[::-1] for lon, lat in xy.tolist()]

    return mapping(shapely.transform(geom, convert))


def datav_feature(adcode, name, level, geom, parent=None) -> dict:
    """A feature as DataV.GeoAtlas serves it (properties copied from a real file's shape)."""
    c = geom.centroid
    return {
        "type": "Feature",
        "properties": {
            "adcode": adcode,
            "name": name,
            "center": [c.x, c.y],
            "centroid": [c.x, c.y],
            "childrenNum": 0,
            "level": level,
            "parent": {"adcode": parent},
            "subFeatureIndex": 0,
            "acroutes": [100000, 150000, 150600],
        },
        "geometry": json.loads(json.dumps(gcj(geom))),
    }


def assert_same_shape(stored, expected, tolerance=1e-6):
    assert stored.symmetric_difference(expected).area < tolerance * expected.length
    assert max(abs(a - b) for a, b in zip(stored.bounds, expected.bounds, strict=True)) < tolerance


def test_a_datav_feature_collection_in_gcj02_is_stored_in_wgs84(db):
    data = {
        "type": "FeatureCollection",
        "features": [datav_feature(150602, "东胜区", "district", DISTRICT_WGS, parent=150600)],
    }
    result = import_boundaries(json.loads(json.dumps(data)), crs="gcj02")
    assert result.created["district"] == 1
    district = District.objects.get(code="150602")
    assert district.name == "东胜区"
    assert_same_shape(district.shape, DISTRICT_WGS)
    assert GridRevision.objects.get(pk=1).revision >= 1


def test_a_plain_array_of_features_with_township_codes(db):
    import_boundaries([datav_feature(150602, "东胜区", "district", DISTRICT_WGS)], crs="gcj02")
    features = [
        # The statistical division's 12-digit township code (150602001000) is the 9-digit street code.
        datav_feature("150602001000", "交通街道", "street", STREET_WGS),
        # No level: read from the code's length.
        {**datav_feature("150602001001", "东苑社区", "x", COMMUNITY_WGS)},
    ]
    del features[1]["properties"]["level"]
    result = import_boundaries(json.loads(json.dumps(features)), crs="gcj02")
    assert (result.created["street"], result.created["community"]) == (1, 1)
    assert_same_shape(Street.objects.get(code="150602001").shape, STREET_WGS)
    assert Community.objects.get(code="150602001001").street.code == "150602001"


def test_a_province_or_city_feature_is_refused_and_nothing_is_saved(db):
    features = [
        datav_feature(150602, "东胜区", "district", DISTRICT_WGS),
        datav_feature(150600, "鄂尔多斯市", "city", DISTRICT_WGS),
    ]
    with pytest.raises(GridImportError) as err:
        import_boundaries(features, crs="gcj02")
    assert "#1" in str(err.value.problems[0]) and "150600" in str(err.value.problems[0])
    assert "鄂尔多斯市是市级边界，只能导入区县及以下" in err.value.message_zh
    assert District.objects.count() == 0


def test_features_without_a_code_or_with_bad_properties_are_refused(db):
    features = [
        datav_feature(150602, "东胜区", "district", DISTRICT_WGS),
        {"type": "Feature", "geometry": None},
        {"type": "Feature", "properties": ["adcode"], "geometry": None},
    ]
    with pytest.raises(GridImportError) as err:
        import_boundaries(json.loads(json.dumps(features)))
    assert "缺少编码（adcode 或 code）" in err.value.message_zh
    assert District.objects.count() == 0
    features[1]["properties"] = {"adcode": 150603, "name": "康巴什区"}
    with pytest.raises(GridImportError) as err:
        import_boundaries(json.loads(json.dumps(features)))
    assert "properties 必须是对象" in err.value.message_zh
    assert District.objects.count() == 0


@pytest.mark.parametrize("data", [{"type": "Topology"}, "text", 42])
def test_what_is_not_geojson_is_refused(db, data):
    with pytest.raises(GridImportError, match="FeatureCollection"):
        import_boundaries(data)


# --- Shapefiles -------------------------------------------------------------------------------------


def shapefile_zip(
    rows, *, epsg: int | None, encoding="utf-8", cpg: str | None = "UTF-8", parts=("shp", "shx", "dbf")
):
    """A zipped Shapefile made with pyshp: rows of (code, name, level, WGS-84 polygon) in EPSG `epsg`."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    to_file = Transformer.from_crs(4326, epsg, always_xy=True) if epsg else None
    with shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding
    ) as writer:
        writer.field("ADCODE", "C", size=20)
        writer.field("NAME", "C", size=50)
        writer.field("LEVEL", "C", size=20)
        for code, name, level, geom in rows:
            ring = list(geom.exterior.coords)[::-1]  # clockwise: an outer ring in a Shapefile
            if to_file is not None:
                ring = [to_file.transform(x, y) for x, y in ring]
            writer.poly([ring])
            writer.record(code, name, level)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        files = {"shp": shp, "shx": shx, "dbf": dbf}
        for ext in parts:
            archive.writestr(f"边界/grid.{ext}", files[ext].getvalue())
        if epsg:
            archive.writestr("边界/grid.prj", CRS.from_epsg(epsg).to_wkt(WktVersion.WKT1_ESRI))
        if cpg:
            archive.writestr("边界/grid.cpg", cpg)
    return out.getvalue()


HIERARCHY = [
    ("150602", "东胜区", "district", DISTRICT_WGS),
    ("150602001", "交通街道", "街道", STREET_WGS),
    ("150602001001", "东苑社区", "社区", COMMUNITY_WGS),
]


# Gauss-Krüger: 3° zone 37 (false easting with the zone number), 3° CM 111°E, 6° zone 19, 6° CM 111°E.
@pytest.mark.parametrize("epsg", [4525, 4546, 4497, 4508])
def test_a_projected_cgcs2000_shapefile_is_unprojected(db, epsg):
    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(109.93, 39.82)
    assert abs(x) > 1000 and y > 4_000_000  # really projected metres
    result = import_shapefile(shapefile_zip(HIERARCHY, epsg=epsg))
    assert result.created == {"district": 1, "street": 1, "community": 1, "cell": 0}
    assert_same_shape(District.objects.get(code="150602").shape, DISTRICT_WGS, tolerance=1e-6)
    assert_same_shape(Community.objects.get(code="150602001001").shape, COMMUNITY_WGS, tolerance=1e-6)
    assert Street.objects.get(code="150602001").name == "交通街道"


def test_a_geographic_cgcs2000_shapefile_with_gbk_names_and_no_cpg(db):
    data = shapefile_zip(HIERARCHY, epsg=4490, encoding="gbk", cpg=None)
    import_boundary_file("东胜区.zip", data)
    assert [d.name for d in District.objects.all()] == ["东胜区"]
    assert_same_shape(District.objects.get().shape, DISTRICT_WGS, tolerance=1e-9)


@pytest.mark.parametrize(
    "data, message",
    [
        (shapefile_zip(HIERARCHY, epsg=None), "缺少坐标系文件 .prj"),
        (shapefile_zip(HIERARCHY, epsg=4525, parts=("shp", "shx")), "缺少属性表 .dbf"),
        (shapefile_zip(HIERARCHY, epsg=2383), "只支持 CGCS2000 或 WGS-84"),  # Xian 1980
        (b"PK not really a zip", "不是有效的 zip"),
    ],
)
def test_bad_shapefiles_are_refused_and_nothing_is_saved(db, data, message):
    with pytest.raises(GridImportError) as err:
        import_boundary_file("grid.zip", data)
    assert message in err.value.message_zh
    assert District.objects.count() == 0


def test_a_bad_feature_in_a_shapefile_refuses_the_whole_file(db):
    rows = [*HIERARCHY, ("150602001002", "无上级", "社区", box(109.90, 39.82, 109.93, 39.84))]
    rows[1] = ("1506020019", "坏编码", "街道", STREET_WGS)
    with pytest.raises(GridImportError) as err:
        import_boundary_file("grid.zip", shapefile_zip(rows, epsg=4525))
    assert any("#1" in str(p) for p in err.value.problems)
    assert District.objects.count() == 0 and Street.objects.count() == 0


def test_the_command_imports_a_zipped_shapefile_and_a_gcj02_array(db, tmp_path):
    zipped = tmp_path / "grid.zip"
    zipped.write_bytes(shapefile_zip(HIERARCHY[:1], epsg=4525))
    out = io.StringIO()
    call_command("import_grid", str(zipped), stdout=out)
    assert "'district': 1" in out.getvalue()
    array = tmp_path / "streets.json"
    array.write_text(
        json.dumps([datav_feature(150602001, "交通街道", "street", STREET_WGS)]), encoding="utf-8"
    )
    call_command("import_grid", str(array), "--crs", "gcj02", stdout=out)
    assert_same_shape(Street.objects.get(code="150602001").shape, STREET_WGS)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(shapefile_zip(HIERARCHY, epsg=None))
    with pytest.raises(CommandError, match="no .prj"):
        call_command("import_grid", str(bad), stderr=io.StringIO())
