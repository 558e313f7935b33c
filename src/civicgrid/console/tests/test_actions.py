"""Action forms: each posts to the one choke point; refusals change nothing and say why, by the field."""

from io import BytesIO

import pytest

from civicgrid.cases.models import Case, CasePhoto
from civicgrid.console.tests.helpers import NORTH_1, as_user, jpeg, move, report
from civicgrid.notifications.models import Notification

pytestmark = pytest.mark.django_db


def url(case: Case, action: str) -> str:
    return f"/console/cases/{case.number}/actions/{action}/"


def state(case: Case) -> tuple:
    row = Case.objects.get(pk=case.pk)
    return row.status, row.department_id, row.category_id, row.events.count(), row.due_at


def upload(name: str = "site.jpg", data: bytes | None = None) -> BytesIO:
    f = BytesIO(data if data is not None else jpeg())
    f.name = name
    return f


@pytest.fixture
def reported(city):
    return report(city.citizen, NORTH_1, category=city.categories["06013"])


def test_register_with_another_category_then_dispatch_to_the_routed_department(client, city, reported):
    as_user(client, city.dispatcher)
    response = client.post(
        url(reported, "register"), {"category": "component:01003", "note": "", "from": "new"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/console/cases/{reported.number}/?from=new"
    reported.refresh_from_db()
    assert reported.status == "registered" and reported.category.code == "01003"
    page = client.get(response["Location"]).content.decode()
    assert "“立案”已完成" in page  # the message after the redirect
    response = client.post(url(reported, "dispatch"), {"department": "ZJJ-SZ"})
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.status == "dispatched" and reported.department.code == "ZJJ-SZ"


def test_reject_without_a_reason_is_refused_next_to_the_note(client, city, reported):
    as_user(client, city.dispatcher)
    before = state(reported)
    response = client.post(url(reported, "reject"), {"note": "   "})
    assert response.status_code == 422
    page = response.content.decode()
    assert '<p class="field-error" id="reject-note-error" role="alert">不予立案需要填写说明/理由</p>' in page
    assert state(reported) == before
    response = client.post(url(reported, "reject"), {"note": "不属于城市管理范围"})
    assert response.status_code == 302
    assert Case.objects.get(pk=reported.pk).status == "rejected"


def test_illegal_post_is_refused_with_a_message_and_nothing_changes(client, city, reported):
    move(reported, "register", city.dispatcher)
    move(reported, "dispatch", city.dispatcher)
    as_user(client, city.roads_handler)
    before = state(reported)
    response = client.post(url(reported, "close"), {"note": "想直接结案"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="action-error"' in page and "操作未执行" in page and "不能结案" in page
    assert state(reported) == before
    # …and the page still offers what the handler may do.
    assert f'action="/console/cases/{reported.number}/actions/accept/"' in page


def test_wrong_role_for_an_allowed_state_is_refused(client, city, reported):
    as_user(client, city.leader)
    before = state(reported)
    response = client.post(url(reported, "register"))
    assert response.status_code == 422
    assert "您的角色不能立案" in response.content.decode()
    assert state(reported) == before


def test_unknown_category_or_department_is_an_error_on_that_field(client, city, reported):
    as_user(client, city.dispatcher)
    response = client.post(url(reported, "register"), {"category": "matter:99999"})
    assert response.status_code == 422
    assert 'id="register-category-error"' in response.content.decode()
    move(reported, "register", city.dispatcher)
    response = client.post(url(reported, "dispatch"), {"department": "NOPE", "note": "试试"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="dispatch-department-error"' in page
    assert ">试试</textarea>" in page  # what was typed is kept
    assert Case.objects.get(pk=reported.pk).status == "registered"


def test_handler_who_returns_a_case_goes_back_to_their_queue(client, city, reported):
    move(reported, "register", city.dispatcher)
    move(reported, "dispatch", city.dispatcher, department=city.departments["YLZX"])
    as_user(client, city.parks_handler)
    response = client.post(url(reported, "return"), {"note": "路面不归园林管", "from": "to_accept"})
    assert response.status_code == 302
    assert response["Location"] == "/console/queue/to_accept/"  # the case is no longer theirs to see
    reported.refresh_from_db()
    assert reported.status == "returned" and reported.return_count == 1


def test_feedback_with_photos_and_verify(client, city, reported):
    move(reported, "register", city.dispatcher)
    move(reported, "dispatch", city.dispatcher)
    move(reported, "accept", city.roads_handler)
    as_user(client, city.roads_handler)
    response = client.post(
        url(reported, "feedback"), {"note": "已修复", "photos": [upload("a.jpg"), upload("b.jpg")]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reported.refresh_from_db()
    assert reported.status == "handled"
    assert CasePhoto.objects.filter(case=reported, stage="feedback").count() == 2
    as_user(client, city.dispatcher)
    response = client.post(url(reported, "verify"), {"photos": [upload("c.jpg", jpeg((10, 200, 10)))]})
    assert response.status_code == 302
    assert CasePhoto.objects.filter(case=reported, stage="verify").count() == 1
    page = client.get(f"/console/cases/{reported.number}/").content.decode()
    assert "处置照片" in page and "核查照片" in page


def test_a_fake_photo_is_refused_next_to_the_photo_field(client, city, reported):
    move(reported, "register", city.dispatcher)
    move(reported, "dispatch", city.dispatcher)
    move(reported, "accept", city.roads_handler)
    as_user(client, city.roads_handler)
    before = state(reported)
    response = client.post(
        url(reported, "feedback"), {"note": "已修复", "photos": [upload("x.jpg", b"not a jpeg")]}
    )
    assert response.status_code == 422
    assert 'id="feedback-photos-error"' in response.content.decode()
    assert state(reported) == before


def test_extension_request_needs_valid_hours_then_is_approved(client, city, reported):
    move(reported, "register", city.dispatcher)
    move(reported, "dispatch", city.dispatcher)
    as_user(client, city.roads_handler)
    response = client.post(url(reported, "request_extension"), {"hours": "abc", "note": "需要协调"})
    assert response.status_code == 422
    assert 'id="request_extension-hours-error"' in response.content.decode()
    response = client.post(url(reported, "request_extension"), {"hours": "-3", "note": "需要协调"})
    assert response.status_code == 422
    assert "延期时长应为 0.01–2000 之间的小时数" in response.content.decode()
    due = Case.objects.get(pk=reported.pk).due_at
    assert (
        client.post(url(reported, "request_extension"), {"hours": "8", "note": "需要协调"}).status_code == 302
    )
    as_user(client, city.dispatcher)
    assert client.post(url(reported, "approve_extension"), {"from": "extensions"}).status_code == 302
    assert Case.objects.get(pk=reported.pk).due_at > due


def test_rework_and_close_and_supervise(client, city, reported):
    move(reported, "register", city.dispatcher)
    move(reported, "dispatch", city.dispatcher)
    as_user(client, city.leader)
    assert client.post(url(reported, "supervise"), {"note": "限期处理"}).status_code == 302
    assert Case.objects.get(pk=reported.pk).supervised
    assert Notification.objects.filter(recipient=city.roads_handler, kind="case_supervised").exists()
    move(reported, "accept", city.roads_handler)
    move(reported, "feedback", city.roads_handler, "已修复")
    as_user(client, city.dispatcher)
    assert client.post(url(reported, "rework"), {"note": "未修好"}).status_code == 302
    assert Case.objects.get(pk=reported.pk).status == "accepted"
    move(reported, "feedback", city.roads_handler, "重新修复")
    assert client.post(url(reported, "verify")).status_code == 302
    assert client.post(url(reported, "close"), {"note": "结案"}).status_code == 302
    assert Case.objects.get(pk=reported.pk).status == "closed"


def test_get_on_an_action_url_is_not_allowed(client, city, reported):
    as_user(client, city.dispatcher)
    assert client.get(url(reported, "register")).status_code == 405
    assert client.post(f"/console/cases/{reported.number}/actions/explode/").status_code == 404
