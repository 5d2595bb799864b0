"""One ID-number rule (issue 21, point 3): ASCII digits, a real birth date and the check
character, for the model fields, the bank look-up (page and API) and the register import."""

import pytest
from django.core.exceptions import ValidationError

from banking.forms import LookupForm
from villages.idnumbers import id_number_fault, with_check_character
from villages.models import Member, validate_id_number

VALID = with_check_character("33048219650118123")  # a_east's head in the test world
FULL_WIDTH = VALID.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
WRONG_CHECK = VALID[:17] + ("0" if VALID[17] != "0" else "1")
NO_SUCH_DAY = with_check_character("33048219650230123")


@pytest.mark.parametrize(
    ("value", "fault"),
    [
        (VALID, None),
        (FULL_WIDTH, "format"),
        ("33048219650118123x", "format"),
        (VALID[:17], "format"),
        (WRONG_CHECK, "check_character"),
        (NO_SUCH_DAY, "birth_date"),
    ],
)
def test_the_rule(value, fault):
    assert id_number_fault(value) == fault


@pytest.mark.parametrize("value", [FULL_WIDTH, WRONG_CHECK, NO_SUCH_DAY])
def test_the_model_field_refuses_what_the_import_refuses(world, value):
    member = Member(household=world.a_east, name="王小明", id_number=value)
    with pytest.raises(ValidationError) as refused:
        member.full_clean()
    assert "id_number" in refused.value.message_dict
    with pytest.raises(ValidationError):
        validate_id_number(value)


def test_the_model_field_takes_a_valid_number(world):
    Member(household=world.a_east, name="王小明", id_number=VALID).full_clean()


@pytest.mark.parametrize("value", [FULL_WIDTH, WRONG_CHECK, NO_SUCH_DAY])
def test_the_bank_look_up_form_refuses_it(value):
    form = LookupForm(data={"id_number": value})
    assert not form.is_valid() and "id_number" in form.errors


def test_the_bank_look_up_form_takes_a_lower_case_x():
    value = with_check_character("33048220100103002")
    assert value.endswith("X")
    assert LookupForm(data={"id_number": value.lower()}).is_valid()


@pytest.mark.parametrize("value", [FULL_WIDTH, WRONG_CHECK])
def test_the_bank_api_refuses_it(world, client, value):
    client.force_login(world.bank_officer)
    answer = client.get("/api/v1/bank/lookup/", {"id_number": value})
    assert answer.status_code == 400
    assert "id_number" in answer.json()
