"""Resident ID numbers (GB 11643) and bank card check digits, without Django.

The one copy of the arithmetic: the register import checks with it, and the demo, the
generated import sample and docs/samples/make_households_sample.py (a plain script, hence
no Django import here) make up valid numbers with it.
"""

import re
from datetime import date

AREA_CODE = "330482"  # 浙江省嘉兴市平湖市
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARACTERS = "10X98765432"


def id_check_character(first_17_digits):
    """The 18th character of a resident ID number for its first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17_digits, ID_WEIGHTS, strict=True)
    )
    return ID_CHECK_CHARACTERS[total % 11]


def with_check_character(first_17_digits):
    return first_17_digits + id_check_character(first_17_digits)


ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9X]$"  # ASCII only: Python's \d would let full-width ３ in


def id_number_fault(value):
    """What is wrong with a resident ID number: None, "format" (not 17 ASCII digits and a
    digit or X), "birth_date" (no such day) or "check_character". The one rule: the model
    fields, the bank look-up (page and API) and the register import all go through it
    (villages.models.validate_id_number gives the messages)."""
    if not re.fullmatch(ID_NUMBER_PATTERN, value or ""):
        return "format"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "birth_date"
    if value[17] != id_check_character(value[:17]):
        return "check_character"
    return None


def is_valid_id_number(value):
    """18 characters, a real birth date, and the right check character."""
    return id_number_fault(value) is None


def make_id_number(*, birth, sequence, area=AREA_CODE):
    """Area code, birth date, 3-digit sequence (odd for men, even for women), check character."""
    return with_check_character(f"{area}{birth:%Y%m%d}{sequence:03d}")


def luhn_complete(partial):
    """Append the Luhn check digit, as bank card numbers carry."""
    total = 0
    for i, char in enumerate(reversed(partial)):
        digit = int(char)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return partial + str((10 - total % 10) % 10)
