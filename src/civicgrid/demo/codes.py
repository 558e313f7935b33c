"""Codes (码上生活) and the points catalogue of the demo city: a few of every code kind and rewards.

Built through the codes services, keyed by name/plate so that a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, time

from django.db import transaction
from shapely.geometry import box

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import Role
from civicgrid.codes import services as codes
from civicgrid.codes.models import EBike, Household, Merchant, Place, Stall
from civicgrid.grids.models import Cell, Community
from civicgrid.points.models import RewardItem
from civicgrid.points.services import points_account_set_community
from civicgrid.taxonomy.models import Category

PLACES = [
    ("01003", "康巴什大街雨水井盖"),
    ("01050", "市府广场路灯"),
    ("03001", "文化中心公共厕所"),
    ("04002", "青春山路行道树"),
    ("02014", "滨河路交通标志牌"),
    ("01001", "康和路供水井盖"),
]
MERCHANTS = [
    ("老王家羊肉馆", "A"),
    ("康城便利店", "B"),
    ("青春山烧烤", "C"),
    ("鑫海水果店", "B"),
    ("乌兰小吃", "D"),
    ("兰亭理发店", "A"),
]
REWARDS = [
    ("公交乘车券（10次）", "公交公司", 100, 50),
    ("洗车服务一次", "康城洗车行", 150, 20),
    ("图书馆文创笔记本", "康巴什图书馆", 60, 80),
    ("社区食堂午餐券", "康新社区食堂", 80, 40),
]


@transaction.atomic
def build_codes(*, seed: int = 7) -> int:
    """Create the demo codes and rewards once; returns how many codes were added."""
    rng = random.Random(seed)
    admin = User.objects.get(phone="13800000000")
    citizens = list(User.objects.filter(role=Role.CITIZEN).order_by("id")[:60])
    cells = list(Cell.objects.order_by("code"))
    added = 0

    def spot() -> tuple[float, float]:
        cell = rng.choice(cells)
        return (rng.uniform(cell.min_lat, cell.max_lat), rng.uniform(cell.min_lon, cell.max_lon))

    for i, (code, name) in enumerate(PLACES):
        lat, lon = spot()
        category = Category.objects.filter(kind="component", code=code).first()
        if category is None or Place.objects.filter(name=name).exists():
            continue
        codes.place_create(
            name=name,
            category=category,
            component_code=f"150603{code}{i + 1:06d}",
            lat=lat,
            lon=lon,
            address=name,
            actor=admin,
        )
        added += 1
    for i, (name, grade) in enumerate(MERCHANTS):
        lat, lon = spot()
        if Merchant.objects.filter(name=name).exists():
            continue
        area = box(lon - 0.0002, lat - 0.00015, lon + 0.0002, lat + 0.00015)  # 门前三包: the frontage
        codes.merchant_create(
            name=name,
            address=f"康巴什区{name}门店",
            lat=lat,
            lon=lon,
            owner=citizens[i],
            license_no=f"91150603MA0{i:06d}",
            area=area,
            grade=grade,
            actor=admin,
        )
        added += 1
    for i in range(3):
        vendor = citizens[10 + i]
        if Stall.objects.filter(vendor=vendor).exists():
            continue
        lat, lon = spot()
        codes.stall_create(
            vendor=vendor,
            goods=["早点", "水果", "烤红薯"][i],
            zone=box(lon - 0.0005, lat - 0.0003, lon + 0.0005, lat + 0.0003),
            hours_start=time(6, 30) if i != 2 else time(17, 0),
            hours_end=time(9, 30) if i != 2 else time(22, 0),
            actor=admin,
        )
        added += 1
    for i in range(8):
        plate = f"蒙K{10000 + i * 137:05d}"
        if EBike.objects.filter(plate=plate).exists():
            continue
        codes.ebike_create(plate=plate, owner=citizens[20 + i], actor=admin)
        added += 1
    communities = list(Community.objects.order_by("code"))
    for i in range(12):
        community = communities[i % len(communities)]
        building, room = f"{i % 6 + 1}号楼", f"{(i % 4 + 1) * 100 + i % 3 + 1}"
        if Household.objects.filter(community=community, building=building, room=room).exists():
            continue
        residents = citizens[30 + i : 31 + i]
        codes.household_create(
            community=community, building=building, unit="1单元", room=room, residents=residents, actor=admin
        )
        for resident in residents:
            points_account_set_community(person=resident, community=community)
        added += 1
    for name, merchant, cost, stock in REWARDS:
        RewardItem.objects.get_or_create(
            name=name,
            defaults={
                "merchant_name": merchant,
                "cost": cost,
                "stock": stock,
                "valid_until": date(2027, 12, 31),
            },
        )
    return added
