"""(htmx) 智能推荐 on the report page: the likeliest categories of the description as the citizen types it.

Nothing below CIVICGRID_SUGGEST_MIN_CONFIDENCE is shown. What is shown is logged (where "h5"); the log's id
rides in the form and joins the case the report makes (classifier.suggestions.suggestion_link).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from civicgrid.cases.choices import CaseKind
from civicgrid.classifier.models import SuggestionWhere, Target
from civicgrid.classifier.services import report_text, suggest_categories
from civicgrid.classifier.suggestions import category_ranked, suggestion_log
from civicgrid.core.errors import DomainError
from civicgrid.core.text import text_check
from civicgrid.mobile import selectors
from civicgrid.web import mobile_login_required

DESCRIPTION_MAX = 2000


@require_POST
@mobile_login_required
def report_suggest(request: HttpRequest) -> HttpResponse:
    try:
        description = text_check(
            request.POST.get("description"), field="description", max_length=DESCRIPTION_MAX
        )
        address = text_check(request.POST.get("address"), field="address", max_length=200)
    except DomainError as err:
        return render(request, "mobile/partials/_suggest_chips.html", {"error": err.message}, status=422)
    kinds = dict(CaseKind.choices)
    suggestions = []
    if description:
        text = report_text(
            description=description, address=address, kind_label=str(kinds.get(request.POST.get("kind"), ""))
        )
        suggestions = suggest_categories(text, k=3)
    previous = request.POST.get("suggestion_log", "")
    log = suggestion_log(
        where=SuggestionWhere.H5,
        target=Target.CATEGORY,
        text=description,
        ranked=category_ranked(suggestions),
        user=request.user,
        replace=int(previous) if previous.isdigit() else None,
    )
    chips = [
        (selectors.category_value(s.category), s.category, round(s.confidence * 100)) for s in suggestions
    ]
    return render(
        request,
        "mobile/partials/_suggest_chips.html",
        {"chips": chips, "log": log, "asked": bool(description)},
    )
