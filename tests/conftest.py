"""One world with a user per role and scope (the healthchecks `hc/test.py` pattern):
for every check there is a user who should see and one who should not."""

from types import SimpleNamespace

import pytest

from accounts.models import User
from tests import factories

PASSWORD = "pass-word-123"


@pytest.fixture
def world(db):
    coop_a = factories.cooperative(code="COOPA", name="甲村股份经济合作社")
    coop_b = factories.cooperative(code="COOPB", name="乙村股份经济合作社")
    east = factories.community(code="EAST", name="东湖社区")
    west = factories.community(code="WEST", name="西湖社区")
    grid_east = factories.micro_grid(community_=east, code="E1", name="东一网格")
    grid_west = factories.micro_grid(community_=west, code="W1", name="西一网格")
    # Households of both cooperatives live in both communities: scope cuts both ways.
    a_east = factories.household(
        cooperative_=coop_a, community_=east, micro_grid_=grid_east, number="A001",
        head_name="王建国", head_id_number="330482196501011234", phone="13800001111",
        bank_account="6228480011112222333", shares={"RK": "3"},
    )
    a_west = factories.household(
        cooperative_=coop_a, community_=west, micro_grid_=grid_west, number="A002",
        head_name="李秀英", shares={"RK": "2"},
    )
    b_east = factories.household(
        cooperative_=coop_b, community_=east, micro_grid_=grid_east, number="B001",
        head_name="陈志强", shares={"RK": "4"},
    )
    b_west = factories.household(
        cooperative_=coop_b, community_=west, micro_grid_=grid_west, number="B002",
        head_name="赵美兰", shares={"RK": "1"},
    )
    return SimpleNamespace(
        coop_a=coop_a, coop_b=coop_b, east=east, west=west,
        grid_east=grid_east, grid_west=grid_west,
        a_east=a_east, a_west=a_west, b_east=b_east, b_west=b_west,
        admin=factories.user(username="admin", role=User.Role.SUBDISTRICT_ADMIN, is_staff=True),
        staff_east=factories.user(username="staff_east", role=User.Role.COMMUNITY_STAFF,
                                  communities=[east]),
        staff_west=factories.user(username="staff_west", role=User.Role.COMMUNITY_STAFF,
                                  communities=[west]),
        accountant_a=factories.user(username="acc_a", role=User.Role.ACCOUNTANT,
                                    cooperative_=coop_a),
        accountant_b=factories.user(username="acc_b", role=User.Role.ACCOUNTANT,
                                    cooperative_=coop_b),
        villager_a=factories.user(username="villager_a", role=User.Role.VILLAGER,
                                  household_=a_east),
        villager_b=factories.user(username="villager_b", role=User.Role.VILLAGER,
                                  household_=b_west),
    )


@pytest.fixture
def login(client):
    """Log the test client in as the given user and return it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
