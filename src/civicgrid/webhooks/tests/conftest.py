"""Fixtures of the webhook tests: a real local HTTPS-less receiver, the systems that subscribe, cases."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civicgrid.accounts.clients import api_client_create, api_key_issue
from civicgrid.accounts.models import ApiClient
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.cases.tests.helpers import submit
from civicgrid.webhooks.services import webhook_subscription_create


class Receiver(BaseHTTPRequestHandler):
    """Records every POST; answers the next status of `statuses` (then 200)."""

    received: list[tuple[dict, str, str]] = []
    statuses: list[int] = []
    redirect_to = ""

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length).decode()
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, self.path))
        status = Receiver.statuses.pop(0) if Receiver.statuses else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", Receiver.redirect_to)
        payload = b"ok" if status < 300 else b"nope"
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.CIVICGRID_WEBHOOK_ALLOW_HTTP = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.received, Receiver.statuses, Receiver.redirect_to = [], [], ""
    Receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield Receiver
    server.shutdown()
    server.server_close()


def system(
    world, *, name: str, role: str, department=None, scopes=(), kind="department", phone: str
) -> ApiClient:
    user = user_create(phone=phone, real_name=name[:10], role=role, department=department)
    return api_client_create(
        name=name, user=user, scopes=["webhooks:manage", *scopes], kind=kind, department=department
    )


@pytest.fixture
def roads_system(routed_world):
    """住建局市政科's own system: a handler of that section."""
    return system(
        routed_world,
        name="市政科业务系统",
        role=Role.HANDLER,
        department=routed_world.departments["ZJJ_SZ"],
        phone="13911110001",
    )


@pytest.fixture
def parks_system(routed_world):
    return system(
        routed_world,
        name="园林中心系统",
        role=Role.HANDLER,
        department=routed_world.departments["YLZX"],
        phone="13911110002",
    )


@pytest.fixture
def hotline(routed_world):
    """The 12345 hotline's system: a dispatcher, allowed personal data."""
    return system(
        routed_world,
        name="12345 热线",
        role=Role.DISPATCHER,
        department=routed_world.departments["ZHZX"],
        scopes=["cases:read:personal"],
        kind="hotline",
        phone="13911110003",
    )


def subscribe(client: ApiClient, url: str, events=("case.dispatched",), **filters):
    subscription, secret = webhook_subscription_create(
        client=client, url=url, events=list(events), filters=filters
    )
    return subscription, secret


def key_of(client: ApiClient) -> str:
    return api_key_issue(client=client)[1]


@pytest.fixture
def road_case(routed_world, categories):
    """A reported road damage (道路破损), routed to 住建局市政科, with the reporter's phone."""
    return submit(routed_world.citizen, category=categories["06013"], contact_phone="13900000001")
