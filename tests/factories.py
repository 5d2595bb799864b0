"""Small factories: each builds one object with sensible defaults."""

import itertools
from datetime import date
from decimal import Decimal

from accounts.models import User
from communities.models import Community, MicroGrid, StaffMembership
from villages.models import Cooperative, Household, ShareClass, ShareMovement, Town, Village

_sequence = itertools.count(1)


def town(*, code="DANGHU", name="当湖街道", kind=Town.Kind.SUBDISTRICT):
    """The town of every object a test makes without naming one: 当湖街道, as the demo."""
    return Town.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]


def village(*, code=None, name=None, dissolved_on=None, town_=None):
    n = next(_sequence)
    return Village.objects.create(
        town=town_ or town(),
        code=code or f"V{n:03d}",
        name=name or f"测试村{n}",
        dissolved_on=dissolved_on,
    )


def cooperative(*, code=None, name=None, village_=None, share_classes=(("RK", "人口股", "1"),)):
    n = next(_sequence)
    village_ = village_ or village()
    coop = Cooperative.objects.create(
        code=code or f"C{n:03d}", name=name or f"{village_.name}股份经济合作社", village=village_
    )
    for class_code, class_name, weight in share_classes:
        ShareClass.objects.create(
            cooperative=coop, code=class_code, name=class_name, weight=Decimal(weight)
        )
    return coop


def community(*, code=None, name=None, town_=None):
    n = next(_sequence)
    return Community.objects.create(
        town=town_ or town(), code=code or f"S{n:03d}", name=name or f"测试社区{n}"
    )


def micro_grid(*, community_, code=None, name=None):
    n = next(_sequence)
    return MicroGrid.objects.create(
        community=community_, code=code or f"G{n:03d}", name=name or f"第{n}网格"
    )


def household(
    *,
    cooperative_,
    community_,
    number=None,
    head_name="张三",
    micro_grid_=None,
    shares=None,
    **extra,
):
    n = next(_sequence)
    h = Household.objects.create(
        cooperative=cooperative_,
        community=community_,
        micro_grid=micro_grid_,
        number=number or f"H{n:05d}",
        head_name=head_name,
        **extra,
    )
    for class_code, quantity in (shares or {}).items():
        ShareMovement.objects.create(
            household=h,
            share_class=cooperative_.share_classes.get(code=class_code),
            kind=ShareMovement.Kind.ISSUE,
            quantity=Decimal(quantity),
            effective_on=date(2018, 1, 1),
            reason="测试配股",
        )
    return h


def user(
    *,
    username=None,
    role="",
    cooperative_=None,
    household_=None,
    bank_=None,
    communities=(),
    password="pass-word-123",
    **extra,
):
    n = next(_sequence)
    if (
        role == User.Role.SUBDISTRICT_ADMIN
    ):  # a town admin administers a town: 当湖街道 unless named
        extra.setdefault("town", town())
    u = User.objects.create_user(
        username=username or f"user{n}",
        password=password,
        role=role,
        cooperative=cooperative_,
        household=household_,
        bank=bank_,
        **extra,
    )
    for c in communities:
        StaffMembership.objects.create(user=u, community=c)
    return u


def photo(name="photo.jpg"):
    """A small JPEG upload, standing in for a photo taken at the door."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def confirmed_veto(*, actor, confirmer, household, item, occurred_on, today=None, note="违法"):
    """A veto as the ledger takes it: reason and photo, then a second person confirms it."""
    from communities import services

    (event,) = services.score_events_record(
        actor=actor,
        entries=[
            services.Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=occurred_on,
                note=note,
                evidence=photo(),
            )
        ],
        today=today,
    )
    services.score_event_review(actor=confirmer, event=event, decision="confirmed")
    return event


def confirmed_veto_reversal(*, actor, confirmer, event, reason):
    from communities import services

    reversal = services.score_event_reverse(
        actor=actor, event=event, reason=reason, evidence=photo()
    )
    services.score_event_review(actor=confirmer, event=reversal, decision="confirmed")
    return reversal


def bank(*, code="PHRCB", name="平湖农商银行"):
    """The local bank (created by banking's data migration; made again if a test removed it)."""
    from banking.models import Bank

    return Bank.objects.get_or_create(code=code, defaults={"name": name})[0]


def credit_grades():
    """The example grade table of banking's data migration (a transactional test's flush
    removes migration data, so tests make it themselves)."""
    from banking.models import CreditGrade

    for min_score, grade, amount in (
        ("90", "A", "300000.00"),
        ("80", "B", "200000.00"),
        ("70", "C", "100000.00"),
        ("60", "D", "50000.00"),
    ):
        CreditGrade.objects.get_or_create(
            grade=grade, defaults={"min_score": Decimal(min_score), "amount": Decimal(amount)}
        )
