from django.shortcuts import render

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
