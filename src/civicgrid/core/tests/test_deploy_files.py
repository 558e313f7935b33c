"""docs/DEPLOY.md and the configuration files it installs (deploy/): they exist, say what the guide
promises, and nginx accepts the site file (when nginx is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import civicgrid

REPO = Path(civicgrid.__file__).resolve().parent.parent.parent
DEPLOY = REPO / "deploy"
GUIDE = REPO / "docs" / "DEPLOY.md"
FILES = [
    "nginx.conf",
    "civicgrid.service",
    "civicgrid-worker.service",
    "civicgrid-backup.service",
    "civicgrid-backup.timer",
]


def locations(conf: str) -> dict[str, str]:
    """location path → its block's body (the site file has no nested locations)."""
    return dict(re.findall(r"location\s+(\S+)\s*\{([^}]*)\}", conf))


def test_the_guide_names_every_file_and_every_file_exists():
    guide = GUIDE.read_text(encoding="utf-8")
    for name in FILES:
        assert (DEPLOY / name).is_file(), name
        assert f"deploy/{name}" in guide, name


def test_nginx_has_the_locations_the_guide_promises():
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    found = locations(conf)
    assert set(found) == {"/static/", "/media/", "/protected-media/", "/"}
    assert "alias /srv/civicgrid/var/static/;" in found["/static/"]
    assert "proxy_pass http://civicgrid_app;" in found["/media/"]  # the app checks who may see a photo
    # The photo files: only through X-Accel-Redirect from the app, never asked for directly.
    assert "internal;" in found["/protected-media/"]
    assert "alias /srv/civicgrid/var/media/;" in found["/protected-media/"]
    assert "proxy_pass http://civicgrid_app;" in found["/"]
    assert "X-Forwarded-Proto $scheme" in found["/"]
    assert re.search(r"listen 443 ssl", conf) and "ssl_certificate " in conf
    assert "return 301 https://" in conf
    guide = GUIDE.read_text(encoding="utf-8")
    for path in found:
        assert f"`{path}`" in guide, path


def test_the_services_run_the_commands_of_the_guide():
    def exec_start(name: str) -> str:
        return re.search(r"^ExecStart=(.+)$", (DEPLOY / name).read_text(), re.M)[1]

    assert exec_start("civicgrid.service") == "/srv/civicgrid/venv/bin/civicgrid serve"
    assert exec_start("civicgrid-worker.service") == "/srv/civicgrid/venv/bin/civicgrid worker"
    assert exec_start("civicgrid-backup.service").startswith("/srv/civicgrid/venv/bin/civicgrid backup --to ")
    timer = (DEPLOY / "civicgrid-backup.timer").read_text()
    assert "Unit=civicgrid-backup.service" in timer and "OnCalendar=" in timer
    for name in FILES[1:4]:
        assert "Environment=CIVICGRID_HOME=/srv/civicgrid" in (DEPLOY / name).read_text(), name


@pytest.mark.skipif(
    shutil.which("nginx") is None or shutil.which("openssl") is None, reason="nginx not installed"
)
def test_nginx_accepts_the_site_file(tmp_path):
    # The site file as installed, with a throw-away certificate and logs under a test prefix.
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/civicgrid/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/civicgrid/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  client_body_temp_path {tmp_path};\n"
        f"  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
