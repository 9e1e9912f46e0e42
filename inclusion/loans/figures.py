"""The loan figures of a fiscal year, per ward and in all, counted by the database."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from inclusion.extensions import db
from inclusion.loans.models import Loan, ReturnCondition
from inclusion.targets.metrics import Scope, WardTable


@dataclass
class LoanFigures:
    #: Residents who received a device in the year (each once).
    residents: int = 0
    #: Devices with a resident now.
    in_use: int = 0
    returned: int = 0
    lost: int = 0


LoanTable = WardTable[LoanFigures]


def loan_figures(scope: Scope) -> LoanTable:
    """Residents lent a device in the year, devices out now, and loans ended in the year:
    returned, or lost."""
    table = LoanTable(LoanFigures)
    in_wards = [Loan.ward_id.in_(scope.ward_ids)] if scope.ward_ids else []
    started = [Loan.starts_on >= scope.first_day, Loan.starts_on <= scope.last_day, *in_wards]
    ended = [Loan.returned_on >= scope.first_day, Loan.returned_on <= scope.last_day, *in_wards]
    people = sa.func.count(sa.distinct(Loan.resident_id))
    lost = sa.func.sum(sa.case((Loan.condition == ReturnCondition.LOST, 1), else_=0))
    queries = {
        "residents": sa.select(Loan.ward_id, people).where(*started),
        "in_use": sa.select(Loan.ward_id, sa.func.count()).where(
            Loan.returned_on.is_(None), *in_wards
        ),
        "returned": sa.select(Loan.ward_id, sa.func.count() - lost).where(*ended),
        "lost": sa.select(Loan.ward_id, lost).where(*ended),
    }
    # A resident is in one ward: the wards' residents add up to all.
    for name, query in queries.items():
        rows = db.session.execute(query.group_by(Loan.ward_id))
        table.set_each(name, [(ward_id, int(value or 0)) for ward_id, value in rows])
    return table
