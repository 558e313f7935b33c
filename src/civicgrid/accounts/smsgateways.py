"""SMS gateways (短信网关): the senders that reach phones, for CIVICGRID_SMS_SENDER.

- `HttpGatewaySmsSender`: a city's own or a carrier's HTTP gateway. It POSTs a JSON body built from
  CIVICGRID_SMS_HTTP_BODY (placeholders `{phone}`, `{text}`, `{sign}`, `{template}`), with an
  `X-Civicgrid-Signature: sha256=<hex>` HMAC of the body when CIVICGRID_SMS_HTTP_SECRET is set.
- `AliyunSmsSender`: 阿里云短信 Dysmsapi `SendSms` (2017-05-25), signed as Alibaba Cloud documents its
  RPC-style API (HMAC-SHA1 over the sorted, percent-encoded parameters, key `secret&`).
- `TencentSmsSender`: 腾讯云短信 `SendSms` (2021-01-11), signed with TC3-HMAC-SHA256 as Tencent Cloud
  documents it (canonical request → string to sign → key derived from date, service, `tc3_request`).

The cloud services send only approved templates with a sign name (签名): CIVICGRID_SMS_TEMPLATES maps
the platform's message kinds to template ids (`login_code=SMS_1,notice=SMS_2`). A login code goes
with its template's variables (`code`, `minutes`); any other text goes with the `notice` template,
whose one variable (`content`) is the text. A text carries its kind and variables as an `SmsText`.

Every attempt is recorded as an `SmsDelivery` (masked number, provider, template, the provider's
message id or its error), and a refusal by the provider raises `SmsRefused` so that the caller's
error path runs (a login code is withdrawn; a notification is retried later). The signing is written
here with the standard library (a few lines each) rather than with the providers' SDKs, which bring
their own HTTP stacks; the tests check the signatures with the providers' own SDK code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from civicgrid.accounts.models import SmsDelivery
from civicgrid.core import clock
from civicgrid.core.masking import mask_phone


class SmsText(str):
    """A text message that also says which template it is and the template's variables."""

    template: str
    params: dict[str, str]

    def __new__(cls, text: str, *, template: str = "notice", params: dict[str, str] | None = None):
        obj = super().__new__(cls, text)
        obj.template = template
        obj.params = dict(params) if params is not None else {"content": str(text)}
        return obj


class SmsRefused(Exception):
    """The gateway answered, and did not take the message."""


def _kind_and_params(text: str) -> tuple[str, dict[str, str]]:
    if isinstance(text, SmsText):
        return text.template, text.params
    return "notice", {"content": str(text)}


def _required(name: str) -> str:
    value = getattr(settings, name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} must be set for {settings.CIVICGRID_SMS_SENDER}")
    return value


def _template_id(kind: str) -> str:
    templates = settings.CIVICGRID_SMS_TEMPLATES
    if kind not in templates:
        raise ImproperlyConfigured(
            f"CIVICGRID_SMS_TEMPLATES has no template for {kind!r} (e.g. {kind}=SMS_123)"
        )
    return templates[kind]


