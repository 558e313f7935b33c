"""The inspector's violation form on a phone: the only linked person chosen already, the chosen photos
kept when the form is refused (a pending upload token), and the deduction said in points."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.points.models import UncivilPhoto, UncivilRecord
from civicgrid.points.selectors import balance_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    from django.core.files.storage import FileSystemStorage

    monkeypatch.setattr(
        UncivilPhoto._meta.get_field("original"),
        "storage",
        FileSystemStorage(location=str(tmp_path / "private"), base_url=None),
    )


def jpeg(name="evidence.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def test_the_only_household_member_is_chosen_already(client, codes, world):
    client.force_login(world.inspector)
    page = client.get(f"{codes.household.path}/a/violation/").content.decode()
    assert re.search(rf'<input[^>]*value="{codes.resident.pk}"[^>]*checked', page)


def test_a_refused_form_keeps_its_photo_and_the_deduction_says_how_many_points(client, codes, world):
    client.force_login(world.inspector)
    url = f"{codes.household.path}/a/violation/"
    who = codes.resident
    response = client.post(url, {"person": str(who.pk), "behaviour": "", "photos": [jpeg()]})
    assert response.status_code == 422
    page = response.content.decode()
    assert "已保留之前选择的 1 张照片" in page
    token = re.search(r'name="held_photos" value="([^"]+)"', page)[1]
    assert not UncivilRecord.objects.exists()
    # Sent again without choosing the photo again: it comes with the record.
    response = client.post(
        url, {"person": str(who.pk), "behaviour": "littering", "held_photos": token}, follow=True
    )
    record = UncivilRecord.objects.get()
    assert record.photos.count() == 1
    assert f"扣 {record.points} 分" in response.content.decode()
    assert balance_of(who) == -record.points
    # The held file is gone once used; the token cannot be sent again.
    response = client.post(url, {"person": str(who.pk), "behaviour": "littering", "held_photos": token})
    assert response.status_code == 422 and "之前选择的照片已失效" in response.content.decode()
    assert UncivilRecord.objects.count() == 1


def test_a_token_of_another_inspector_is_refused(client, codes, world):
    from civicgrid.cases.uploads import uploads_hold

    token = uploads_hold([jpeg()], user=world.admin)
    client.force_login(world.inspector)
    response = client.post(
        f"{codes.household.path}/a/violation/",
        {"person": str(codes.resident.pk), "behaviour": "littering", "held_photos": token},
    )
    assert response.status_code == 422 and "之前选择的照片已失效" in response.content.decode()
    assert not UncivilRecord.objects.exists()
