"""The sample of a round: reproducible from its seed, stratified by site type × street as configured."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.core.errors import Conflict, DomainError
from civicgrid.evaluation import services
from civicgrid.evaluation.models import Round, RoundSite
from civicgrid.evaluation.sampling import draw_sample, stratum_size

pytestmark = pytest.mark.django_db


def new_round(ev, *, seed, strata, name="第二轮"):
    return services.round_create(
        edition=ev.edition,
        name=name,
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 31),
        seed=seed,
        strata=strata,
        actor=ev.world.admin,
    )


def drawn_ids(round) -> list[int]:
    return sorted(RoundSite.objects.filter(round=round).values_list("site_id", flat=True))


def test_the_sample_is_stratified_by_type_and_street(ev):
    counts = Counter(
        RoundSite.objects.filter(round=ev.round).values_list("site__site_type__code", "site__street__code")
    )
    streets = [ev.world.street.code, ev.east.code]
    # 2 of 3 roads and 1 of 2 markets in each street; parks have no count and are not drawn.
    assert counts == {("road", s): 2 for s in streets} | {("market", s): 1 for s in streets}


def test_the_same_seed_draws_the_same_sample(ev):
    again = new_round(ev, seed=42, strata={"per_type": {"road": 2, "market": 1}})
    services.round_draw(round=again, actor=ev.world.admin)
    assert drawn_ids(again) == drawn_ids(ev.round)
    assert services.draw_verify(Round.objects.get(pk=ev.round.pk))
    # Over a few seeds the samples differ: the seed, not the order of the rows, decides.
    samples = set()
    for seed in range(1, 9):
        other = new_round(ev, seed=seed, strata={"per_type": {"road": 2, "market": 1}}, name=f"种子{seed}")
        services.round_draw(round=other, actor=ev.world.admin)
        samples.add(tuple(drawn_ids(other)))
    assert len(samples) > 1


def test_a_changed_record_fails_verification(ev):
    record = ev.round.draw
    some_road = next(k for k in record["drawn"] if k.startswith("road|"))
    population = record["population"][some_road]
    not_drawn = next(i for i in population if i not in record["drawn"][some_road])
    record["drawn"][some_road] = sorted([*record["drawn"][some_road][1:], not_drawn])
    Round.objects.filter(pk=ev.round.pk).update(draw=record)
    assert not services.draw_verify(Round.objects.get(pk=ev.round.pk))


def test_a_share_draws_a_rounded_up_part_of_each_stratum(ev):
    r = new_round(ev, seed=7, strata={"share": 0.5, "min": 1})
    services.round_draw(round=r, actor=ev.world.admin)
    counts = Counter(
        RoundSite.objects.filter(round=r).values_list("site__site_type__code", "site__street__code")
    )
    for street in (ev.world.street.code, ev.east.code):
        assert counts[("road", street)] == 2  # ceil(0.5 × 3)
        assert counts[("market", street)] == 1
        assert counts[("park", street)] == 1  # min 1


def test_a_round_is_drawn_once(ev):
    with pytest.raises(Conflict):
        services.round_draw(round=ev.round, actor=ev.world.admin)


@pytest.mark.parametrize(
    "strata",
    [
        {"per_type": {"road": -1}},
        {"per_type": {}},
        {"share": 2},
        {"share": 0.5, "per_type": {"road": 1}},
        {"x": 1},
    ],
)
def test_a_bad_configuration_is_refused(ev, strata):
    with pytest.raises(DomainError) as refused:
        new_round(ev, seed=1, strata=strata)
    assert refused.value.field == "strata"


def test_a_round_of_a_draft_edition_is_refused(ev):
    copy = services.edition_copy(edition=ev.edition, actor=ev.world.admin)
    with pytest.raises(Conflict):
        services.round_create(
            edition=copy,
            name="x",
            starts_on=date(2026, 12, 1),
            ends_on=date(2026, 12, 2),
            strata={"default": 1},
            actor=ev.world.admin,
        )


def test_sites_are_assigned_to_inspectors_only(ev):
    sites = list(RoundSite.objects.filter(round=ev.round))
    with pytest.raises(DomainError):
        services.round_assign(round=ev.round, inspector=ev.world.citizen, sites=sites, actor=ev.world.admin)


populations = st.dictionaries(
    st.tuples(st.sampled_from(["road", "market", "park"]), st.sampled_from(["s1", "s2", "s3"])),
    st.sets(st.integers(1, 500), min_size=1, max_size=30),
    min_size=1,
)


@given(
    seed=st.integers(0, 2**62 - 1),
    population=populations,
    per_type=st.dictionaries(st.sampled_from(["road", "market", "park"]), st.integers(0, 8)),
)
def test_draw_sample_is_a_seeded_stratified_sample(seed, population, per_type):
    strata = {"per_type": per_type}
    drawn = draw_sample(seed=seed, strata=strata, population=population)
    assert drawn == draw_sample(seed=seed, strata=strata, population=dict(reversed(population.items())))
    for (site_type, street), ids in population.items():
        got = drawn.get(f"{site_type}|{street}", [])
        assert (
            len(got) == stratum_size(strata, site_type, len(ids)) == min(per_type.get(site_type, 0), len(ids))
        )
        assert set(got) <= ids and len(set(got)) == len(got)
