"""Rounds (测评轮次) and their sample: a seeded random draw of sites stratified by site type and street.

The strata configuration (`Round.strata`) says how many sites each stratum gives:

    {"per_type": {"market": 2, "road": 3}, "default": 1}   # n sites per (type, street); other types: default
    {"share": 0.2, "min": 1}                                # a share of each (type, street), rounded up

A type with no count (and no default) is not drawn. A stratum with fewer sites than its count gives them all.

The draw is a pure function of the seed, the configuration and the population (`draw_sample`); each
stratum has its own random stream (seed, type, street), so a site added to one street does not change
another street's sample. `Round.draw` records the population of every stratum and what was drawn, so
`draw_verify` can draw again and compare.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterable, Mapping
from datetime import date

from django.db import transaction

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError
from civicgrid.core.text import text_check
from civicgrid.evaluation.indicators import configure_check
from civicgrid.evaluation.models import Edition, Round, RoundSite, RoundStatus, Site

SEED_MAX = 2**62  # fits a signed 64-bit column


def strata_check(strata: Mapping) -> dict:
    """The configuration, checked (DomainError on anything but the two shapes above)."""
    if not isinstance(strata, Mapping):
        raise _strata_error("应为对象", "must be an object")
    allowed = {"per_type", "default", "share", "min"}
    if set(strata) - allowed:
        raise _strata_error(
            f"未知的键 {sorted(set(strata) - allowed)}", f"unknown keys {sorted(set(strata) - allowed)}"
        )
    if "share" in strata:
        if "per_type" in strata or "default" in strata:
            raise _strata_error(
                "share 与 per_type/default 只能选一种", "use either share or per_type/default"
            )
        share = strata["share"]
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 < share <= 1:
            raise _strata_error("share 应在 (0, 1] 之间", "share must be in (0, 1]")
        minimum = strata.get("min", 1)
        if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
            raise _strata_error("min 应为非负整数", "min must be a non-negative integer")
        return {"share": float(share), "min": minimum}
    per_type = strata.get("per_type", {})
    if not isinstance(per_type, Mapping):
        raise _strata_error("per_type 应为对象", "per_type must be an object")
    counts = {**per_type, **({"": strata["default"]} if "default" in strata else {})}
    for count in counts.values():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise _strata_error("每层抽取数应为非负整数", "each count must be a non-negative integer")
    if not counts or not any(counts.values()):
        raise _strata_error("至少为一种点位类型设置抽取数", "set a count for at least one site type")
    out: dict = {"per_type": dict(per_type)}
    if "default" in strata:
        out["default"] = strata["default"]
    return out


def _strata_error(zh: str, en: str) -> DomainError:
    return DomainError("strata_invalid", f"抽样设置{zh}", f"the sampling configuration {en}", field="strata")


def stratum_size(strata: Mapping, site_type: str, population: int) -> int:
    """How many sites a (type, street) stratum of `population` sites gives."""
    if "share" in strata:
        wanted = max(strata.get("min", 1), math.ceil(strata["share"] * population))
    else:
        wanted = strata.get("per_type", {}).get(site_type, strata.get("default", 0))
    return min(wanted, population)


def draw_sample(*, seed: int, strata: Mapping, population: Mapping[tuple[str, str], Iterable[int]]) -> dict:
    """The sample of each stratum: {"<type>|<street>": sorted site ids}; `population` maps (type code,
    street code) to site ids. Pure: the same arguments give the same sample."""
    drawn: dict[str, list[int]] = {}
    for site_type, street in sorted(population):
        ids = sorted(population[(site_type, street)])
        n = stratum_size(strata, site_type, len(ids))
        if n <= 0:
            continue
        # A stream per stratum, seeded by a string (hashed with SHA-512 by `random`, stable across runs).
        rng = random.Random(f"{seed}|{site_type}|{street}")
        drawn[f"{site_type}|{street}"] = sorted(rng.sample(ids, n))
    return drawn


def draw_verify(round: Round) -> bool:
    """Does drawing again from the recorded seed, configuration and population give the recorded sample
    (and is the sample what the round holds)?"""
    record = round.draw or {}
    if not record:
        return False
    population = {tuple(key.split("|", 1)): ids for key, ids in record["population"].items()}
    again = draw_sample(seed=record["seed"], strata=record["strata"], population=population)
    held = sorted(RoundSite.objects.filter(round=round).values_list("site_id", flat=True))
    recorded = sorted(i for ids in record["drawn"].values() for i in ids)
    return again == record["drawn"] and held == recorded


# --- rounds ------------------------------------------------------------------------------------------


def round_create(
    *,
    edition: Edition,
    name: str,
    starts_on: date,
    ends_on: date,
    strata: Mapping,
    actor: User,
    seed: int | None = None,
) -> Round:
    """A round of a published edition; without a seed one is chosen at random (and recorded)."""
    configure_check(actor)
    name = text_check(name, field="name", max_length=100)
    if not name:
        raise DomainError("name_required", "请填写名称", "a name is required", field="name")
    if not edition.frozen:
        raise Conflict(
            "edition_not_published",
            "测评体系尚未发布，不能开始测评轮次",
            "publish the edition before starting a round",
            field="edition",
        )
    if ends_on < starts_on:
        raise DomainError(
            "period_invalid", "结束日期早于开始日期", "the round ends before it starts", field="ends_on"
        )
    if seed is None:
        seed = secrets.randbelow(SEED_MAX)
    elif not 0 <= int(seed) < SEED_MAX:
        raise DomainError(
            "seed_invalid", "随机种子应为非负整数", "the seed must be a non-negative integer", field="seed"
        )
    return Round.objects.create(
        edition=edition,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        seed=int(seed),
        strata=strata_check(strata),
        created_by=actor,
    )


def round_draw(*, round: Round, actor: User) -> list[RoundSite]:
    """Draw the round's sample once (a draft round not yet drawn), record it and create its RoundSites."""
    configure_check(actor)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.status != RoundStatus.DRAFT or locked.drawn_at is not None:
            raise Conflict(
                "round_drawn",
                "该轮次已抽样（抽样只做一次，可按种子复核）",
                "the round's sample is already drawn (once; it can be checked from its seed)",
            )
        population: dict[tuple[str, str], list[int]] = {}
        for pk, type_code, street_code in Site.objects.filter(active=True).values_list(
            "pk", "site_type__code", "street__code"
        ):
            population.setdefault((type_code, street_code), []).append(pk)
        drawn = draw_sample(seed=locked.seed, strata=locked.strata, population=population)
        if not drawn:
            raise DomainError(
                "sample_empty",
                "按当前抽样设置没有抽中任何点位",
                "the sampling configuration draws no site",
                field="strata",
            )
        locked.draw = {
            "seed": locked.seed,
            "strata": locked.strata,
            "population": {f"{t}|{s}": sorted(ids) for (t, s), ids in sorted(population.items())},
            "drawn": drawn,
        }
        locked.drawn_at = clock.now()
        locked.save(update_fields=["draw", "drawn_at"])
        RoundSite.objects.bulk_create(
            RoundSite(round=locked, site_id=site_id) for ids in drawn.values() for site_id in ids
        )
        round.draw, round.drawn_at = locked.draw, locked.drawn_at
    return list(RoundSite.objects.filter(round=round).select_related("site"))


