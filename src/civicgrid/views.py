"""The project's own pages: the landing page (it counts what the domain apps hold, so it lives above
them, beside urls.py) and the public photos of the embedded deployment."""

from django.conf import settings
from django.shortcuts import render
from django.views.static import serve

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


def media(request, path: str):
    """Public photos for the embedded deployment (behind nginx, CIVICGRID_SERVE_MEDIA=0)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)
