"""The media folder is served by the app (django-sendfile2), and nothing outside it.

Case photos are access-checked: cases/tests/test_photo_files.py."""

import pytest
from django_sendfile.utils import _get_sendfile


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = settings.SENDFILE_ROOT = tmp_path / "media"
    (tmp_path / "media" / "points").mkdir(parents=True)
    (tmp_path / "media" / "cases" / "photos").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("no")
    _get_sendfile.cache_clear()


def test_media_files_are_served(client, tmp_path):
    (tmp_path / "media" / "points" / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0fake")
    response = client.get("/media/points/x.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


@pytest.mark.django_db
def test_a_file_under_cases_that_is_no_photo_of_a_case_is_not_served(client, tmp_path):
    (tmp_path / "media" / "cases" / "photos" / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0fake")
    assert client.get("/media/cases/photos/x.jpg").status_code == 404


@pytest.mark.django_db
def test_media_cannot_escape_its_folder(client, tmp_path):
    (tmp_path / "media" / "cases" / "photos" / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0fake")
    for url in (
        "/media/../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/points/../../secret.txt",
        "/media//etc/passwd",
        # a detour round the check of case photos
        "/media/points/../cases/photos/x.jpg",
        "/media/points/%2e%2e/cases/photos/x.jpg",
        "/media/./cases/photos/x.jpg",
        # folders are no files
        "/media/points",
        "/media/cases",
        "/media/",
    ):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert b"fake" not in response.content and b"no" != response.content