def round_assign(*, round: Round, inspector: User, sites: Iterable[RoundSite | int], actor: User) -> int:
    """Give sampled sites (RoundSites or their ids) of a round not closed to an inspector; returns how many."""
    configure_check(actor)
    if not user_can(inspector, Capability.INSPECT):
        raise DomainError(
            "inspector_invalid",
            "只能分配给督查员",
            "sites are assigned to inspectors only",
            field="inspector",
        )
    ids = {s.pk if isinstance(s, RoundSite) else int(s) for s in sites}
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.status == RoundStatus.CLOSED:
            raise Conflict("round_closed", "该轮次已结束", "the round is closed")
        found = set(RoundSite.objects.filter(round=locked, pk__in=ids).values_list("pk", flat=True))
        if found != ids:
            raise DomainError(
                "site_not_in_round",
                "所选点位不在本轮抽样中",
                "some sites are not in this round's sample",
                field="sites",
            )
        return RoundSite.objects.filter(pk__in=ids).update(inspector=inspector)


def _round_move(round: Round, actor: User, source: str, target: str) -> Round:
    configure_check(actor)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.status != source:
            raise Conflict(
                "round_state",
                f"轮次当前为「{locked.get_status_display()}」，不能执行此操作",
                f"the round is {locked.status}; this move needs {source}",
            )
        if target == RoundStatus.OPEN and locked.drawn_at is None:
            raise Conflict("round_not_drawn", "请先抽样", "draw the sample first")
        locked.status = target
        locked.save(update_fields=["status"])
    round.status = target
    return locked


def round_open(*, round: Round, actor: User) -> Round:
    """准备中 → 测评中: inspectors may record observations."""
    return _round_move(round, actor, RoundStatus.DRAFT, RoundStatus.OPEN)


def round_close(*, round: Round, actor: User) -> Round:
    """测评中 → 已结束: no more observations; rectification tasks carry on."""
    return _round_move(round, actor, RoundStatus.OPEN, RoundStatus.CLOSED)
