"""The demo's consent: the head of Tongjie household 0001 (login TONGJIE-0001) consents on the
card that 平湖农商银行 may see the household's score, so `bank_phrcb` has one household to
look at. Idempotent: an open consent is left as it is."""

from accounts.models import User

from . import services
from .models import Bank, Consent


def seed_bank_demo(*, stdout=None):
    villager = (
        User.objects.filter(username="TONGJIE-0001", role=User.Role.VILLAGER)
        .select_related("household")
        .first()
    )
    bank = Bank.objects.filter(code="PHRCB").first()
    if villager is None or bank is None:
        return None
    if Consent.objects.filter(household=villager.household, bank=bank, withdrawn_at=None).exists():
        return None
    consent = services.consent_give(household=villager.household, bank=bank, actor=villager)
    if stdout is not None:
        stdout.write(f"善治金融: {villager.household.card_number} 授权 {bank.name} 查询积分")
    return consent
