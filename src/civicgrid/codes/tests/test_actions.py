"""Acting from a scan page: report (prefilled), merchant inspection, violations, stall check, e-bike reports."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine

from civicgrid.cases.models import Case
from civicgrid.codes.models import EBikeReport, Merchant, MerchantInspection
from civicgrid.notifications.models import Notification
from civicgrid.points.models import UncivilRecord
from civicgrid.points.selectors import balance_of

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def report_link(client, code) -> str:
    body = client.get(code.path).content.decode()
    start = body.index('data-action="report" href="') + len('data-action="report" href="')
    return body[start : body.index('"', start)].replace("&amp;", "&")


def test_report_from_a_place_code_is_prefilled_and_arrives_as_code_scan(client, codes, world):
    client.force_login(world.citizen)
    link = report_link(client, codes.place)
    query = parse_qs(urlparse(link).query)
    assert urlparse(link).path == "/m/report/"
    assert query["lat"] == ["39.615000"] and query["lon"] == ["109.765000"]
    assert query["category"] == ["component:01003"] and query["address"] == ["青春山路 18 号北侧"]
    assert query["source_ref"] == [codes.place.source_ref]
    page = client.get(link).content.decode()
    assert 'value="39.615"' in page and "青春山路 18 号北侧" in page and codes.place.source_ref in page
    response = client.post(
        "/m/report/",
        {
            "description": "井盖松动",
            "lat": "39.615",
            "lon": "109.765",
            "category": "component:01003",
            "address": "青春山路 18 号北侧",
            "kind": "complaint",
            "source_ref": codes.place.source_ref,
            "idempotency_key": "k-place-1",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get(reporter=world.citizen)
    assert case.channel == "code_scan" and case.source_ref == codes.place.source_ref
    assert case.category.code == "01003"


@pytest.mark.parametrize("kind", ["household", "merchant", "stall"])
def test_report_links_of_other_kinds_carry_location_and_source(client, codes, world, kind):
    client.force_login(world.citizen)
    query = parse_qs(urlparse(report_link(client, getattr(codes, kind))).query)
    assert query["source_ref"] == [getattr(codes, kind).source_ref]
    assert "lat" in query and "lon" in query and query["address"][0]


def test_inspector_grades_a_merchant_and_records_a_violation(client, codes, world):
    client.force_login(world.inspector)
    url = f"{codes.merchant.path}/a/inspect/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"grade": "C", "note": "店外经营，占用人行道", "violation": "other"})
    assert response.status_code == 302 and response["Location"] == codes.merchant.path
    inspection = MerchantInspection.objects.get()
    assert inspection.inspector == world.inspector and inspection.grade == "C"
    assert Merchant.objects.get().grade == "C"
    record = UncivilRecord.objects.get(pk=inspection.uncivil_record_id)
    assert record.person == codes.owner and record.inspector == world.inspector
    assert record.source_ref.startswith(codes.merchant.source_ref)
    assert balance_of(codes.owner) == -record.points
    assert Notification.objects.filter(recipient=codes.owner).exists()
    page = client.get(codes.merchant.path).content.decode()
    assert 'id="inspections"' in page and "C 合格" in page


def test_inspection_without_violation_deducts_nothing(client, codes, world):
    client.force_login(world.inspector)
    client.post(f"{codes.merchant.path}/a/inspect/", {"grade": "A"})
    assert MerchantInspection.objects.get().uncivil_record_id is None
    assert not UncivilRecord.objects.exists()


def test_a_citizen_cannot_post_an_inspection(client, codes, world):
    client.force_login(world.citizen)
    assert (
        client.post(f"{codes.merchant.path}/a/inspect/", {"grade": "D", "violation": "other"}).status_code
        == 403
    )
    assert not MerchantInspection.objects.exists()


@pytest.mark.parametrize(
    ("kind", "person"), [("household", "resident"), ("stall", "vendor"), ("ebike", "rider")]
)
def test_inspector_records_a_violation_of_the_linked_person(client, codes, world, kind, person):
    code, who = getattr(codes, kind), getattr(codes, person)
    client.force_login(world.inspector)
    url = f"{code.path}/a/violation/"
    page = client.get(url).content.decode()
    assert who.display_name in page and who.real_name not in page
    response = client.post(url, {"person": str(who.pk), "behaviour": "littering", "note": "乱扔垃圾"})
    assert response.status_code == 302
    record = UncivilRecord.objects.get()
    assert record.person == who and record.source_ref == code.source_ref
    assert balance_of(who) < 0


def test_violation_against_an_unlinked_person_is_refused(client, codes, world):
    client.force_login(world.inspector)
    response = client.post(
        f"{codes.household.path}/a/violation/", {"person": str(world.citizen.pk), "behaviour": "littering"}
    )
    assert response.status_code == 422
    assert not UncivilRecord.objects.exists()


@pytest.mark.parametrize(
    ("moment", "lat", "lon", "zone", "hours"),
    [
        ((2026, 5, 1, 18, 30), 39.613, 109.763, True, True),
        ((2026, 5, 1, 18, 30), 39.615, 109.765, False, True),
        ((2026, 5, 1, 9, 0), 39.613, 109.763, True, False),
        ((2026, 5, 1, 22, 0), 39.613, 109.763, True, False),  # the window ends at 22:00
        ((2026, 5, 1, 3, 0), 39.630, 109.700, False, False),
    ],
)
def test_stall_check_answers_zone_and_hours(client, codes, moment, lat, lon, zone, hours):
    with time_machine.travel(datetime(*moment, tzinfo=TZ), tick=False):
        body = client.get(f"{codes.stall.path}/a/stall_check/", {"lat": lat, "lon": lon}).content.decode()
    assert f'data-ok="{"yes" if zone and hours else "no"}"' in body
    assert ("不在允许区域内" not in body) == zone
    assert ("不在允许时段内" not in body) == hours


def test_stall_hours_may_span_midnight():
    from datetime import time

    from civicgrid.codes.services import within_hours

    assert within_hours(time(23, 0), time(20, 0), time(2, 0))
    assert within_hours(time(1, 59), time(20, 0), time(2, 0))
    assert not within_hours(time(2, 0), time(20, 0), time(2, 0))
    assert not within_hours(time(12, 0), time(20, 0), time(2, 0))


def test_ebike_reports_notify_the_owner_and_the_third_confirmed_deducts(client, codes, world, people):
    reporters = [world.citizen, world.grid_member, world.leader, world.dispatcher]
    start = datetime(2026, 5, 1, 9, 0, tzinfo=TZ)
    for i, reporter in enumerate(reporters):
        with time_machine.travel(start + timedelta(days=i * 5), tick=False):
            client.force_login(reporter)
            response = client.post(
                f"{codes.ebike.path}/a/ebike_report/",
                {"note": "堵塞消防通道", "lat": "39.6151", "lon": "109.7651"},
            )
            assert response.status_code == 302
    assert EBikeReport.objects.filter(status="pending").count() == 4
    assert Notification.objects.filter(recipient=codes.rider, kind="code_ebike_report").count() == 4

    client.force_login(world.inspector)
    url = f"{codes.ebike.path}/a/ebike_confirm/"
    pending = list(EBikeReport.objects.order_by("created_at"))
    with time_machine.travel(start + timedelta(days=16), tick=False):
        client.post(url, {"report": pending[0].pk, "decision": "confirm"})
        client.post(url, {"report": pending[1].pk, "decision": "dismiss"})
        client.post(url, {"report": pending[2].pk, "decision": "confirm"})
        assert not UncivilRecord.objects.exists()
        client.post(url, {"report": pending[3].pk, "decision": "confirm"})
    record = UncivilRecord.objects.get()
    assert record.person == codes.rider and record.behaviour == "parking"
    assert balance_of(codes.rider) == -record.points
    assert EBikeReport.objects.filter(uncivil_record_id=record.pk).count() == 3


def test_confirmed_reports_older_than_30_days_do_not_count(client, codes, world):
    start = datetime(2026, 5, 1, 9, 0, tzinfo=TZ)
    for i, reporter in enumerate([world.citizen, world.grid_member, world.leader]):
        with time_machine.travel(start + timedelta(days=i * 20), tick=False):
            client.force_login(reporter)
            client.post(f"{codes.ebike.path}/a/ebike_report/", {"note": "违停"})
    client.force_login(world.inspector)
    with time_machine.travel(start + timedelta(days=41), tick=False):
        for report in EBikeReport.objects.all():
            client.post(f"{codes.ebike.path}/a/ebike_confirm/", {"report": report.pk, "decision": "confirm"})
    assert not UncivilRecord.objects.exists()
