"""Fixtures of the codes tests: one code of every kind in the test city, created by the admin persona."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import pytest
from shapely.geometry import box

from civicgrid.accounts.models import User
from civicgrid.accounts.services import user_create
from civicgrid.codes import services
from civicgrid.codes.models import Code
from civicgrid.testing import PASSWORD

# A square of street inside cell 150603001001001 (109.76–109.77 × 39.61–39.62).
STALL_ZONE = box(109.762, 39.612, 109.764, 39.614)


@dataclass
class Codes:
    household: Code
    place: Code
    merchant: Code
    stall: Code
    ebike: Code
    resident: User
    owner: User
    vendor: User
    rider: User


@pytest.fixture
def people(world):
    return {
        "resident": user_create(phone="13900000101", password=PASSWORD, real_name="王建国"),
        "owner": user_create(phone="13900000102", password=PASSWORD, real_name="李老板"),
        "vendor": user_create(phone="13900000103", password=PASSWORD, real_name="张小贩"),
        "rider": user_create(phone="13900000104", password=PASSWORD, real_name="赵骑手"),
    }


@pytest.fixture
def codes(world, categories, people) -> Codes:
    admin = world.admin
    household = services.household_create(
        community=world.north, building="3", unit="2", room="501", residents=[people["resident"]], actor=admin
    )
    place = services.place_create(
        name="青春山路雨水井盖",
        category=categories["01003"],
        component_code="15060301003000123",
        lat=39.615,
        lon=109.765,
        address="青春山路 18 号北侧",
        actor=admin,
    )
    merchant = services.merchant_create(
        name="老李烧烤",
        address="青春山路 20 号",
        lat=39.6155,
        lon=109.7655,
        owner=people["owner"],
        license_no="91150603MA0000001X",
        area=box(109.7652, 39.6152, 109.7658, 39.6158),
        actor=admin,
    )
    stall = services.stall_create(
        vendor=people["vendor"],
        goods="水果",
        zone=STALL_ZONE,
        hours_start=time(17, 0),
        hours_end=time(22, 0),
        actor=admin,
    )
    ebike = services.ebike_create(plate="蒙K12345", owner=people["rider"], actor=admin)
    return Codes(household=household, place=place, merchant=merchant, stall=stall, ebike=ebike, **people)
