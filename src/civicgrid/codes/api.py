"""Codes API (administrators): create one or many (CSV), list, revoke, re-issue. Mounted at /api/codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from civicgrid.accounts.auth import AUTH, api_scope
from civicgrid.accounts.roles import Capability, user_can
from civicgrid.accounts.scopes import Scope
from civicgrid.codes import services
from civicgrid.codes.choices import CodeKind, CodeStatus
from civicgrid.codes.csvio import codes_import, create_from_data
from civicgrid.codes.models import Code
from civicgrid.codes.selectors import scans_total
from civicgrid.core.errors import PermissionDenied
from civicgrid.core.paging import Offset
from civicgrid.core.text import csv_decode

router = Router(tags=["codes"], auth=AUTH)


class CodeIn(Schema):
    """One entity and its code. `data` holds the kind's columns (see codes/csvio.py); polygons as GeoJSON."""

    kind: CodeKind
    data: dict[str, Any]


class CodeOut(Schema):
    id: int
    kind: str
    status: str
    label: str
    token: str
    url: str
    created_at: datetime
    revoked_at: datetime | None
    reissued_from: int | None
    png: str
    svg: str

    @staticmethod
    def build(code: Code) -> dict:
        return {
            "id": code.pk,
            "kind": code.kind,
            "status": code.status,
            "label": code.label,
            "token": code.token,
            "url": code.url,
            "created_at": code.created_at,
            "revoked_at": code.revoked_at,
            "reissued_from": code.reissued_from_id,
            "png": f"/c/{code.pk}/qr.png",
            "svg": f"/c/{code.pk}/qr.svg",
        }


class CodeDetailOut(CodeOut):
    scans: int


class ListFilter(Schema):
    kind: CodeKind | None = None
    status: CodeStatus | None = None
    limit: int = 100
    offset: Offset = 0


def _admin(request: HttpRequest) -> None:
    if not user_can(request.user, Capability.CONFIGURE):
        raise PermissionDenied(
            "forbidden", "只有系统管理员可以管理二维码", "only administrators manage codes"
        )


@router.post("", response={201: CodeOut})
@api_scope(Scope.CODES_MANAGE)
def code_create(request: HttpRequest, payload: CodeIn):
    _admin(request)
    code = create_from_data(kind=payload.kind, data=payload.data, actor=request.user)
    return Status(201, CodeOut.build(code))


@router.post("/import", response={201: list[CodeOut]})
@api_scope(Scope.CODES_MANAGE)
def code_import(request: HttpRequest, kind: Form[CodeKind], file: File[UploadedFile]):
    """A CSV of one kind (multipart `kind`, `file`); all lines or none, errors name the lines."""
    _admin(request)
    codes = codes_import(kind=kind, text=csv_decode(file.read()), actor=request.user)
    return Status(201, [CodeOut.build(c) for c in codes])


@router.get("", response=list[CodeOut])
@api_scope(Scope.CODES_MANAGE)
def code_list(request: HttpRequest, filters: Query[ListFilter]):
    _admin(request)
    qs = Code.objects.select_related("household__community", "place", "merchant", "stall", "ebike").order_by(
        "id"
    )
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    limit = max(1, min(filters.limit, 500))
    return [CodeOut.build(c) for c in qs[filters.offset : filters.offset + limit]]


@router.get("/{int:code_id}", response=CodeDetailOut)
@api_scope(Scope.CODES_MANAGE)
def code_detail(request: HttpRequest, code_id: int):
    _admin(request)
    code = services.code_get(code_id)
    return {**CodeOut.build(code), "scans": scans_total(code)}


@router.post("/{int:code_id}/revoke", response=CodeOut)
@api_scope(Scope.CODES_MANAGE)
def code_revoke(request: HttpRequest, code_id: int):
    _admin(request)
    return CodeOut.build(services.code_revoke(code=services.code_get(code_id), actor=request.user))


@router.post("/{int:code_id}/reissue", response={201: CodeOut})
@api_scope(Scope.CODES_MANAGE)
def code_reissue(request: HttpRequest, code_id: int):
    _admin(request)
    return Status(
        201, CodeOut.build(services.code_reissue(code=services.code_get(code_id), actor=request.user))
    )
