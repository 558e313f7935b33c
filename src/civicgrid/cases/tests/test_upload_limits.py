"""What one request and one person may make the server decode: a pixel budget per request read from
the headers, big JPEGs decoded at reduced size, and an hourly allowance of photos per person."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.cases import photos
from civicgrid.cases.models import Case, CasePhoto, PhotoUploadWindow
from civicgrid.cases.tests.helpers import as_user, assert_error, jpeg_bytes, report_body
from civicgrid.cases.tests.test_photos import bomb_png

pytestmark = pytest.mark.django_db


def upload(i: int, data: bytes, name: str = "p.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{i}-{name}", data, content_type="image/png")


def test_nine_big_pngs_are_refused_from_their_headers_before_any_is_decoded(
    client, routed_world, monkeypatch
):
    data = bomb_png(6300, 6300)  # 39.7 megapixels each, under the per-photo limit; 4.5 KB each
    decoded = []
    monkeypatch.setattr(photos, "process_photo", lambda *a, **k: decoded.append(1))
    body = {**report_body(), "photos": [upload(i, data) for i in range(9)]}
    r = as_user(client, routed_world.citizen).post("/api/cases", body)
    assert_error(r, 422, "photo_total_too_many_pixels", "photos")
    assert decoded == [] and Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_the_pixel_budget_is_a_setting_and_what_fits_is_accepted(client, routed_world, settings):
    settings.CIVICGRID_PHOTO_MAX_TOTAL_PIXELS = 3 * 24 * 16
    body = {**report_body(), "photos": [upload(i, jpeg_bytes(), "p.jpg") for i in range(4)]}
    r = as_user(client, routed_world.citizen).post("/api/cases", body)
    assert_error(r, 422, "photo_total_too_many_pixels", "photos")
    body = {**report_body(), "photos": [upload(i, jpeg_bytes(), "p.jpg") for i in range(3)]}
    r = as_user(client, routed_world.citizen).post("/api/cases", body)
    assert r.status_code == 201, r.content
    assert CasePhoto.objects.count() == 3


def test_a_big_jpeg_is_decoded_at_reduced_size_for_a_bounded_public_copy(client, routed_world):
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), (120, 80, 40)).save(out, "JPEG", quality=90)
    body = {**report_body(), "photos": [upload(0, out.getvalue(), "big.jpg")]}
    r = as_user(client, routed_world.citizen).post("/api/cases", body)
    assert r.status_code == 201, r.content
    photo = CasePhoto.objects.get()
    assert (photo.width, photo.height) == (1500, 1000)  # libjpeg's 1/4 scale, not a full decode
    assert max(photo.width, photo.height) <= photos.PUBLIC_MAX_SIDE
    with photo.original.open("rb") as f, Image.open(f) as original:  # the original is kept whole
        assert original.size == (6000, 4000)


def test_pillow_refuses_images_over_the_photo_limit_everywhere(settings):
    assert Image.MAX_IMAGE_PIXELS == settings.CIVICGRID_PHOTO_MAX_PIXELS


def test_photos_a_person_may_send_an_hour_are_limited(client, routed_world, settings, time_machine):
    time_machine.move_to("2026-11-23T01:10:00Z", tick=False)
    settings.CIVICGRID_PHOTO_UPLOADS_PER_HOUR = 3
    client = as_user(client, routed_world.citizen)

    def post(n: int):
        photos = [upload(i, jpeg_bytes(), "p.jpg") for i in range(n)]
        return client.post("/api/cases", {**report_body(), "photos": photos})

    assert post(2).status_code == 201
    assert_error(post(2), 429, "photo_rate_limited", "photos")  # two more would make four
    assert Case.objects.count() == 1
    assert post(1).status_code == 201  # the third fits
    assert_error(post(1), 429, "photo_rate_limited", "photos")
    assert post(0).status_code == 201  # a report without photos is never limited
    time_machine.move_to("2026-11-23T02:00:00Z", tick=False)  # the next hour
    assert post(3).status_code == 201
    # Another person has an allowance of their own; old hours are cleared away.
    assert (
        as_user(client, routed_world.grid_member)
        .post("/api/cases", {**report_body(), "photos": [upload(0, jpeg_bytes(), "p.jpg")]})
        .status_code
        == 201
    )
    assert PhotoUploadWindow.objects.filter(user=routed_world.citizen).count() == 1
    assert Case.objects.count() == 5


def test_the_allowance_is_taken_by_one_conditional_update(routed_world, settings):
    from civicgrid.cases.uploads import upload_allowance_take
    from civicgrid.core.errors import DomainError

    settings.CIVICGRID_PHOTO_UPLOADS_PER_HOUR = 9
    upload_allowance_take(user=routed_world.citizen, n=9)
    with pytest.raises(DomainError) as err:
        upload_allowance_take(user=routed_world.citizen, n=1)
    assert err.value.status == 429
    assert PhotoUploadWindow.objects.get(user=routed_world.citizen).photos == 9


@pytest.mark.django_db(transaction=True)
def test_requests_racing_for_the_last_places_get_no_more_than_the_allowance(routed_world, settings):
    import threading

    from django.db import connections

    from civicgrid.cases.uploads import upload_allowance_take
    from civicgrid.core.errors import DomainError

    settings.CIVICGRID_PHOTO_UPLOADS_PER_HOUR = 5
    threads_n = 8
    start = threading.Barrier(threads_n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def take() -> None:
        try:
            start.wait(timeout=30)
            upload_allowance_take(user=routed_world.citizen, n=1)
            outcome = "taken"
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:  # reported below
            outcome = repr(exc)
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=take) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["photo_rate_limited"] * 3 + ["taken"] * 5, outcomes
    assert PhotoUploadWindow.objects.get(user=routed_world.citizen).photos == 5
