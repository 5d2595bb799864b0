"""The sample register (股东名册样例) made for one cooperative: it imports as it is.

The static docs/samples/households.xlsx is generic (示例社区一, 人口股 and 农龄股) and must
be edited before it imports anywhere. The sample the import page offers is generated
instead, so that a first try succeeds: the cooperative's own share classes as columns,
communities and micro-grids that exist (named the way the import matches them), household
numbers the cooperative has not used, and made-up people whose ID numbers are valid and
not registered anywhere. The format is the import's (villages/importing.py,
docs/import-formats.md).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count

from communities.models import Community, MicroGrid
from pinghu_points.exports import Column, Sheet, safe_filename, xlsx_bytes

from .idnumbers import luhn_complete, make_id_number
from .importing import (
    BANK_ACCOUNT,
    BANK_NAME,
    COMMUNITY,
    HEAD_NAME,
    ID_NUMBER,
    MAX_LENGTHS,
    MICRO_GRID,
    NUMBER,
    PHONE,
    community_lookup,
    micro_grid_lookup,
)
from .models import Household, Member

# Made-up heads of household: (name, birth date, male). Sample data, not interface text.
HEADS = (
    ("沈建明", date(1962, 3, 15), True),
    ("陆美华", date(1968, 7, 22), False),
    ("顾国强", date(1955, 1, 9), True),
    ("朱秀英", date(1971, 4, 30), False),
    ("徐志伟", date(1980, 6, 11), True),
    ("钱桂芳", date(1959, 9, 18), False),
    ("吴海林", date(1966, 12, 1), True),
    ("张丽萍", date(1975, 2, 26), False),
    ("周荣根", date(1952, 8, 5), True),
    ("金晓东", date(1988, 11, 17), True),
)
# Quantities per row for the first and second share class (further classes repeat them);
# None is an empty cell, which counts as 0.
SHARES = (
    ("4", "3.5"),
    ("3", "2.5"),
    ("5", "4"),
    ("2", "1.5"),
    ("3", "1"),
    ("2", "3"),
    ("4", "2.75"),
    ("3", "2"),
    ("1", "4.5"),
    ("3", None),
)
# The row that shows which cells may stay empty: no phone, no bank.
ROW_WITHOUT_PHONE_AND_BANK = 3
BANK = "浙江平湖农村商业银行"
CARD_PREFIX = "623091"
COMMUNITIES_SHOWN = 2
GRIDS_SHOWN = 3
NUMBER_WIDTH = 4  # 0001, as the demo and most registers number their households
ID_CANDIDATES = 20  # ID numbers tried per row and query, should the first be taken


@dataclass(frozen=True)
class RegisterSample:
    cooperative: object
    sheet: Sheet

    @property
    def filename(self):
        return safe_filename(f"{self.cooperative.name}_股东名册样例.xlsx")

    def xlsx(self):
        return xlsx_bytes(self.sheet)


def is_sample_register(head_names):
    """Whether a checked register is (a part of) this sample: every head is one of its
    made-up people. The import preview then says that confirming adds made-up households."""
    return bool(head_names) and set(head_names) <= {name for name, _birth, _male in HEADS}


def register_sample(cooperative):
    """The sample for `cooperative`, or None when no community exists to live in."""
    places = sample_places(cooperative)
    if not places:
        return None
    numbers = unused_household_numbers(cooperative, len(HEADS))
    id_numbers = unregistered_id_numbers(numbers, cooperative)
    share_classes = list(cooperative.share_classes.order_by("pk").values_list("name", flat=True))
    # Rows go to the places in blocks (the first half to the first community, …).
    place_of = [index * len(places) // len(HEADS) for index in range(len(HEADS))]
    rows = []
    for index, (number, (name, _birth, _male), id_number) in enumerate(
        zip(numbers, HEADS, id_numbers, strict=True)
    ):
        community, grids = places[place_of[index]]
        position = index - place_of.index(place_of[index])
        block_size = place_of.count(place_of[index])
        # The last row of a block shows that the micro-grid may stay empty.
        last = position == block_size - 1 and block_size > 2
        grid = grids[(position // 2) % len(grids)] if grids and not last else None
        serial = int(number)
        plain = index != ROW_WITHOUT_PHONE_AND_BANK
        quantities = [SHARES[index][j % 2] for j in range(len(share_classes))]
        rows.append(
            [
                number,
                name,
                id_number,
                f"1380573{serial % 10**4:04d}" if plain else None,
                community,
                grid,
                *[Decimal(quantity) if quantity else None for quantity in quantities],
                BANK if plain else None,
                luhn_complete(f"{CARD_PREFIX}0573{serial % 10**8:08d}") if plain else None,
            ]
        )
    columns = [
        Column(NUMBER, "identifier", 8),
        Column(HEAD_NAME, "text", 10),
        Column(ID_NUMBER, "identifier", 22),
        Column(PHONE, "identifier", 14),
        Column(COMMUNITY, "text", 12),
        Column(MICRO_GRID, "text", 12),
        *[Column(name, "number", 8) for name in share_classes],
        Column(BANK_NAME, "text", 22),
        Column(BANK_ACCOUNT, "identifier", 24),
    ]
    return RegisterSample(cooperative, Sheet(title="股东名册", columns=columns, rows=rows))


def sample_places(cooperative):
    """[(community label, [micro-grid labels])]: where the cooperative's households live
    (the most of them first), else any community; each with its first micro-grids.

    A label is the name when the import finds this very community (or grid) by it, else
    the code: a code beats another community's identical name, and a grid name shared in
    its community is refused as ambiguous."""
    communities = list(
        Community.objects.filter(households__cooperative=cooperative)
        .annotate(households_here=Count("households"))
        .order_by("-households_here", "code")[:COMMUNITIES_SHOWN]
    ) or list(Community.objects.order_by("code")[:COMMUNITIES_SHOWN])
    by_label, grid_by_label = community_lookup(), micro_grid_lookup()
    places = []
    for community in communities:
        grids = MicroGrid.objects.filter(community=community).order_by("code")[:GRIDS_SHOWN]
        grid_labels = [
            label for grid in grids if (label := _label(grid, grid_by_label, within=community.pk))
        ]
        if label := _label(community, by_label):
            places.append((label, grid_labels))
    return places


def _label(place, lookup, within=None):
    """The name of a community or grid if the import's lookup gives this very one back for
    it, else its code (None if neither does). Grids are looked up `within` a community."""
    for text in (place.name.strip(), place.code.strip()):
        key = text if within is None else (within, text)
        if text and lookup.get(key) == place:
            return text
    return None


def unused_household_numbers(cooperative, count):
    """`count` household numbers the cooperative has not registered: after its highest
    number, zero-padded like it (0699, 0700 … after 0698)."""
    taken = set(cooperative.households.values_list("number", flat=True))
    digits = [number for number in taken if number.isascii() and number.isdigit()]
    highest = max((int(number) for number in digits), default=0)
    width = max(
        [NUMBER_WIDTH, *(len(number) for number in digits if int(number) == highest)],
    )
    numbers, candidate = [], highest + 1
    while len(numbers) < count:
        text = f"{candidate:0{width}d}"
        if len(text) > MAX_LENGTHS[NUMBER]:
            candidate, width = 1, NUMBER_WIDTH  # the highest is absurdly long: fill gaps instead
            continue
        if text not in taken:
            numbers.append(text)
        candidate += 1
    return numbers


def unregistered_id_numbers(numbers, cooperative):
    """A valid made-up ID number for each row's head (HEADS), registered to nobody.

    The sequence digits follow the household number and the cooperative, so a later
    sample (new numbers) or another cooperative's gets other ID numbers; their parity
    follows the head's sex, as GB 11643 has it. The heads' birth dates differ, so two
    rows never get the same number."""
    starts = [
        (birth, ((int(number) + 37 * cooperative.pk) % 500) * 2 + (1 if male else 0))
        for number, (_name, birth, male) in zip(numbers, HEADS, strict=False)
    ]
    chosen = [None] * len(starts)
    for offset in range(0, 500, ID_CANDIDATES):
        open_rows = [row for row, value in enumerate(chosen) if value is None]
        if not open_rows:
            break
        candidates = {
            row: [
                make_id_number(birth=starts[row][0], sequence=(starts[row][1] + 2 * k) % 1000)
                for k in range(offset, offset + ID_CANDIDATES)
            ]
            for row in open_rows
        }
        used = _registered_id_numbers({value for values in candidates.values() for value in values})
        for row in open_rows:
            chosen[row] = next((value for value in candidates[row] if value not in used), None)
    if None in chosen:  # pragma: no cover - 500 people born the same day, all registered
        raise RuntimeError("no free ID number for the sample")
    return chosen


def _registered_id_numbers(values):
    heads = Household.objects.filter(head_id_number__in=values).values_list(
        "head_id_number", flat=True
    )
    members = Member.objects.filter(id_number__in=values).values_list("id_number", flat=True)
    return set(heads) | set(members)
