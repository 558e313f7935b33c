"""The H5 pages: who may open what, masked names, the voucher QR, the merchant's check, the admin."""

from __future__ import annotations

import pytest
from django.test import Client

from civicgrid.points.choices import Reason, UncivilBehaviour
from civicgrid.points.models import PointsRule, UncivilRecord, Voucher
from civicgrid.points.services import points_award, uncivil_record_create
from civicgrid.points.tests.helpers import item, second_inspector

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_my_points_explains_every_entry(world):
    points_award(person=world.citizen, reason=Reason.VOLUNTEER, source_key="vol:1", quantity=2)
    body = signed_in(world.citizen).get("/m/points/").content.decode()
    assert "参加志愿服务 2 小时" in body and "+20" in body and "新手" in body
    assert "规则 v" not in body  # plain words, not the rule's version and formula


def test_pages_need_sign_in_but_display_and_leaderboard_are_public(world):
    anonymous = Client()
    assert anonymous.get("/m/points/").status_code == 302
    assert anonymous.get("/m/points/display/").status_code == 200
    assert anonymous.get("/m/points/leaderboard/").status_code == 200
    assert signed_in(world.citizen).get("/m/points/inspect/").status_code == 403


def test_leaderboard_page_masks_names(world):
    points_award(person=world.citizen, reason=Reason.HONOUR, source_key="h:1")
    body = signed_in(world.leader).get("/m/points/leaderboard/").content.decode()
    assert "王*" in body and "王芳" not in body and world.citizen.phone not in body


def test_redeem_and_voucher_qr_then_merchant_marks_it_used_once(world):
    points_award(person=world.citizen, reason=Reason.HONOUR, source_key="h:1")
    reward = item(cost=20, merchant=world.leader)
    citizen = signed_in(world.citizen)
    assert "洗车券" in citizen.get("/m/points/catalogue/").content.decode()
    r = citizen.post(f"/m/points/catalogue/{reward.pk}/redeem/", {"confirm": "yes"})
    assert r.status_code == 302 and r["Location"] == "/m/points/vouchers/"
    voucher = Voucher.objects.get()
    page = citizen.get("/m/points/vouchers/").content.decode()
    assert "<svg" in page and voucher.token in page
    merchant = signed_in(world.leader)
    assert "洗车券" in merchant.get(f"/m/points/vouchers/use/?token={voucher.token}").content.decode()
    assert (
        "核销成功"
        in merchant.post("/m/points/vouchers/use/", {"token": voucher.token}, follow=True).content.decode()
    )
    again = merchant.post("/m/points/vouchers/use/", {"token": voucher.token})
    assert again.status_code == 422 and "该兑换券已于" in again.content.decode()


def test_inspector_records_by_phone_and_a_new_person_gets_an_account(world):
    inspector = signed_in(world.inspector)
    r = inspector.post(
        "/m/points/inspect/",
        {
            "phone": "13911112222",
            "behaviour": UncivilBehaviour.SPITTING,
            "address": "国泰商业广场",
            "note": "",
        },
    )
    assert r.status_code == 302, r.content.decode()
    record = UncivilRecord.objects.get()
    assert record.person.phone == "13911112222" and record.entry.delta == -10
    bad = inspector.post("/m/points/inspect/", {"phone": "123", "behaviour": "spitting", "address": "x"})
    assert bad.status_code == 422 and UncivilRecord.objects.count() == 1


def test_appeal_pages_and_the_recorder_cannot_review(world):
    rec = uncivil_record_create(
        inspector=world.inspector,
        person=world.citizen,
        behaviour=UncivilBehaviour.NOISE,
        lat=None,
        lon=None,
        address="小区楼下",
        note="",
    )
    r = signed_in(world.citizen).post(f"/m/points/uncivil/{rec.pk}/appeal/", {"reason": "不是我"})
    assert r.status_code == 302
    assert signed_in(world.leader).get(f"/m/points/uncivil/{rec.pk}/appeal/").status_code == 404
    appeal_id = rec.appeal.pk
    recorder = signed_in(world.inspector).post(
        f"/m/points/inspect/appeals/{appeal_id}/", {"decision": "uphold"}
    )
    assert recorder.status_code == 422
    reviewer = signed_in(second_inspector())
    assert "不是我" in reviewer.get("/m/points/inspect/appeals/").content.decode()
    assert reviewer.post(f"/m/points/inspect/appeals/{appeal_id}/", {"decision": "uphold"}).status_code == 302
    rec.refresh_from_db()
    assert rec.status == "withdrawn"


def test_admin_rule_edit_writes_a_new_version(world):
    admin_client = signed_in(world.admin)
    r = admin_client.post(
        "/admin/points/pointsrule/add/",
        {
            "reason": "report",
            "points": 8,
            "unit": "件",
            "monthly_cap": 80,
            "active": "on",
            "description": "每件 8 分",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    rule = PointsRule.objects.get(reason="report")
    r = admin_client.post(
        f"/admin/points/pointsrule/{rule.pk}/change/",
        {"points": 9, "unit": "件", "monthly_cap": 80, "active": "on", "description": "每件 9 分"},
    )
    assert r.status_code == 302
    assert list(PointsRule.objects.filter(reason="report").values_list("version", "points")) == [
        (2, 9),
        (1, 8),
    ]
    assert signed_in(world.inspector).get("/admin/points/pointsrule/").status_code in (302, 403)
    for url in ("/admin/points/honour/", "/admin/points/rewarditem/", "/admin/points/pointsentry/"):
        assert admin_client.get(url).status_code == 200, url


def test_redeem_refusal_shows_the_reason(world):
    reward = item(cost=20)
    r = signed_in(world.citizen).post(
        f"/m/points/catalogue/{reward.pk}/redeem/", {"confirm": "yes"}, follow=True
    )
    assert "积分不足" in r.content.decode()
    assert not Voucher.objects.exists()


def test_the_inspect_form_keeps_its_photo_when_refused(client, world, settings, tmp_path, monkeypatch):
    import io
    import re

    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from civicgrid.points.models import UncivilPhoto, UncivilRecord

    private = FileSystemStorage(location=str(tmp_path / "private"), base_url=None)
    monkeypatch.setattr(UncivilPhoto._meta.get_field("original"), "storage", private)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, format="JPEG")
    client.force_login(world.inspector)
    form = {"phone": "13900000001", "behaviour": "littering", "address": ""}
    response = client.post(
        "/m/points/inspect/", {**form, "photos": [SimpleUploadedFile("a.jpg", out.getvalue())]}
    )
    assert response.status_code == 422
    token = re.search(r'name="held_photos" value="([^"]+)"', response.content.decode())[1]
    response = client.post(
        "/m/points/inspect/", {**form, "address": "青春山路", "held_photos": token}, follow=True
    )
    record = UncivilRecord.objects.get()
    assert record.photos.count() == 1 and f"扣 {record.points} 分" in response.content.decode()
