"""Field inspection (实地考察): what an inspector checks at a sampled site, and the observation recorded.

Rules of `observation_record`, in order:
1. A draft sent again (same `client_uuid`, weak network) answers with the observation it made, and
   records nothing more — also when both copies arrive at once (the unique `client_uuid` decides).
2. Only the inspector the site is assigned to records, only while the round is open (测评中), only a
   field standard of the round's edition that applies to the site's type, once per standard and site
   (a second look is a re-inspection, through the task).
3. The phone's position must be within CIVICGRID_EVALUATION_MAX_DISTANCE_M of the site; the time
   (the phone's, for a draft kept offline) must fall in the round's period and not in the future.
4. A failed standard opens a rectification task for the site's responsible unit
   (`rectification.task_open_for`), in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.core import clock
from civicgrid.core.errors import Conflict, DomainError, PermissionDenied
from civicgrid.core.text import text_check
from civicgrid.evaluation.models import (
    Method,
    Observation,
    Result,
    RoundSite,
    RoundStatus,
    Standard,
)
from civicgrid.evaluation.onsite import draft_replay, photos_process, photos_store, position_check, uuid_check
from civicgrid.evaluation.rectification import task_open_for

# A phone's clock a little ahead of the server's is not a time in the future.
CLOCK_SKEW = timedelta(minutes=5)


def standards_for(round_site: RoundSite) -> list[Standard]:
    """The checklist of a sampled site: the field standards of the round's edition whose site types
    include the site's type, in the edition's order."""
    type_code = round_site.site.site_type.code
    standards = (
        Standard.objects.filter(content__item__edition_id=round_site.round.edition_id, method=Method.FIELD)
        .select_related("content__item")
        .order_by(
            "content__item__position", "content__item_id", "content__position", "content_id", "position", "id"
        )
    )
    # JSON "contains" differs between SQLite and PostgreSQL; a checklist is a few hundred rows at most.
    return [s for s in standards if type_code in s.site_types]


def _time_check(round_site: RoundSite, at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if timezone.is_naive(at):
        raise DomainError("time_invalid", "时间须带时区", "the time needs a time zone", field="at")
    if at > now + CLOCK_SKEW:
        raise DomainError("time_future", "记录时间晚于当前时间", "the time is in the future", field="at")
    day = timezone.localdate(at)
    round = round_site.round
    if not round.starts_on <= day <= round.ends_on:
        raise DomainError(
            "time_outside_round",
            f"记录时间不在本轮测评期间（{round.starts_on}—{round.ends_on}）",
            f"the time is outside the round's period ({round.starts_on} – {round.ends_on})",
            field="at",
        )
    return at


def observation_record(
    *,
    round_site: RoundSite,
    standard: Standard,
    result: str,
    inspector: User,
    lat: float | None,
    lon: float | None,
    at: datetime | None = None,
    note: str = "",
    photos: Sequence = (),
    client_uuid: uuid.UUID | str | None = None,
) -> Observation:
    """Record one standard observed at a sampled site (see the module docstring for the rules)."""

    key = uuid_check(client_uuid)
    replay = draft_replay(key, inspector)
    if replay is not None:
        return replay
    if result not in Result.values:
        raise DomainError(
            "result_invalid",
            "结果应为 pass / fail / na",
            "the result must be pass, fail or na",
            field="result",
        )
    note = text_check(note, field="note", max_length=500)
    round_site = RoundSite.objects.select_related("round", "site__site_type").get(pk=round_site.pk)
    if round_site.inspector_id != inspector.pk:
        raise PermissionDenied(
            "site_not_assigned",
            "该点位未分配给您",
            "this site is not assigned to you",
        )
    if round_site.round.status != RoundStatus.OPEN:
        raise Conflict("round_not_open", "该轮次不在测评中", "the round is not open for inspection")
    if standard.pk not in {s.pk for s in standards_for(round_site)}:
        raise DomainError(
            "standard_not_applicable",
            "该测评标准不适用于此点位",
            "this standard does not apply to this site",
            field="standard",
        )
    distance = position_check(round_site, lat, lon)
    now = clock.now()
    observed_at = _time_check(round_site, at, now)
    processed = photos_process(photos) if photos else []
    try:
        with transaction.atomic():
            # One writer per site at a time: two drafts of one standard cannot both be the first.
            RoundSite.objects.select_for_update().filter(pk=round_site.pk).first()
            # The other copy of this draft may have committed while this one waited for the lock.
            replay = draft_replay(key, inspector)
            if replay is not None:
                return replay
            if Observation.objects.filter(
                round_site=round_site, standard=standard, reinspects__isnull=True
            ).exists():
                raise Conflict(
                    "already_observed",
                    "该标准在此点位已有记录；复查请通过整改任务",
                    "this standard is already recorded at this site; re-inspect through its task",
                    field="standard",
                )
            observation = Observation.objects.create(
                round_site=round_site,
                standard=standard,
                result=result,
                note=note,
                lat=float(lat),
                lon=float(lon),
                distance_m=round(distance, 1),
                observed_at=observed_at,
                inspector=inspector,
                client_uuid=key,
            )
            photos_store(observation, processed)
            RoundSite.objects.filter(pk=round_site.pk, visited_at__isnull=True).update(visited_at=observed_at)
            if result == Result.FAIL:
                task_open_for(observation, now=now)
    except IntegrityError:
        # The same draft arrived twice at once; the other copy won and is the answer.
        replay = draft_replay(key, inspector)
        if replay is None:
            raise
        return replay
    return observation
