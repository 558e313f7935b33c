"""SMS gateways against local stand-ins of the providers: each stand-in checks the request's signature
with the provider's own SDK code (aliyun-python-sdk-core, tencentcloud-sdk-python-common) and the
payload, then answers as the provider does."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aliyunsdkcore.auth.composer import rpc_signature_composer
from tencentcloud.common.sign import Sign

from civicgrid.accounts.models import SmsDelivery
from civicgrid.accounts.services import login_code_send
from civicgrid.accounts.smsgateways import SmsRefused, SmsText
from civicgrid.notifications.senders import SmsSender

KEY_ID, SECRET = "LTAI-test-key", "test-secret-不要泄露"


class StandIn:
    """A provider on 127.0.0.1: records each request, checks it with `check`, answers `answer(request)`."""

    def __init__(self, check, answer):
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = {"path": self.path, "headers": dict(self.headers), "body": body}
                request["valid"] = check(request)
                stand_in.requests.append(request)
                status, payload = answer(request)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    made = []

    def make(check, answer):
        made.append(StandIn(check, answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


def aliyun_params(request) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(request["body"].decode(), keep_blank_values=True))


def aliyun_signature_valid(request) -> bool:
    params = aliyun_params(request)
    sent = params.pop("Signature")
    # The SDK's own canonicalisation and HMAC (module-private names, hence getattr).
    to_sign = getattr(rpc_signature_composer, "__compose_string_to_sign")("POST", params)
    return sent == getattr(rpc_signature_composer, "__get_signature")(to_sign, SECRET)


def tencent_signature_valid(request) -> bool:
    h = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = int(h["x-tc-timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = (
        f"POST\n/\n\ncontent-type:{h['content-type']}\nhost:{h['host']}\n\ncontent-type;host\n"
        + hashlib.sha256(request["body"]).hexdigest()
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = (
        f"TC3-HMAC-SHA256 Credential={KEY_ID}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={Sign.sign_tc3(SECRET, date, 'sms', to_sign)}"
    )
    return h["authorization"] == expected


@pytest.fixture
def gateway_settings(settings):
    settings.CIVICGRID_SMS_SIGN_NAME = "康巴什城管"
    settings.CIVICGRID_SMS_TEMPLATES = {"login_code": "SMS_100", "notice": "SMS_200"}
    settings.CIVICGRID_SMS_ACCESS_KEY_ID = KEY_ID
    settings.CIVICGRID_SMS_ACCESS_KEY_SECRET = SECRET
    settings.CIVICGRID_SMS_APP_ID = "1400000000"
    return settings


@pytest.mark.django_db
def test_aliyun_login_code_is_signed_as_documented_and_recorded(gateway_settings, stand_in):
    provider = stand_in(
        aliyun_signature_valid,
        lambda r: (
            (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F6551"})
            if r["valid"]
            else (400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"})
        ),
    )
    gateway_settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.smsgateways.AliyunSmsSender"
    gateway_settings.CIVICGRID_SMS_ENDPOINT = provider.url
    login_code_send(phone="13912345678")
    [request] = provider.requests
    assert request["valid"]
    params = aliyun_params(request)
    assert {k: params[k] for k in ("Action", "Version", "PhoneNumbers", "SignName", "TemplateCode")} == {
        "Action": "SendSms",
        "Version": "2017-05-25",
        "PhoneNumbers": "13912345678",
        "SignName": "康巴什城管",
        "TemplateCode": "SMS_100",
    }
    variables = json.loads(params["TemplateParam"])
    assert set(variables) == {"code", "minutes"} and len(variables["code"]) == 6
    delivery = SmsDelivery.objects.get()
    assert (delivery.provider, delivery.kind, delivery.status) == ("aliyun", "login_code", "accepted")
    assert (delivery.phone_masked, delivery.message_id) == ("139****5678", "900619746936498440^0")


@pytest.mark.django_db
def test_aliyun_refusal_is_an_error_and_recorded(gateway_settings, stand_in):
    gateway_settings.CIVICGRID_SMS_ACCESS_KEY_SECRET = "a-wrong-secret"
    provider = stand_in(
        aliyun_signature_valid,
        lambda r: (400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}),
    )
    gateway_settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.smsgateways.AliyunSmsSender"
    gateway_settings.CIVICGRID_SMS_ENDPOINT = provider.url
    from civicgrid.accounts.sms import get_sms_sender

    with pytest.raises(SmsRefused, match="SignatureDoesNotMatch"):
        get_sms_sender().send_text("13912345678", SmsText("您的案件已办结"))
    assert provider.requests[0]["valid"] is False  # the stand-in's check can fail
    delivery = SmsDelivery.objects.get()
    assert delivery.status == "failed" and "SignatureDoesNotMatch" in delivery.error


@pytest.mark.django_db
def test_tencent_notification_is_signed_as_documented(gateway_settings, stand_in, routed_world):
    provider = stand_in(
        tencent_signature_valid,
        lambda r: (
            200,
            {
                "Response": {
                    "SendStatusSet": [
                        {"SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": "+8613900000001"}
                        | (
                            {"Code": "Ok", "Message": "send success"}
                            if r["valid"]
                            else {"Code": "AuthFailure"}
                        )
                    ],
                    "RequestId": "a0aabda6",
                }
            },
        ),
    )
    gateway_settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.smsgateways.TencentSmsSender"
    gateway_settings.CIVICGRID_SMS_ENDPOINT = provider.url
    SmsSender().send_text("13900000001", "您反映的问题已派遣处置")
    [request] = provider.requests
    assert request["valid"]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert (headers["x-tc-action"], headers["x-tc-version"]) == ("SendSms", "2021-01-11")
    assert json.loads(request["body"]) == {
        "PhoneNumberSet": ["+8613900000001"],
        "SmsSdkAppId": "1400000000",
        "SignName": "康巴什城管",
        "TemplateId": "SMS_200",
        "TemplateParamSet": ["您反映的问题已派遣处置"],
    }
    assert SmsDelivery.objects.get().message_id == "5000:1045710669157053657849499619"


@pytest.mark.django_db
def test_tencent_error_answer_is_an_error(gateway_settings, stand_in):
    provider = stand_in(
        tencent_signature_valid,
        lambda r: (200, {"Response": {"Error": {"Code": "FailedOperation.InsufficientBalanceInSmsPackage"}}}),
    )
    gateway_settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.smsgateways.TencentSmsSender"
    gateway_settings.CIVICGRID_SMS_ENDPOINT = provider.url
    with pytest.raises(SmsRefused, match="InsufficientBalance"):
        SmsSender().send_text("13900000001", "text")
    assert SmsDelivery.objects.get().status == "failed"


@pytest.mark.django_db
def test_http_gateway_posts_the_configured_body_with_its_hmac(settings, stand_in):
    secret = "gateway-shared-secret"

    def valid(request):
        sent = request["headers"].get("X-Civicgrid-Signature", "")
        return sent == "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()

    provider = stand_in(
        valid, lambda r: (200, {"id": "g-1"}) if r["valid"] else (401, {"error": "bad signature"})
    )
    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.smsgateways.HttpGatewaySmsSender"
    settings.CIVICGRID_SMS_HTTP_URL = provider.url
    settings.CIVICGRID_SMS_HTTP_SECRET = secret
    settings.CIVICGRID_SMS_SIGN_NAME = "康巴什城管"
    settings.CIVICGRID_SMS_HTTP_BODY = '{{"to": "{phone}", "msg": "{text}", "kind": "{template}"}}'
    SmsSender().send_text("13900000001", 'a "quoted" text\nwith a line')
    [request] = provider.requests
    assert request["valid"]
    assert json.loads(request["body"]) == {
        "to": "13900000001",
        "msg": '【康巴什城管】a "quoted" text\nwith a line',
        "kind": "notice",
    }
    assert SmsDelivery.objects.get().message_id == "g-1"
    settings.CIVICGRID_SMS_HTTP_SECRET = "another"
    with pytest.raises(SmsRefused, match="HTTP 401"):
        SmsSender().send_text("13900000001", "x")


@pytest.mark.django_db
def test_an_unreachable_gateway_withdraws_the_login_code(gateway_settings):
    from civicgrid.accounts.models import LoginCode
    from civicgrid.core.errors import DomainError

    gateway_settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.smsgateways.AliyunSmsSender"
    gateway_settings.CIVICGRID_SMS_ENDPOINT = "http://127.0.0.1:9/"  # nothing listens on the discard port
    with pytest.raises(DomainError) as err:
        login_code_send(phone="13912345678")
    assert err.value.code == "sms_failed"
    assert not LoginCode.objects.exists()
    assert SmsDelivery.objects.get().status == "failed"


@pytest.mark.django_db
def test_notifications_by_sms_count_against_the_daily_budget(settings):
    from civicgrid.accounts.sms import MemorySmsSender
    from civicgrid.core.errors import DomainError

    settings.CIVICGRID_SMS_SENDER = "civicgrid.accounts.sms.MemorySmsSender"
    settings.CIVICGRID_SMS_DAILY_BUDGET = 2
    MemorySmsSender.outbox.clear()
    login_code_send(phone="13912345678")
    SmsSender().send_text("13900000001", "您反映的问题已派遣处置")
    with pytest.raises(DomainError) as err:
        SmsSender().send_text("13900000001", "第三条")
    assert err.value.code == "sms_budget_exhausted"
    assert [to for to, _ in MemorySmsSender.outbox] == ["13912345678", "13900000001"]
