"""The default backend of django-sendfile2 here: the app streams the file itself.

django-sendfile2 (SENDFILE_BACKEND) checks that a file lies under SENDFILE_ROOT and answers with it;
behind nginx its `nginx` backend answers with X-Accel-Redirect and no body (or `xsendfile`:
X-Sendfile), and the web server sends the file. Its own `simple` backend reads the whole file into
memory; this one streams it (FileResponse), for the embedded deployment without a web server in front.
"""

from __future__ import annotations

from pathlib import Path

from django.http import FileResponse, HttpRequest


def sendfile(request: HttpRequest, filename: Path, **kwargs) -> FileResponse:
    return FileResponse(Path(filename).open("rb"))
