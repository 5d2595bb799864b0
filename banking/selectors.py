"""What the bank may read, and what the household's card shows about it (docs/bank.md).

The bank reads exactly the fields of `BankRow`: the household number, the head's name,
the masked ID number, the annual scores of the last three years and the credit grade.
Nothing else of the household (events, notes, photos, phones, accounts, dividends) is
ever selected for the bank.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max
from django.utils import timezone

from accounts.scope import households_consent_enterable_by, households_seen_by_bank
from communities.selectors import annual_scores
from villages.models import mask_id_number_tail

from .models import Bank, BankLookup, Consent, CreditGrade

YEARS_SEEN = 3


def bank_years(*, today=None):
    """The years whose annual score the bank sees: this year and the two before, oldest first."""
    year = (today or timezone.localdate()).year
    return list(range(year - YEARS_SEEN + 1, year + 1))


def credit_grades():
    return list(CreditGrade.objects.order_by("-min_score"))


def grade_for(score, grades):
    """The highest row of the grade table the score reaches, or None (no score, or below
    every row). `grades` ordered by min_score, highest first."""
    if score is None:
        return None
    for grade in grades:
        if score >= grade.min_score:
            return grade
    return None


@dataclass
class BankRow:
    household_id: int
    number: str
    head_name: str
    masked_id_number: str
    scores: dict = field(default_factory=dict)  # {year: Decimal | None}
    graded_year: int | None = None
    grade: str | None = None
    amount: Decimal | None = None

    @property
    def score_list(self):
        return [(year, score) for year, score in sorted(self.scores.items())]


def bank_rows(*, households, today=None):
    """One `BankRow` per household of the queryset, in its order. Set-based: the queries do
    not grow with the number of households. The grade comes from the latest of the three
    years that has a score."""
    households = households.select_related(None).only(
        "pk", "cooperative_id", "number", "head_name", "head_id_number"
    )
    years = bank_years(today=today)
    grades = credit_grades()
    by_year = {year: annual_scores(households=households, year=year) for year in years}
    rows = []
    for household in households:
        scores = {year: by_year[year].get(household.pk) for year in years}
        graded_year = next((year for year in reversed(years) if scores[year] is not None), None)
        grade = grade_for(scores[graded_year], grades) if graded_year else None
        rows.append(
            BankRow(
                household_id=household.pk,
                number=household.number,
                head_name=household.head_name,
                masked_id_number=mask_id_number_tail(household.head_id_number),
                scores=scores,
                graded_year=graded_year,
                grade=grade.grade if grade else None,
                amount=grade.amount if grade else None,
            )
        )
    return rows


def consenting_households(*, user):
    """The households the bank officer (or bank token) may read, by cooperative and number."""
    return households_seen_by_bank(user).order_by("cooperative__code", "number", "pk")


@dataclass
class LookupResult:
    id_number: str
    consent: bool
    rows: list


def bank_lookup(*, user, id_number):
    """Whether the head with this full ID number consented to the user's bank, and if so
    the household's row(s). Exact match only; a household without consent is answered
    exactly like no household at all."""
    households = consenting_households(user=user).filter(head_id_number=id_number)
    rows = bank_rows(households=households)
    return LookupResult(id_number=id_number, consent=bool(rows), rows=rows)


@dataclass
class CardConsent:
    consents: list
    last_looked_at: object
    banks: list
    can_enter: bool
    is_own: bool


def card_consent(*, household, user):
    """The card's "bank" section: the consents in force or pending, when a bank last looked,
    and whether this user may give or withdraw consent here."""
    consents = list(
        Consent.objects.filter(household=household, withdrawn_at__isnull=True)
        .select_related("bank")
        .order_by("bank__code")
    )
    last = BankLookup.objects.filter(household=household).aggregate(at=Max("at"))["at"]
    open_banks = {consent.bank_id for consent in consents}
    if user.is_villager:  # no query for the card's usual reader: their own household
        can_enter = user.household_id == household.pk
    else:
        can_enter = households_consent_enterable_by(user).filter(pk=household.pk).exists()
    return CardConsent(
        consents=consents,
        last_looked_at=last,
        banks=[bank for bank in Bank.objects.order_by("code") if bank.pk not in open_banks],
        can_enter=can_enter,
        is_own=bool(user.is_villager and user.household_id == household.pk),
    )


def desk_households(*, user):
    return households_consent_enterable_by(user).select_related("cooperative", "community")


def consent_history(*, household):
    return list(
        Consent.objects.filter(household=household)
        .select_related("bank", "entered_by", "withdrawn_by")
        .order_by("-entered_at", "-id")
    )


def masked(id_number):
    """An ID number as the audit trail keeps it for a look-up: masked like everywhere."""
    from villages.models import mask_id_number

    return mask_id_number(id_number)