def _call(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=settings.CIVICGRID_SMS_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:  # an answer, not a network failure
        return exc.code, exc.read()


class _Gateway:
    provider = ""

    def send_text(self, phone: str, text: str) -> None:
        kind, params = _kind_and_params(text)
        delivery = SmsDelivery(phone_masked=mask_phone(phone), provider=self.provider, kind=kind)
        try:
            delivery.message_id = self.deliver(phone, str(text), kind, params)[:100]
            delivery.status = SmsDelivery.Status.ACCEPTED
        except Exception as exc:
            delivery.status = SmsDelivery.Status.FAILED
            delivery.error = f"{type(exc).__name__}: {exc}"[:500]
            raise
        finally:
            delivery.created_at = clock.now()
            delivery.save()

    def deliver(self, phone: str, text: str, kind: str, params: dict[str, str]) -> str:
        """Send; return the provider's message id; raise SmsRefused or OSError."""
        raise NotImplementedError


class HttpGatewaySmsSender(_Gateway):
    provider = "http"

    def deliver(self, phone, text, kind, params):
        sign = settings.CIVICGRID_SMS_SIGN_NAME
        values = {
            "phone": phone,
            "text": f"【{sign}】{text}" if sign else text,
            "sign": sign,
            "template": kind,
        }
        # Each value is JSON-escaped before it goes into the template, so a text cannot break the body.
        escaped = {key: json.dumps(value, ensure_ascii=False)[1:-1] for key, value in values.items()}
        body = settings.CIVICGRID_SMS_HTTP_BODY.format(**escaped).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        secret = settings.CIVICGRID_SMS_HTTP_SECRET
        if secret:
            headers["X-Civicgrid-Signature"] = (
                "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            )
        status, answer = _call(urllib.request.Request(_required("CIVICGRID_SMS_HTTP_URL"), body, headers))
        if not 200 <= status < 300:
            raise SmsRefused(f"HTTP {status}: {answer[:200].decode(errors='replace')}")
        try:
            return str(json.loads(answer).get("id", ""))
        except (ValueError, AttributeError):
            return ""


def _aliyun_quote(value: str) -> str:
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Alibaba Cloud RPC signature (SignatureVersion 1.0, HMAC-SHA1)."""
    canonical = "&".join(f"{_aliyun_quote(k)}={_aliyun_quote(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_aliyun_quote('/')}&{_aliyun_quote(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class AliyunSmsSender(_Gateway):
    provider = "aliyun"
    endpoint = "https://dysmsapi.aliyuncs.com/"

    def deliver(self, phone, text, kind, params):
        query = {
            "AccessKeyId": _required("CIVICGRID_SMS_ACCESS_KEY_ID"),
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": settings.CIVICGRID_SMS_REGION or "cn-hangzhou",
            "SignName": _required("CIVICGRID_SMS_SIGN_NAME"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": _template_id(kind),
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        query["Signature"] = aliyun_signature(query, _required("CIVICGRID_SMS_ACCESS_KEY_SECRET"))
        body = urllib.parse.urlencode(query).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, answer = _call(
            urllib.request.Request(settings.CIVICGRID_SMS_ENDPOINT or self.endpoint, body, headers)
        )
        try:
            result = json.loads(answer)
        except ValueError as exc:
            raise SmsRefused(f"HTTP {status}: not JSON") from exc
        if result.get("Code") != "OK":
            raise SmsRefused(f"{result.get('Code')}: {result.get('Message')}")
        return str(result.get("BizId", ""))


def tencent_authorization(
    *, secret_id: str, secret_key: str, host: str, body: bytes, timestamp: int, service: str = "sms"
) -> str:
    """The Authorization header of a Tencent Cloud API 3.0 POST with a JSON body (TC3-HMAC-SHA256)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host"
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\n",
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


class TencentSmsSender(_Gateway):
    provider = "tencent"
    endpoint = "https://sms.tencentcloudapi.com/"

    def deliver(self, phone, text, kind, params):
        url = settings.CIVICGRID_SMS_ENDPOINT or self.endpoint
        host = urllib.parse.urlsplit(url).netloc
        number = phone if phone.startswith("+") else f"+86{phone}"
        payload = {
            "PhoneNumberSet": [number],
            "SmsSdkAppId": _required("CIVICGRID_SMS_APP_ID"),
            "SignName": _required("CIVICGRID_SMS_SIGN_NAME"),
            "TemplateId": _template_id(kind),
            # Tencent's variables are positional: the template's {1}, {2}… in the order given here.
            "TemplateParamSet": list(params.values()),
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(clock.now().timestamp())
        headers = {
            "Authorization": tencent_authorization(
                secret_id=_required("CIVICGRID_SMS_ACCESS_KEY_ID"),
                secret_key=_required("CIVICGRID_SMS_ACCESS_KEY_SECRET"),
                host=host,
                body=body,
                timestamp=timestamp,
            ),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": settings.CIVICGRID_SMS_REGION or "ap-guangzhou",
        }
        status, answer = _call(urllib.request.Request(url, body, headers))
        try:
            response = json.loads(answer)["Response"]
        except (ValueError, KeyError) as exc:
            raise SmsRefused(f"HTTP {status}: not a Tencent Cloud answer") from exc
        if "Error" in response:
            raise SmsRefused(f"{response['Error'].get('Code')}: {response['Error'].get('Message')}")
        [result] = response.get("SendStatusSet") or [{}]
        if result.get("Code") != "Ok":
            raise SmsRefused(f"{result.get('Code')}: {result.get('Message')}")
        return str(result.get("SerialNo", ""))
