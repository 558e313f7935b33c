"""Photo files of cases (/media/cases/…): a non-public case's photos only for those who may open it.

The URLs the pages and the API embed stay `photo.public.url` / `photo.thumbnail.url`; the project's
media view asks `cases.access.access_case_photo` and sends the file with django-sendfile2.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_sendfile.utils import _get_sendfile

from civicgrid.accounts.clients import api_personal_key_issue
from civicgrid.accounts.services import user_create
from civicgrid.cases.models import CasePhoto
from civicgrid.cases.tests.helpers import NORTH_1, as_user, jpeg_bytes, run_to, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sendfile_backend():
    _get_sendfile.cache_clear()  # django-sendfile2 caches the backend it imported
    yield
    _get_sendfile.cache_clear()


@pytest.fixture
def private_case(routed_world, categories):
    return submit(
        routed_world.citizen,
        NORTH_1,
        category=categories["04002"],
        is_public=False,
        photos=(jpeg_bytes(),),
    )


@pytest.fixture
def stranger(db):
    return user_create(phone="13900000099", password="x-Secret-123", real_name="路人甲")


def get(client, url: str, **headers):
    """GET a media URL and read (and close) the streamed file, as a browser would."""
    response = client.get(url, **headers)
    # The test client closes the file once its stream is read to the end.
    response.body = b"".join(response.streaming_content) if response.streaming else response.content
    return response


def status(client, url: str) -> int:
    return get(client, url).status_code


def test_a_private_cases_photo_is_404_for_anonymous_and_an_unrelated_citizen(client, private_case, stranger):
    photo = private_case.photos.get()
    for url in (photo.public.url, photo.thumbnail.url):
        assert url.startswith("/media/cases/")
        assert status(client, url) == 404  # anonymous: not 403, existence is not revealed
        assert status(as_user(client, stranger), url) == 404
        client.logout()


def test_the_reporter_and_staff_get_a_private_cases_photo(client, routed_world, private_case):
    photo = private_case.photos.get()
    with photo.public.open("rb") as f:
        expected = f.read()
    for user in (routed_world.citizen, routed_world.dispatcher, routed_world.admin, routed_world.grid_member):
        response = get(as_user(client, user), photo.public.url)
        assert response.status_code == 200, user.real_name
        assert response.body == expected
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
        assert status(as_user(client, user), photo.thumbnail.url) == 200


def test_the_handler_of_another_department_does_not_get_it(client, routed_world, private_case):
    photo = private_case.photos.get()
    assert status(as_user(client, routed_world.parks_handler), photo.public.url) == 404


def test_a_public_cases_result_photo_is_for_anyone_its_report_photo_is_not(
    client, routed_world, categories, stranger
):
    w = routed_world
    case = submit(w.citizen, NORTH_1, category=categories["06013"], photos=(jpeg_bytes(),))
    run_to(case, "accepted", w)
    as_user(client, w.roads_handler)
    fixed = SimpleUploadedFile("fixed.jpg", jpeg_bytes(colour=(20, 150, 20)), content_type="image/jpeg")
    r = client.post(f"/api/cases/{case.number}/actions/feedback", data={"note": "已修补", "photos": [fixed]})
    assert r.status_code == 200, r.content
    client.logout()

    # The public page's result photos open for anyone; the reporter's photo only for case viewers.
    result_urls = client.get(f"/api/public/cases/{case.number}").json()["result_photos"]
    assert len(result_urls) == 1
    assert status(client, result_urls[0]) == 200
    report = CasePhoto.objects.get(case=case, stage="report")
    assert status(client, report.public.url) == 404
    assert status(as_user(client, stranger), report.public.url) == 404
    assert status(as_user(client, w.citizen), report.public.url) == 200

    # A case made non-public takes its result photos with it.
    case.refresh_from_db()
    case.is_public = False
    case.save(update_fields=["is_public"])
    client.logout()
    assert status(client, result_urls[0]) == 404


def test_the_urls_in_the_api_answer_open_for_the_reporter(client, routed_world, private_case):
    as_user(client, routed_world.citizen)
    detail = client.get(f"/api/cases/{private_case.number}")
    assert detail.status_code == 200, detail.content
    photos = detail.json()["photos"]
    assert len(photos) == 1
    for url in (photos[0]["url"], photos[0]["thumbnail"]):
        assert status(client, url) == 200


def test_an_api_client_with_a_bearer_token_gets_the_urls_of_its_answer(client, routed_world, private_case):
    _token, raw = api_personal_key_issue(user=routed_world.citizen, name="app")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    photos = client.get(f"/api/cases/{private_case.number}", **auth).json()["photos"]
    assert get(client, photos[0]["url"], **auth).status_code == 200
    assert status(client, photos[0]["url"]) == 404  # the same URL without the token
    assert get(client, photos[0]["url"], HTTP_AUTHORIZATION="Bearer cg_wrong").status_code == 404


def test_the_urls_in_the_console_page_open_for_the_dispatcher(client, routed_world, private_case):
    photo = private_case.photos.get()
    as_user(client, routed_world.dispatcher)
    html = client.get(f"/console/cases/{private_case.number}/").content.decode()
    assert photo.thumbnail.url in html and photo.public.url in html
    assert status(client, photo.thumbnail.url) == 200


def test_behind_nginx_the_answer_is_an_internal_redirect_without_a_body(
    client, settings, routed_world, private_case, stranger
):
    settings.SENDFILE_BACKEND = "django_sendfile.backends.nginx"
    settings.SENDFILE_URL = "/protected-media"
    photo = private_case.photos.get()
    response = as_user(client, routed_world.citizen).get(photo.public.url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{photo.public.name}"
    assert response.content == b""
    # The check comes first: a stranger gets no redirect, only a 404.
    response = as_user(client, stranger).get(photo.public.url)
    assert response.status_code == 404 and "X-Accel-Redirect" not in response


def test_path_traversal_round_the_check_is_refused(client, private_case):
    photo = private_case.photos.get()
    for url in (
        f"/media/points/../{photo.public.name}",
        f"/media/points/%2e%2e/{photo.public.name}",
        f"/media/./{photo.public.name}",
        f"/media/cases//{photo.public.name.removeprefix('cases/')}",
        "/media/../../etc/passwd",
    ):
        assert status(client, url) == 404, url


def test_behind_apache_the_answer_is_an_x_sendfile_header(client, settings, routed_world, private_case):
    settings.SENDFILE_BACKEND = "django_sendfile.backends.xsendfile"
    photo = private_case.photos.get()
    response = as_user(client, routed_world.dispatcher).get(photo.thumbnail.url)
    assert response.status_code == 200 and response.content == b""
    assert response["X-Sendfile"] == photo.thumbnail.path
