"""The demo's two-level command (市–区/街道): a district's command centre — a dispatcher and a leader who
see, dispatch and rank only 康巴什区 — and a street's dispatcher, who works on one street's cases only.

The demo city has one district, so the district's centre sees what the city's does; the street's
dispatcher shows the narrowing. Called once from `city.build_city`; idempotent (a second run keeps them).
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction

from civicgrid.accounts.models import Department, User
from civicgrid.accounts.roles import Role
from civicgrid.accounts.services import user_create
from civicgrid.grids.models import District, Street
from civicgrid.grids.services import command_area_assign

# phone, name, role, area: a district (first by code) or its first street
CENTRES = [
    ("13830000001", "高峰", Role.DISPATCHER, "district"),
    ("13830000002", "马丽", Role.LEADER, "district"),
    ("13830000003", "何平", Role.DISPATCHER, "street"),
]


@transaction.atomic
def build_command_centres(password: str) -> list[tuple[str, str, str]]:
    """The command centres' accounts, as (role, phone, description) for the demo's list of accounts."""
    district = District.objects.order_by("code").first()
    street = Street.objects.filter(district=district).order_by("code").first()
    if district is None or street is None:
        return []
    centre = Department.objects.filter(code="ZHZX").first()
    areas = {"district": district, "street": street}
    accounts = []
    for phone, name, role, level in CENTRES:
        area = areas[level]
        user = User.objects.filter(phone=phone).first()
        if user is None:
            user = user_create(phone=phone, real_name=name, role=role, department=centre)
            user.password = make_password(password)
            user.save(update_fields=["password"])
        command_area_assign(user=user, code=area.code)
        accounts.append((Role(role).label, phone, f"{name} ({area.name}指挥中心 · 指挥范围 {area.code})"))
    return accounts
