"""Benchmark: volunteer sign-ups and check-ins through the real server, on SQLite and on PostgreSQL.

    .venv/bin/python bench/volunteers.py [--volunteers 10000] [--activities 1000] [--clients 50]
                                         [--rounds 5] [--shifts-per-round 3] [--checkins 500]
                                         [--workers 2] [--databases sqlite,postgresql] [--keep]

For each database: a fresh database (a temp dir for SQLite; `civicgrid_bench_volunteers`, dropped and
created again, for PostgreSQL), `civicgrid migrate`, `civicgrid demo` (a short history), then the
volunteer service of a city in bulk (`build_data`, run inside `civicgrid shell`): `--volunteers`
citizens' accounts with their volunteer profiles, a team per hundred with its leader, `--activities`
published activities all over the demo city with two upcoming shifts each, a part of their places taken
by confirmed sign-ups. The rows are written with bulk inserts, but each as the services write it: one
volunteer, team, activity, shift and sign-up are first made through the services, and every bulk row
is checked against them (the same columns set, the same events) before anything is measured. Personal
API keys (`accounts.clients.api_personal_key_issue`, what `civicgrid issue_token` calls) for the
volunteers who take part and the organisers; then `civicgrid serve` (gunicorn, production settings,
DEBUG=0) with `--workers` workers (bench/serverkit.py).

1. Sign-up storm: `--clients` volunteers, each a keep-alive client with its own key (threads in two
   client processes), are released together by a barrier at the same `--shifts-per-round` shifts
   (`POST /api/volunteers/shifts/{id}/signups`, each client in its own order), `--rounds` times, each
   round new shifts: capacities 5, 10 and 20, the last without a waiting list. Every answer must be a
   201 (confirmed or waitlisted) or a 409 with an error code and message; afterwards the database must
   show no shift of the whole city over capacity (confirmed + attended ≤ capacity, and equal to the
   shift's `seats_taken`), exactly min(capacity, clients) confirmed on each storm shift, the rest
   waitlisted in distinct ranks (or refused with 409 where there is no waiting list), and the same
   states as the answers said. Before the storm each client signs up once for a shift with room for
   all (the warm-up, not measured); after it, once more, one client at a time (`signup_alone_*`: a
   sign-up's own time, without a queue).
2. Check-ins: `--checkins` confirmed volunteers of shifts about to start, each with its own key, check
   in with the venue code their organiser's `GET /api/volunteers/activities/{id}/venue-code` shows and
   a location inside the activity's fence (half of them with a drawn area, half a radius around the
   point) (`POST /api/volunteers/checkin`): the first `--clients` one at a time (`checkin_alone_*`),
   the rest `--clients` at a time. Every one must be accepted, with no anomaly; afterwards the database
   must hold them all. A few check-outs of volunteers not checked in yet (409, nothing changes) warm
   the workers first.

Latencies are measured by the clients, from sending to the whole answer: with `--clients` requests
arriving at once at `--workers` sync workers they include the wait in the server's queue. On a shared
machine the figures follow what else runs: `*_server_cpu_ms` is the CPU that the server's processes
(and their PostgreSQL backends) spent per request, whatever the load.

Targets: sign-up p95 < 100 ms and never over capacity; check-in p95 < 50 ms. The last line printed is
one JSON object, as bench/intake.py's: {"bench": "volunteers", "db": "sqlite,postgresql", "sqlite":
{…figures…, "targets_met": …}, "postgresql": {…}, "targets_met": …}, naming the databases it skipped or
that failed; exit status 0, 2 (skipped) or 1 (failed) (bench/needs.py).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import secrets
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import needs  # noqa: E402
import serverkit  # noqa: E402
from serverkit import BBOX, Server, Target, log, machine_busy_seconds, process_cpu_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"signup_p95_ms": 100, "checkin_p95_ms": 50}
PG_NAME = "civicgrid_bench_volunteers"
CLIENT_PROCESSES = 2
# The storm's shifts of a round, in turn: (capacity, waiting list).
STORM_SHIFTS = ((5, True), (10, True), (20, False))
VOLUNTEER_PHONE = "177{:08d}"  # the bench's volunteers: 17700000000 …
ORGANISER_PHONE = "176{:08d}"  # their team leaders, who organise the activities
KEY_NAME = "volunteers-bench"


# --- the data, built inside `civicgrid shell` (Django is set up there) --------------------------------


def build_data(params: dict) -> dict:
    """The volunteer service of a city, in bulk; returns what the clients need (ids, keys, places).

    Runs in the server's environment through `civicgrid shell`, so that it writes with the same code
    and settings (and the same token keys) as the server that answers.
    """
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from civicgrid.accounts.clients import api_personal_key_issue
    from civicgrid.accounts.models import User
    from civicgrid.accounts.roles import Role
    from civicgrid.grids.models import Street
    from civicgrid.volunteers.models import (
        Activity,
        ActivityStatus,
        ActivityType,
        Shift,
        Signup,
        SignupEvent,
        Team,
        TeamMembership,
        VolunteerProfile,
    )
    from civicgrid.volunteers.rules import checkin_before_default

    rng = random.Random(params["seed"])
    now = timezone.now()
    before = checkin_before_default()  # as shift_add sets it
    n_volunteers, n_activities = params["volunteers"], params["activities"]
    streets = list(Street.objects.order_by("code"))
    min_lon, min_lat, max_lon, max_lat = BBOX
    t0 = time.perf_counter()

    # One of each through the services: the rows every bulk row is compared with (`_same_shape`).
    ref = _reference_rows(params, now, streets)

    with transaction.atomic():
        # Accounts: citizens signed in once (no password: they sign in by SMS code).
        unusable = [make_password(None) for _ in range(64)]
        organiser_users = User.objects.bulk_create(
            User(
                phone=ORGANISER_PHONE.format(i),
                real_name=_name(rng),
                role=Role.CITIZEN,
                password=unusable[i % 64],
                date_joined=now - timedelta(days=rng.randint(30, 700)),
            )
            for i in range(max(1, n_volunteers // 100))
        )
        users = User.objects.bulk_create(
            User(
                phone=VOLUNTEER_PHONE.format(i),
                real_name=_name(rng),
                role=Role.CITIZEN,
                password=unusable[i % 64],
                date_joined=now - timedelta(days=rng.randint(1, 700)),
            )
            for i in range(n_volunteers - 1)  # the reference volunteer is the last one
        )
        profiles = VolunteerProfile.objects.bulk_create(
            VolunteerProfile(
                user=user,
                number=f"ZY{user.pk:010d}",  # as volunteer_register numbers them
                real_name=user.real_name,
                phone=user.phone,
                birth_date=(now - timedelta(days=rng.randint(16 * 365, 70 * 365))).date(),
                skills=rng.sample(SKILLS, rng.randint(0, 2)),
                street=rng.choice(streets),
                consent_at=user.date_joined,
                created_at=user.date_joined,
            )
            for user in users
        )
        profiles.append(ref["volunteer"])
        # Teams: one per hundred volunteers, led by an organiser, in a street.
        teams = Team.objects.bulk_create(
            Team(
                name=f"{street.name}志愿服务队{i + 1}",
                street=street,
                leader=leader,
                created_at=leader.date_joined,
            )
            for i, (leader, street) in enumerate((leader, rng.choice(streets)) for leader in organiser_users)
        )
        TeamMembership.objects.bulk_create(
            TeamMembership(team=teams[i % len(teams)], volunteer=p, joined_at=p.created_at)
            for i, p in enumerate(profiles[:-1])
        )
        # Activities, all over the city, each with two upcoming shifts.
        kinds = [k for k, _ in ActivityType.choices]
        activities = Activity.objects.bulk_create(
            Activity(
                title=f"{ActivityType(kind).label}·{team.name}第{i + 1}期",
                kind=kind,
                description="",
                team=team,
                created_by=team.leader,
                street=team.street,
                address=f"{team.street.name}活动点{i + 1}",
                lat=round(rng.uniform(min_lat, max_lat), 6),
                lon=round(rng.uniform(min_lon, max_lon), 6),
                fence_m=300,
                status=ActivityStatus.PUBLISHED,
                venue_secret=secrets.token_hex(16),  # as activity_create makes it
                created_at=now - timedelta(days=rng.randint(1, 20)),
            )
            for i, (kind, team) in enumerate(
                (rng.choice(kinds), teams[i % len(teams)]) for i in range(n_activities - 1)
            )
        )
        Activity.organisers.through.objects.bulk_create(
            Activity.organisers.through(activity_id=a.id, user_id=a.created_by_id) for a in activities
        )
        activities.append(ref["activity"])
        shifts = []
        for a in activities[:-1]:
            day = (now + timedelta(days=rng.randint(1, 30))).replace(minute=0, second=0, microsecond=0)
            start = day.replace(hour=rng.choice((8, 9, 14, 15)))
            for k in range(2):
                begins = start + timedelta(hours=3 * k)
                shifts.append(
                    Shift(
                        activity=a,
                        starts_at=begins,
                        ends_at=begins + timedelta(hours=2, minutes=30),
                        capacity=rng.choice((10, 15, 20, 30)),
                        checkin_before_min=before,
                        signup_deadline=begins - timedelta(hours=2),
                    )
                )
        shifts = Shift.objects.bulk_create(shifts)
        # Places taken: up to all of a shift's, by confirmed sign-ups of volunteers other than those
        # who take part in the measured runs.
        bystanders = profiles[params["clients"] + params["checkins"] : -1]
        signups = []
        for shift in shifts:
            taken = rng.randint(0, shift.capacity)
            for volunteer in rng.sample(bystanders, taken):
                signups.append(_confirmed(shift, volunteer, shift.activity.created_at, rng))
            shift.seats_taken = taken
        Shift.objects.bulk_update(shifts, ["seats_taken"], batch_size=500)

        # The storm's shifts: new shifts of the first activities, tomorrow, one round after another.
        storm_rounds = []
        for r in range(params["rounds"]):
            activity = activities[r % len(activities)]
            begins = (now + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
            begins += timedelta(hours=r % 10, days=r // 10)
            storm_rounds.append(
                Shift.objects.bulk_create(
                    Shift(
                        activity=activity,
                        starts_at=begins,
                        ends_at=begins + timedelta(hours=1),
                        capacity=capacity,
                        waitlist=waitlist,
                        checkin_before_min=before,
                        signup_deadline=begins - timedelta(hours=1),
                    )
                    for capacity, waitlist in (
                        STORM_SHIFTS[k % len(STORM_SHIFTS)] for k in range(params["shifts_per_round"])
                    )
                )
            )

        # Two shifts with a place for every client: each signs up for the first once before the storm
        # (not measured: the server's workers load the code and open their connections on these), and
        # for the second after it, one client at a time (a sign-up's own time, without a queue).
        begins = (now + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
        warm_shift, solo_shift = (
            Shift.objects.create(
                activity=activities[(params["rounds"] + k) % len(activities)],
                starts_at=begins,
                ends_at=begins + timedelta(hours=2),
                capacity=params["clients"],
                checkin_before_min=before,
                signup_deadline=begins - timedelta(hours=1),
            )
            for k in range(2)
        )

        # The check-ins' shifts: starting in 20 minutes (check-in opens an hour before), each of its own
        # activity; half the activities have a drawn area, half a radius.
        checkers = profiles[params["clients"] : params["clients"] + params["checkins"]]
        per_shift = params["clients"]
        live = []
        for n, i in enumerate(range(0, len(checkers), per_shift)):
            activity = activities[-2 - n]
            if n % 2:
                d = 0.002  # ≈ 220 m north–south, 170 m east–west
                activity.area = {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [activity.lon - d, activity.lat - d],
                            [activity.lon + d, activity.lat - d],
                            [activity.lon + d, activity.lat + d],
                            [activity.lon - d, activity.lat + d],
                            [activity.lon - d, activity.lat - d],
                        ]
                    ],
                }
                activity.save(update_fields=["area"])
            group = checkers[i : i + per_shift]
            shift = Shift.objects.create(
                activity=activity,
                starts_at=now + timedelta(minutes=20),
                ends_at=now + timedelta(hours=3),
                capacity=len(group) + 10,
                checkin_before_min=before,
                seats_taken=len(group),
            )
            for volunteer in group:
                signups.append(_confirmed(shift, volunteer, now - timedelta(days=1), rng))
            live.append((activity, shift, group))
        made = Signup.objects.bulk_create(signups, batch_size=2000)
        SignupEvent.objects.bulk_create(
            (event for s in made for event in _confirmed_events(s)), batch_size=2000
        )

    _same_shape(ref, profiles[0], teams[0], activities[0], shifts[0], made[0])
    built = time.perf_counter() - t0

    # Keys: the storm's clients, the checkers and the organisers of the live activities.
    t1 = time.perf_counter()

    def key(user) -> str:
        return api_personal_key_issue(user=user, name=KEY_NAME, rate_limit_per_minute=1_000_000)[1]

    storm_keys = [key(p.user) for p in profiles[: params["clients"]]]
    checkins = []
    venue_keys = {}
    for activity, _shift, group in live:
        venue_keys[activity.id] = key(activity.created_by)
        for volunteer in group:
            if activity.area:  # inside the area, a little off its centre
                lat = activity.lat + rng.uniform(-0.0008, 0.0008)
                lon = activity.lon + rng.uniform(-0.0008, 0.0008)
            else:  # within about 80 m of the point
                lat = activity.lat + rng.uniform(-0.0005, 0.0005)
                lon = activity.lon + rng.uniform(-0.0005, 0.0005)
            checkins.append(
                {
                    "key": key(volunteer.user),
                    "activity": activity.id,
                    "lat": round(lat, 6),
                    "lon": round(lon, 6),
                }
            )
    return {
        "built_s": round(built, 1),
        "keys_s": round(time.perf_counter() - t1, 1),
        "volunteers": VolunteerProfile.objects.count(),
        "activities": Activity.objects.count(),
        "shifts": Shift.objects.count(),
        "signups": Signup.objects.count(),
        "storm_keys": storm_keys,
        "storm_rounds": [[s.id for s in shifts] for shifts in storm_rounds],
        "warm_shift": warm_shift.id,
        "solo_shift": solo_shift.id,
        "checkins": checkins,
        "venue_keys": venue_keys,
        "live_shifts": [shift.id for _a, shift, _g in live],
    }


SKILLS = ["急救", "驾驶", "心理疏导", "手语", "外语", "摄影", "法律咨询", "电脑维修"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def _name(rng) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _confirmed(shift, volunteer, after, rng):
    from datetime import timedelta

    from civicgrid.volunteers.models import Signup, SignupState

    at = after + timedelta(minutes=rng.randint(1, 600))
    return Signup(shift=shift, volunteer=volunteer, state=SignupState.CONFIRMED, created_at=at)


def _confirmed_events(signup):
    """The events `signup_apply` writes for an instant sign-up that got a place."""
    from civicgrid.volunteers.models import SignupEvent

    at = signup.created_at
    return [
        SignupEvent(signup=signup, action="applied", actor_id=signup.volunteer.user_id, at=at),
        SignupEvent(signup=signup, action="confirmed", actor=None, at=at),
    ]


def _reference_rows(params: dict, now, streets) -> dict:
    """One volunteer, team, activity with a shift, and confirmed sign-up made through the services."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password

    from civicgrid.accounts.models import User
    from civicgrid.accounts.roles import Role
    from civicgrid.volunteers import services

    leader = User.objects.create(
        phone="17599999999", real_name="基准队长", role=Role.CITIZEN, password=make_password(None)
    )
    user = User.objects.create(
        phone=VOLUNTEER_PHONE.format(params["volunteers"] - 1),
        real_name="基准志愿者",
        role=Role.CITIZEN,
        password=make_password(None),
    )
    volunteer = services.volunteer_register(
        user=user,
        real_name="基准志愿者",
        phone=user.phone,
        birth_date=(now - timedelta(days=30 * 365)).date(),
        skills=["急救"],
        street=streets[0],
        consent=True,
    )
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id").first()
    team = services.team_create(name="基准志愿服务队", leader=leader, street=streets[0], actor=admin)
    membership = services.team_join(team=team, volunteer=volunteer)
    min_lon, min_lat, max_lon, max_lat = BBOX
    activity = services.activity_create(
        actor=leader,
        title="基准活动",
        kind="cleaning",
        address="基准活动点",
        lat=(min_lat + max_lat) / 2,
        lon=(min_lon + max_lon) / 2,
        team=team,
        street=streets[0],
    )
    begins = (now + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    shift = services.shift_add(
        activity=activity,
        actor=leader,
        starts_at=begins,
        ends_at=begins + timedelta(hours=2),
        capacity=10,
        signup_deadline=begins - timedelta(hours=2),
    )
    signup = services.signup_apply(shift=shift, user=user)
    assert signup.state == "confirmed", signup.state
    return {
        "volunteer": volunteer,
        "team": team,
        "membership": membership,
        "activity": activity,
        "shift": shift,
        "signup": signup,
    }


def _same_shape(ref: dict, volunteer, team, activity, shift, signup) -> None:
    """Each bulk row sets the same columns as the service's row of its model, and a bulk sign-up has the
    same events: else the bench measures a city the services could not have made."""
    from civicgrid.volunteers.models import SignupEvent

    def filled(obj) -> set[str]:
        obj.refresh_from_db()
        return {
            f.attname for f in obj._meta.concrete_fields if getattr(obj, f.attname) not in (None, "", [], {})
        }

    pairs = [
        (ref["volunteer"], volunteer),
        (ref["team"], team),
        (ref["activity"], activity),
        (ref["shift"], shift),
        (ref["signup"], signup),
    ]
    for model_row, bulk_row in pairs:
        # Optional columns the bulk rows fill at random (a description, an area, skills, seats) aside.
        want, got = filled(model_row), filled(bulk_row)
        optional = OPTIONAL_COLUMNS.get(type(bulk_row).__name__, set())
        if want - got - optional or got - want - optional:
            raise SystemExit(
                f"bulk {type(bulk_row).__name__} differs from the service's: missing {sorted(want - got)}, "
                f"extra {sorted(got - want)}"
            )
        for column in SHAPED_COLUMNS.get(type(bulk_row).__name__, ()):
            want, got = (re.sub("[0-9a-f]", "x", getattr(row, column)) for row in (model_row, bulk_row))
            if want != got:
                raise SystemExit(f"bulk {type(bulk_row).__name__}.{column} {got!r} is not shaped as {want!r}")

    def events(s) -> list[tuple]:  # (action, by the volunteer, by nobody)
        rows = SignupEvent.objects.filter(signup=s).order_by("id").values_list("action", "actor_id")
        return [(action, actor == s.volunteer.user_id, actor is None) for action, actor in rows]

    ref_events, bulk_events = events(ref["signup"]), events(signup)
    if ref_events != bulk_events:
        raise SystemExit(f"bulk sign-up events {bulk_events} differ from the service's {ref_events}")


# Columns whose values must look alike (digits and hex digits aside).
SHAPED_COLUMNS = {"VolunteerProfile": ("number",), "Activity": ("venue_secret",)}
OPTIONAL_COLUMNS = {
    "VolunteerProfile": {"skills", "birth_date"},
    "Activity": {"description", "area"},
    "Shift": {"seats_taken", "signup_deadline"},
    "Team": {"community_id", "department_id", "description"},
}


# --- the clients: threads with one keep-alive connection each, in a few processes ---------------------


def _post(conn, path: str, key: str, body: dict) -> tuple[float, int, dict]:
    data = json.dumps(body)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    t0 = time.perf_counter()
    conn.request("POST", path, body=data, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    elapsed = time.perf_counter() - t0
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {"_raw": raw[:200].decode(errors="replace")}
    return elapsed, response.status, answer


def _storm_client(port: int, key: str, rounds: list[list[int]], seed: int, barrier, out: list) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.connect()
    for r, shift_ids in enumerate(rounds):
        order = list(shift_ids)
        rng.shuffle(order)
        barrier.wait()
        for shift_id in order:
            elapsed, status, answer = _post(conn, f"/api/volunteers/shifts/{shift_id}/signups", key, {})
            out.append(
                {
                    "round": r,
                    "shift": shift_id,
                    "ms": elapsed * 1000,
                    "status": status,
                    "state": answer.get("state"),
                    "id": answer.get("id"),
                    "error": answer.get("error"),
                    "message": answer.get("message") or answer.get("message_zh"),
                }
            )
    conn.close()


def _checkin_client(port: int, jobs: list[dict], barrier, out: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.connect()
    barrier.wait()
    for job in jobs:
        body = {"token": job["token"], "lat": job["lat"], "lon": job["lon"]}
        elapsed, status, answer = _post(conn, "/api/volunteers/checkin", job["key"], body)
        out.append(
            {
                "ms": elapsed * 1000,
                "status": status,
                "accepted": answer.get("accepted"),
                "anomaly": answer.get("anomaly"),
                "error": answer.get("error"),
                "message": answer.get("message"),
            }
        )
    conn.close()


def _client_process(kind: str, port: int, work: list, extra, barrier, queue) -> None:
    out: list[dict] = []
    if kind == "storm":
        threads = [
            threading.Thread(target=_storm_client, args=(port, key, extra, seed, barrier, out))
            for key, seed in work
        ]
    else:
        threads = [threading.Thread(target=_checkin_client, args=(port, jobs, barrier, out)) for jobs in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(out)


def drive(kind: str, port: int, work: list, extra=None) -> tuple[list[dict], float]:
    """`work` split over CLIENT_PROCESSES processes, a thread (one client) per item; a barrier across all
    of them releases every round at once."""
    barrier = multiprocessing.Barrier(len(work))
    queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(
            target=_client_process, args=(kind, port, work[i::CLIENT_PROCESSES], extra, barrier, queue)
        )
        for i in range(CLIENT_PROCESSES)
    ]
    t0 = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    return [row for out in results for row in out], elapsed


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


class CpuMeter:
    """The CPU the server's processes and their PostgreSQL backends spent during a phase, and the
    machine's busy CPU in the same time (for the share others took)."""

    def __init__(self, server: Server):
        self.server = server
        self.pids = server.pids() + server.target.backend_pids()
        self.cpu0, self.busy0 = process_cpu_seconds(self.pids), machine_busy_seconds()

    def stop(self) -> tuple[float, float]:
        pids = self.pids + [p for p in self.server.target.backend_pids() if p not in self.pids]
        return process_cpu_seconds(pids) - self.cpu0, machine_busy_seconds() - self.busy0


# --- the phases ---------------------------------------------------------------------------------------


def storm(server: Server, target: Target, data: dict, clients: int) -> dict:
    rounds = data["storm_rounds"]
    work = [(key, i) for i, key in enumerate(data["storm_keys"][:clients])]
    warm, _ = drive("storm", server.port, work, [[data["warm_shift"]]])
    if any(r["status"] != 201 or r["state"] != "confirmed" for r in warm):
        bad = [r for r in warm if r["status"] != 201 or r["state"] != "confirmed"]
        raise SystemExit(f"warm-up sign-ups to a shift with room for all were not confirmed: {bad[:3]}")
    meter = CpuMeter(server)
    rows, elapsed = drive("storm", server.port, work, rounds)
    cpu, busy = meter.stop()
    times = [r["ms"] for r in rows]
    confirmed = sum(1 for r in rows if r["status"] == 201 and r["state"] == "confirmed")
    waitlisted = sum(1 for r in rows if r["status"] == 201 and r["state"] == "waitlisted")
    clear_409 = sum(1 for r in rows if r["status"] == 409 and r["error"] and r["message"])
    unclear = [r for r in rows if not (r["status"] == 201 and r["state"] in ("confirmed", "waitlisted"))]
    unclear = [r for r in unclear if not (r["status"] == 409 and r["error"] and r["message"])]
    for r in unclear[:5]:
        log(f"  sign-up answer neither 201 nor a clear 409: {r}")
    checks = capacity_checks(target, rounds, rows, clients)
    # One at a time: each client signs up for a shift with room for all, alone on the server.
    solo = one_at_a_time(
        server.port, [(f"/api/volunteers/shifts/{data['solo_shift']}/signups", key, {}) for key, _ in work]
    )
    solo_bad = [a for _ms, status, a in solo if status != 201 or a.get("state") != "confirmed"]
    if solo_bad:
        raise SystemExit(f"sign-ups one at a time to a shift with room for all: {solo_bad[:3]}")
    solo_times = [ms for ms, _status, _a in solo]
    return {
        "signup_requests": len(rows),
        "signup_p50_ms": pct(times, 0.50),
        "signup_p95_ms": pct(times, 0.95),
        "signup_max_ms": pct(times, 1.0),
        "signup_per_s": round(len(rows) / elapsed, 1),
        "signup_confirmed": confirmed,
        "signup_waitlisted": waitlisted,
        "signup_409": clear_409,
        "signup_unclear": len(unclear),
        "signup_server_cpu_ms": round(cpu / max(len(rows), 1) * 1000, 2),
        "signup_server_cpu_share": round(cpu / busy, 2) if busy else None,
        "signup_alone_p50_ms": pct(solo_times, 0.50),
        "signup_alone_p95_ms": pct(solo_times, 0.95),
        **checks,
    }


def capacity_checks(target: Target, rounds: list[list[int]], rows: list[dict], clients: int) -> dict:
    """What the database holds after the storm: no shift of the city over capacity, the storm's shifts
    filled exactly, waiting ranks distinct, and the states the answers gave."""
    over = target.query(
        "SELECT s.id, s.capacity, s.seats_taken, count(g.id) FROM volunteers_shift s "
        "LEFT JOIN volunteers_signup g ON g.shift_id = s.id AND g.state IN ('confirmed', 'attended') "
        "GROUP BY s.id, s.capacity, s.seats_taken "
        "HAVING count(g.id) > s.capacity OR count(g.id) <> s.seats_taken"
    )
    for row in over[:5]:
        log(f"  shift {row[0]}: capacity {row[1]}, seats_taken {row[2]}, confirmed + attended {row[3]}")
    problems = []
    capacities = {}
    for shift_ids in rounds:
        for k, shift_id in enumerate(shift_ids):
            capacities[shift_id] = STORM_SHIFTS[k % len(STORM_SHIFTS)]
    for shift_id, (capacity, waitlist) in capacities.items():
        states = dict(
            target.query(
                "SELECT state, count(*) FROM volunteers_signup WHERE shift_id = %s GROUP BY state",
                (shift_id,),
            )
        )
        want = {"confirmed": min(capacity, clients)}
        if waitlist and clients > capacity:
            want["waitlisted"] = clients - capacity
        if states != want:
            problems.append(f"shift {shift_id}: {states}, expected {want}")
        ranks = target.query(
            "SELECT count(*), count(DISTINCT waitlist_rank) FROM volunteers_signup "
            "WHERE shift_id = %s AND state = 'waitlisted'",
            (shift_id,),
        )[0]
        if ranks[0] != ranks[1]:
            problems.append(f"shift {shift_id}: {ranks[0]} waitlisted in {ranks[1]} distinct ranks")
        answers = [r for r in rows if r["shift"] == shift_id]
        said = {}
        for r in answers:
            if r["status"] == 201:
                said[r["state"]] = said.get(r["state"], 0) + 1
        if said != want:
            problems.append(f"shift {shift_id}: the answers said {said}, the database holds {want}")
        refused = sum(1 for r in answers if r["status"] == 409)
        if refused != clients - sum(want.values()):
            problems.append(f"shift {shift_id}: {refused} refused, expected {clients - sum(want.values())}")
    for p in problems[:10]:
        log(f"  {p}")
    return {
        "never_over_capacity": not over,
        "storm_shifts_exact": not problems,
        "_problems": problems[:10],
    }


def one_at_a_time(port: int, requests: list[tuple[str, str, dict]]) -> list[tuple[float, int, dict]]:
    """POST each (path, key, body) in turn from one client: (ms, status, answer) of each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    out = []
    for path, key, body in requests:
        elapsed, status, answer = _post(conn, path, key, body)
        out.append((elapsed * 1000, status, answer))
    conn.close()
    return out


def warm_up_checkins(port: int, jobs: list[dict], threads: int) -> None:
    """Check-outs of volunteers not checked in yet, a few at once (not measured): the same path as a
    check-in up to the sign-up's lock, then refused (409 not_checked_in), so nothing changes; the
    workers load the code on them."""
    answers: list[tuple] = []

    def run(chunk: list[dict]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for job in chunk:
            body = {"token": job["token"], "lat": job["lat"], "lon": job["lon"]}
            _elapsed, status, answer = _post(conn, "/api/volunteers/checkout", job["key"], body)
            answers.append((status, answer.get("error")))
        conn.close()

    workers = [threading.Thread(target=run, args=(jobs[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if any(a != (409, "not_checked_in") for a in answers):
        raise SystemExit(f"warm-up check-outs: expected 409 not_checked_in, got {answers[:5]}")


def checkins(server: Server, target: Target, data: dict, clients: int) -> dict:
    # The organisers' screens: one venue code per live activity, fetched as the organiser's phone does.
    codes = {}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    for activity_id, key in data["venue_keys"].items():
        conn.request(
            "GET",
            f"/api/volunteers/activities/{activity_id}/venue-code",
            headers={"Authorization": f"Bearer {key}"},
        )
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"venue code of activity {activity_id}: {response.status} {body[:300]!r}")
        codes[int(activity_id)] = json.loads(body)["token"]
    conn.close()
    jobs = [dict(job, token=codes[job["activity"]]) for job in data["checkins"]]
    warm_up_checkins(server.port, jobs[: 4 * server.workers], threads=2 * server.workers)
    # The first `clients` check in one at a time (their own time, without a queue), the rest together.
    solo = one_at_a_time(
        server.port,
        [
            ("/api/volunteers/checkin", j["key"], {k: j[k] for k in ("token", "lat", "lon")})
            for j in jobs[:clients]
        ],
    )
    solo_bad = [
        a for _ms, status, a in solo if status != 200 or a.get("accepted") is not True or a.get("anomaly")
    ]
    if solo_bad:
        raise SystemExit(f"check-ins one at a time not accepted: {solo_bad[:3]}")
    solo_times = [ms for ms, _status, _a in solo]
    jobs = jobs[clients:]
    work = [jobs[i::clients] for i in range(min(clients, len(jobs)))]
    meter = CpuMeter(server)
    rows, elapsed = drive("checkin", server.port, work)
    cpu, busy = meter.stop()
    times = [r["ms"] for r in rows]
    accepted = sum(1 for r in rows if r["status"] == 200 and r["accepted"] is True and not r["anomaly"])
    for r in [r for r in rows if not (r["status"] == 200 and r["accepted"] is True and not r["anomaly"])][:5]:
        log(f"  check-in not accepted: {r}")
    live = tuple(data["live_shifts"])
    marks = ", ".join(["%s"] * len(live))
    in_db = target.query(
        f"SELECT count(*) FROM volunteers_signup WHERE shift_id IN ({marks}) AND checked_in_at IS NOT NULL",
        live,
    )[0][0]
    anomalies = target.query(
        f"SELECT count(*) FROM volunteers_checkanomaly WHERE shift_id IN ({marks})", live
    )[0][0]
    return {
        "checkin_requests": len(rows),
        "checkin_p50_ms": pct(times, 0.50),
        "checkin_p95_ms": pct(times, 0.95),
        "checkin_max_ms": pct(times, 1.0),
        "checkin_per_s": round(len(rows) / elapsed, 1),
        "checkin_accepted": accepted,
        "checkin_in_database": in_db,
        "checkin_anomalies": anomalies,
        "checkin_server_cpu_ms": round(cpu / max(len(rows), 1) * 1000, 2),
        "checkin_server_cpu_share": round(cpu / busy, 2) if busy else None,
        "checkin_alone_p50_ms": pct(solo_times, 0.50),
        "checkin_alone_p95_ms": pct(solo_times, 0.95),
    }


def bench_database(vendor: str, args) -> dict:
    target = Target.create(vendor, pg_name=PG_NAME)
    target.env["PYTHONPATH"] = str(ROOT / "src")  # this tree's code, whichever checkout the venv installed
    server = Server(target, workers=args.workers)
    try:
        target.prepare(args.history)
        params = {
            "seed": args.seed,
            "volunteers": args.volunteers,
            "activities": args.activities,
            "clients": args.clients,
            "rounds": args.rounds,
            "shifts_per_round": args.shifts_per_round,
            "checkins": args.checkins,
        }
        if args.clients + args.checkins >= args.volunteers:
            raise SystemExit("--volunteers must be more than --clients + --checkins")
        t0 = time.perf_counter()
        try:
            out = target.civicgrid(
                "shell", "-c", BUILD % {"path": str(Path(__file__).resolve()), "params": params}
            )
        except SystemExit as exc:  # its first line is the command; say why, from the end of its errors
            lines = [ln for ln in str(exc.code).splitlines() if ln.strip()]
            raise SystemExit(f"building the data failed: {lines[-1].strip()}\n" + "\n".join(lines)) from None
        data = json.loads(
            next(ln for ln in out.splitlines() if ln.startswith("BENCHDATA "))[len("BENCHDATA ") :]
        )
        target.settle()
        log(
            f"[{vendor}] {data['volunteers']} volunteers, {data['activities']} activities, {data['shifts']} "
            f"shifts, {data['signups']} sign-ups in {data['built_s']} s; {len(data['storm_keys'])} + "
            f"{len(data['checkins'])} + {len(data['venue_keys'])} keys in {data['keys_s']} s "
            f"({time.perf_counter() - t0:.0f} s with the command's start)"
        )
        server.start()
        log(f"[{vendor}] server up at {server.url} (gunicorn, {args.workers} workers)")
        load_before = os.getloadavg()[0]
        result = {
            "volunteers": data["volunteers"],
            "activities": data["activities"],
            "clients": args.clients,
            "workers": args.workers,
        }
        phase = storm(server, target, data, args.clients)
        log(f"[{vendor}] sign-up storm: {phase}")
        result.update(phase)
        phase = checkins(server, target, data, args.clients)
        log(f"[{vendor}] check-ins: {phase}")
        result.update(phase)
        result["load_average"] = round(load_before, 2)
    finally:
        server.stop()
        if not args.keep:
            target.cleanup()
    result["targets_met"] = bool(
        result["signup_p95_ms"] is not None
        and result["signup_p95_ms"] < TARGETS["signup_p95_ms"]
        and result["never_over_capacity"]
        and result["storm_shifts_exact"]
        and result["signup_unclear"] == 0
        and result["checkin_p95_ms"] is not None
        and result["checkin_p95_ms"] < TARGETS["checkin_p95_ms"]
        and result["checkin_accepted"] == result["checkin_requests"]
        and result["checkin_in_database"] == len(data["checkins"])
        and result["checkin_anomalies"] == 0
    )
    return result


# What `civicgrid shell -c` runs: this file loaded as a module (its top level needs no Django), then
# build_data, whose answer comes back as one line.
BUILD = """
import importlib.util, json
spec = importlib.util.spec_from_file_location("bench_volunteers", %(path)r)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print("BENCHDATA " + json.dumps(module.build_data(%(params)r)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=10_000, help="volunteers (default 10000)")
    parser.add_argument("--activities", type=int, default=1_000, help="activities (default 1000)")
    parser.add_argument("--clients", type=int, default=50, help="clients at once (default 50)")
    parser.add_argument("--rounds", type=int, default=5, help="sign-up storm rounds (default 5)")
    parser.add_argument(
        "--shifts-per-round",
        type=int,
        default=3,
        help="shifts every client signs up for per round (default 3)",
    )
    parser.add_argument("--checkins", type=int, default=500, help="check-ins (default 500)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--history",
        type=int,
        default=50,
        help="past cases the demo replays (`civicgrid demo --cases`; default 50)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated (default both)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir / bench database afterwards")
    args = parser.parse_args()
    venv_civicgrid = Path(sys.executable).parent / "civicgrid"
    if (
        venv_civicgrid.exists()
    ):  # the command of the venv running this script (a worktree has none of its own)
        serverkit.CIVICGRID = needs.CIVICGRID = str(venv_civicgrid)

    run = needs.Run("volunteers")
    results = {}
    vendors = [v.strip() for v in args.databases.split(",") if v.strip()]
    for vendor in [v for v in vendors if not run.missing(v, *needs.for_database(v))]:
        with run.part(vendor):
            results[vendor] = bench_database(vendor, args)

    print(
        f"volunteers: {args.volunteers} volunteers, {args.activities} activities; {args.clients} clients at once, "
        f"gunicorn {args.workers} workers"
    )
    header = (
        f"{'database':<11} {'sign-ups':>8} {'p50 ms':>7} {'p95 ms':>7} {'201 c/w':>9} {'409':>5} {'over cap':>8} "
        f"{'check-ins':>9} {'p50 ms':>7} {'p95 ms':>7} {'accepted':>8}  targets"
    )
    print(header)
    print("-" * len(header))
    for vendor, r in results.items():
        print(
            f"{vendor:<11} {r['signup_requests']:>8} {r['signup_p50_ms']:>7} {r['signup_p95_ms']:>7} "
            f"{r['signup_confirmed']:>4}/{r['signup_waitlisted']:<4} {r['signup_409']:>5} "
            f"{'never' if r['never_over_capacity'] else 'OVER':>8} {r['checkin_requests']:>9} "
            f"{r['checkin_p50_ms']:>7} {r['checkin_p95_ms']:>7} {r['checkin_accepted']:>8}  "
            f"{'met' if r['targets_met'] else 'MISSED'}"
        )
        print(
            f"{'':<11} one client at a time: sign-up p50 {r['signup_alone_p50_ms']} p95 {r['signup_alone_p95_ms']} ms, "
            f"check-in p50 {r['checkin_alone_p50_ms']} p95 {r['checkin_alone_p95_ms']} ms"
        )
        print(
            f"{'':<11} server CPU per sign-up {r['signup_server_cpu_ms']} ms, per check-in "
            f"{r['checkin_server_cpu_ms']} ms; the server's share of the machine's busy CPU "
            f"{r['signup_server_cpu_share']} / {r['checkin_server_cpu_share']}; 1-min load before {r['load_average']}"
        )
    figures = {v: {k: x for k, x in r.items() if not k.startswith("_")} for v, r in results.items()}
    run.finish(
        {
            "db": ",".join(vendors),
            **figures,
            "targets": TARGETS,
            "targets_met": bool(results) and all(r["targets_met"] for r in results.values()),
        }
    )


if __name__ == "__main__":
    main()
