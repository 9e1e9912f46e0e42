"""Demo loan smartphones: a few devices per ward, one lent, one overdue."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from inclusion import clock
from inclusion.extensions import db
from inclusion.loans import services
from inclusion.loans.models import Device
from inclusion.residents.models import Resident
from inclusion.wards.services import find_ward

#: (model, serial, SIM number, plan) for each ward's stock.
DEMO_DEVICES = (
    ("らくらくスマートフォン F-52B", "DEMO-F52B-001", "070-1000-0001", "音声 3GB"),
    ("らくらくスマートフォン F-52B", "DEMO-F52B-002", "070-1000-0002", "音声 3GB"),
    ("iPhone SE（第3世代）", "DEMO-SE3-001", "", "データのみ 3GB"),
    ("AQUOS wish3", "DEMO-WISH3-001", "", "データのみ 3GB"),
)


def add_demo_loans() -> int:
    """Give Shibuya and Shinagawa a small stock, once: one device lent for a year, one
    overdue. Returns how many devices were added."""
    added = 0
    for slug in ("shibuya", "shinagawa"):
        ward = find_ward(slug)
        if db.session.scalar(sa.select(sa.exists().where(Device.ward_id == ward.id))):
            continue
        devices = [
            services.add_device(None, ward, services.DeviceDraft(model, serial, sim, plan))
            for model, serial, sim, plan in DEMO_DEVICES
        ]
        added += len(devices)
        residents = db.session.scalars(
            sa.select(Resident).where(Resident.ward_id == ward.id).order_by(Resident.id).limit(2)
        ).all()
        today = clock.today()
        terms = ((today - timedelta(days=30), today + timedelta(days=335)),
                 (today - timedelta(days=200), today - timedelta(days=5)))  # fmt: skip
        for device, resident, (starts, due) in zip(devices, residents, terms, strict=False):
            services.lend_device(None, device, resident, starts, due, starts)
    return added
