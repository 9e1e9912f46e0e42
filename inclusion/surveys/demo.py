"""Demo surveys: follow-ups answered on the automatic call and to staff, and this year's
sample in Shibuya with an answer by call, one who would not answer and some to call."""

from __future__ import annotations

import sqlalchemy as sa

from inclusion.auth.models import Role, User
from inclusion.extensions import db
from inclusion.residents.models import FollowUp, FollowUpAnswer
from inclusion.surveys import services
from inclusion.surveys.models import SurveyAsk, SurveyKind, SurveyOutcome, SurveyVia
from inclusion.wards.services import find_ward


def add_demo_surveys() -> int:
    """Add the demo's survey answers once; returns how many residents were asked."""
    if db.session.scalar(sa.select(sa.exists().where(SurveyAsk.id > 0))):
        return 0
    shibuya = find_ward("shibuya")
    staff = db.session.scalar(
        sa.select(User).where(User.ward_id == shibuya.id, User.role == Role.WARD_STAFF).limit(1)
    )
    follow_ups = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.ward_id == shibuya.id).order_by(FollowUp.id)
    ).all()
    for follow_up, answer, score in zip(follow_ups, (FollowUpAnswer.YES, FollowUpAnswer.NO),
                                        (5, 3), strict=False):  # fmt: skip
        if answer == FollowUpAnswer.YES:
            # Answered with the keys on the automatic call.
            services.record_answers(services.open_ask_of(follow_up),
                                    {"used_online": True, "satisfaction": score},
                                    SurveyVia.CALL)  # fmt: skip
        else:
            services.record_follow_up_by_staff(staff, follow_up, answer,
                                               note="また教室に来たいとのこと",
                                               satisfaction=score)  # fmt: skip
    services.draw_sample(staff, shibuya, 4, older_only=False)
    drawn = db.session.scalars(
        sa.select(SurveyAsk).where(SurveyAsk.kind == SurveyKind.YEARLY).order_by(SurveyAsk.id)
    ).all()
    if drawn:
        services.record_answers(drawn[0], {"used_online": True, "resolved": True,
                                           "satisfaction": 4}, SurveyVia.CALL)  # fmt: skip
    if len(drawn) > 1:
        services.record_by_staff(staff, drawn[1], SurveyOutcome.DECLINED, {},
                                 "電話は苦手とのこと")  # fmt: skip
    return db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAsk))
