"""Monitoring (运行监控): `/metrics` for Prometheus and `/healthz` for a load balancer, systemd or a
person on call.

`/metrics` answers in the Prometheus text format:
- `civicgrid_http_requests_total{view,method,status}` and `civicgrid_http_request_duration_seconds{view}`,
  counted by `MetricsMiddleware` for every request (`view` is the URL pattern, so the label set stays
  small). Under `civicgrid serve` the gunicorn workers share their counts through files in
  PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode), so any worker answers for all.
- read from the database at each scrape: the outbox backlog and the age of its oldest message, the
  seconds since a worker last finished a pass, the running step clocks past their limit by step, and
  (PostgreSQL) the connections open to the database.
It is for the monitoring system only: it answers a request from the machine itself that did not come
through a proxy (no X-Forwarded-For), or one that
carries `Authorization: Bearer <CIVICGRID_METRICS_TOKEN>`; everyone else gets a 403.

`/healthz` answers 200 when the database answers and a worker finished a pass within
CIVICGRID_WORKER_STALE_SECONDS, else 503, with what is wrong in the JSON body. (`/api/health` stays the
cheapest answer: the process and its database only.)
"""

from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from civicgrid.cases.selectors import overdue_counts
from civicgrid.core import clock, heartbeat
from civicgrid.notifications.selectors import outbox_backlog

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "civicgrid_http_requests_total",
    "HTTP requests answered, by view, method and status",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "civicgrid_http_request_duration_seconds",
    "Seconds from the request reaching Django to its answer, by view",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class MetricsMiddleware:
    """Counts each request and times it, labelled by its URL pattern (`<unmatched>` for a 404)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.route if match is not None else "<unmatched>"
        method = request.method if request.method in METHODS else "other"
        LATENCY.labels(view).observe(time.perf_counter() - start)
        REQUESTS.labels(view, method, str(response.status_code)).inc()
        return response


class PlatformCollector:
    """What the platform's own tables say, read at each scrape."""

    def collect(self):
        now = clock.now()
        backlog, oldest_s = outbox_backlog(now)
        yield GaugeMetricFamily(
            "civicgrid_outbox_backlog",
            "Notifications waiting to be delivered (not yet sent or given up)",
            backlog,
        )
        yield GaugeMetricFamily(
            "civicgrid_outbox_oldest_age_seconds",
            "Seconds the oldest waiting notification has waited",
            oldest_s,
        )
        age = heartbeat.latest_beat_age_s()
        yield GaugeMetricFamily(
            "civicgrid_worker_heartbeat_age_seconds",
            "Seconds since a worker last finished a pass (NaN: no worker has run)",
            float("nan") if age is None else age,
        )
        overdue = GaugeMetricFamily(
            "civicgrid_cases_overdue",
            "Running step clocks past their time limit (超时), by step",
            labels=["step"],
        )
        for step, n in sorted(overdue_counts(now).items()):
            overdue.add_metric([step], n)
        yield overdue
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                (open_connections,) = cursor.fetchone()
            yield GaugeMetricFamily(
                "civicgrid_database_connections",
                "Connections open to the platform's database",
                open_connections,
            )


_platform = CollectorRegistry(auto_describe=False)
_platform.register(PlatformCollector())


def _http_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


def _may_scrape(request) -> bool:
    token = settings.CIVICGRID_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    # A request nginx passed on also comes from 127.0.0.1: it carries X-Forwarded-For.
    return (
        request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"} and "HTTP_X_FORWARDED_FOR" not in request.META
    )


@never_cache
def metrics(request):
    if not _may_scrape(request):
        return HttpResponse(
            "403: /metrics answers the machine itself, or a request with the metrics token\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    body = generate_latest(_http_registry()) + generate_latest(_platform)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


@never_cache
def healthz(request):
    body: dict = {"status": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        body["database"] = "ok"
        age = heartbeat.latest_beat_age_s()
    except Exception as exc:  # the database is down: that is the answer
        body.update(status="down", database=f"error: {type(exc).__name__}")
        return JsonResponse(body, status=503)
    stale = settings.CIVICGRID_WORKER_STALE_SECONDS
    if age is None:
        body["worker"] = {"status": "missing"}
    else:
        body["worker"] = {"status": "ok" if age <= stale else "stale", "last_pass_s": round(age, 1)}
    if body["worker"]["status"] != "ok":
        body["status"] = "degraded"
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
