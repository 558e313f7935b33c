"""The project's own pages: the landing page (it counts what the domain apps hold, so it lives above
them, beside urls.py) and the media folder (photos), whose case photos are access-checked."""

import posixpath
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django_sendfile import sendfile

from civicgrid.accounts.services import api_token_authenticate
from civicgrid.cases.access import access_case_photo
from civicgrid.cases.models import CasePhoto
from civicgrid.core.errors import NotFound
from civicgrid.grids.models import Cell, Street
from civicgrid.taxonomy.models import Category


def home(request):
    """The landing page: what this platform is and where each kind of user goes."""
    context = {
        "cell_count": Cell.objects.count(),
        "street_count": Street.objects.count(),
        "category_count": Category.objects.active().count(),
    }
    return render(request, "core/home.html", context)


def _viewer(request):
    """The signed-in user, or the owner of the API bearer token a machine client sends instead."""
    if request.user.is_authenticated:
        return request.user
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return api_token_authenticate(token.strip()) or request.user
    return request.user


def media(request, path: str):
    """A file of the media folder; a case photo only for those who may see it (404 for the others).

    Sent by django-sendfile2 (settings.SENDFILE_BACKEND): streamed by the app, or an
    X-Accel-Redirect / X-Sendfile header for the web server in front.
    """
    # Only a plain relative path: no "..", no "//", no leading "/" (nothing outside the folder, and
    # no detour such as points/../cases/… round the check below).
    if not path or posixpath.normpath(path) != path or path.startswith(("/", "..")) or "\\" in path:
        raise Http404("not a media path")
    checked = path.startswith(f"{CasePhoto.FOLDER}/")
    if checked:
        try:
            access_case_photo(_viewer(request), path)
        except NotFound as exc:
            raise Http404("photo not found") from exc
    file = Path(settings.MEDIA_ROOT) / path
    if not file.is_file():  # a folder, or nothing
        raise Http404("no such file")
    response = sendfile(request, file)
    if checked:
        # Whether it was shown depends on who asked: no shared cache may keep it.
        patch_cache_control(response, private=True)
    return response
