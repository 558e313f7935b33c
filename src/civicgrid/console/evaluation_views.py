"""文明测评 in the console: the rounds (create, draw the sample, assign inspectors, open, close: administrators),
the leader's scores page (a round's city total, the ranking of streets and of
responsible units, the score rate per collection method, gates, the trend across the edition's rounds and
the weakest standards city-wide) and a street's or unit's score explained line by line, every lost point
with the observations behind it.

Scores are computed by `evaluation.scoring` (never typed in); who may read them is the city view
(Capability.VIEW_CITY: leaders, dispatchers, administrators).
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, Role, user_can
from civicgrid.console.forms import RoundForm
from civicgrid.console.views import _page, staff_required
from civicgrid.core.errors import DomainError
from civicgrid.evaluation import reports, scoring, services
from civicgrid.evaluation.models import Method, Observation, Round, RoundSite, RoundStatus
from civicgrid.web import add_domain_error

WEAKEST = 10
TREND_ROUNDS = 6
METHOD_LABELS = dict(Method.choices)


def scores_reader_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_can(request.user, Capability.VIEW_CITY):
            reason = _("测评得分仅供领导和指挥中心查看。")
            return _page(request, "console/denied.html", {"reason": reason}, status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _round_from(request: HttpRequest) -> tuple[Round | None, list[Round]]:
    """The round asked for (`?round=`), else the latest round that has begun."""
    rounds = list(Round.objects.select_related("edition").exclude(status=RoundStatus.DRAFT))
    wanted = request.GET.get("round", "")
    chosen = next((r for r in rounds if str(r.pk) == wanted), None)
    return chosen or (rounds[0] if rounds else None), rounds


def percent(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@scores_reader_required
def scores(request: HttpRequest) -> HttpResponse:
    """测评得分: the round's city total and gates, streets and units ranked, methods, trend, weakest."""
    rnd, rounds = _round_from(request)
    context: dict = {
        "round": rnd,
        "rounds": rounds,
        "may_configure": user_can(request.user, Capability.CONFIGURE),
    }
    if rnd is not None:
        result = scoring.round_scores(rnd)
        same_edition = [r for r in rounds if r.edition_id == rnd.edition_id][:TREND_ROUNDS]
        trend = [
            {"point": p, "current": p.round_id == rnd.pk, "rate": percent(p.rate)}
            for p in reports.trend(rounds=same_edition[::-1])
        ]
        context.update(
            city=result.city,
            city_rate=percent(result.city.rate),
            streets=[{"row": r, "rate": percent(r.rate)} for r in reports.street_ranking(rnd, scores=result)],
            units=[{"row": r, "rate": percent(r.rate)} for r in reports.unit_ranking(rnd, scores=result)],
            methods=[
                {"label": METHOD_LABELS.get(m.method, m.method), "m": m, "rate": percent(m.rate)}
                for m in result.city.methods.values()
            ],
            weakest=[
                {"line": s, "rate": percent(s.rate)}
                for s in reports.weakest_standards(rnd, WEAKEST, scores=result)
            ],
            trend=trend,
        )
    return _page(request, "console/evaluation/scores.html", context)


@scores_reader_required
def score_detail(request: HttpRequest, scope: str, key: int) -> HttpResponse:
    """A street's or a unit's score line by line: each standard's points, score, the rule's reason and
    the failed observations (site, time, note) that lost the points."""
    rnd, rounds = _round_from(request)
    score = None
    if rnd is not None and scope in (scoring.STREET, scoring.UNIT):
        result = scoring.round_scores(rnd)
        score = (result.streets if scope == scoring.STREET else result.units).get(key)
    if score is None:
        return _page(
            request, "console/evaluation/not_found.html", {"message": _("没有这一范围的得分。")}, status=404
        )
    failed_ids = [i for line in score.lines() for i in line.failed_observations]
    failed = {
        o.pk: o for o in Observation.objects.filter(pk__in=failed_ids).select_related("round_site__site")
    }
    items = []
    for item in score.items:
        contents = []
        for content in item.children:
            lines = [
                {
                    "line": s,
                    "rate": percent(s.rate),
                    "failures": [failed[i] for i in s.failed_observations if i in failed],
                }
                for s in content.children
            ]
            contents.append({"node": content, "lines": lines})
        items.append({"node": item, "rate": percent(item.rate), "contents": contents})
    context = {
        "round": rnd,
        "rounds": rounds,
        "scope": scope,
        "score": score,
        "rate": percent(score.rate),
        "items": items,
    }
    return _page(request, "console/evaluation/score_detail.html", context)


# --- rounds: create, draw, assign inspectors, open and close (administrators) ------------------------


def configurer_required(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not user_can(request.user, Capability.CONFIGURE):
            reason = _("测评轮次由系统管理员设置。")
            return _page(request, "console/denied.html", {"reason": reason}, status=403)
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


@configurer_required
def rounds(request: HttpRequest) -> HttpResponse:
    """测评轮次: the rounds, and a new one (an edition published, a period, the sampling configuration)."""
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.round_create(
                edition=data["edition"],
                name=data["name"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                strata=data["strata"],
                seed=data["seed"],
                actor=request.user,
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("已创建测评轮次，请抽样"))
            return redirect("console:eval_round", pk=made.pk)
    context = {
        "rounds": Round.objects.select_related("edition").annotate(n_sites=Count("sites")),
        "form": form,
    }
    return _page(request, "console/evaluation/rounds.html", context, status=422 if form.errors else 200)


@configurer_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A round: its sample (drawn once, from its seed), the inspector of each site; draw, assign, open, close."""
    rnd = Round.objects.select_related("edition").filter(pk=pk).first()
    if rnd is None:
        return _page(
            request, "console/evaluation/not_found.html", {"message": _("没有这个测评轮次。")}, status=404
        )
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "draw":
                drawn = services.round_draw(round=rnd, actor=request.user)
                messages.success(request, _("已抽中 %(n)s 个点位") % {"n": len(drawn)})
            elif action == "open":
                services.round_open(round=rnd, actor=request.user)
                messages.success(request, _("测评已开始，督查员可以记录结果"))
            elif action == "close":
                services.round_close(round=rnd, actor=request.user)
                messages.success(request, _("测评已结束"))
            elif action == "assign":
                inspector = User.objects.filter(pk=request.POST.get("inspector") or 0).first()
                if inspector is None:
                    raise DomainError(
                        "inspector_required", "请选择督查员", "choose an inspector", field="inspector"
                    )
                ids = [v for v in request.POST.getlist("sites") if v.isdigit()]
                if not ids:
                    raise DomainError("sites_required", "请勾选点位", "tick the sites", field="sites")
                n = services.round_assign(round=rnd, inspector=inspector, sites=ids, actor=request.user)
                messages.success(request, _("已分配 %(n)s 个点位") % {"n": n})
        except DomainError as err:
            messages.error(request, err.message)
        return redirect("console:eval_round", pk=rnd.pk)
    sites = RoundSite.objects.filter(round=rnd).select_related(
        "site__site_type", "site__street", "site__unit", "inspector"
    )
    context = {
        "round": rnd,
        "sites": sites,
        "inspectors": User.objects.filter(role=Role.INSPECTOR, is_active=True).order_by("id"),
        "strata": json.dumps(rnd.strata, ensure_ascii=False),
    }
    return _page(request, "console/evaluation/round.html", context)
