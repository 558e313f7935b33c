"""The embedded server serves public photos from the media folder, and nothing outside it."""


def test_media_files_are_served(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0fake")
    response = client.get("/media/cases/x.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_media_cannot_escape_its_folder(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media").mkdir()
    (tmp_path / "secret.txt").write_text("no")
    for url in ("/media/../secret.txt", "/media/%2e%2e/secret.txt"):
        response = client.get(url)
        assert response.status_code in (400, 404)
        assert b"no" != b"".join(getattr(response, "streaming_content", [response.content]))
