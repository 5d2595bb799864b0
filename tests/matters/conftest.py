"""The `world` with a grid leader for the east grid and a matter helper."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from matters import services
from tests import factories


@pytest.fixture
def leader(world):
    """张桂明: leads the east micro-grid, with no community membership of his own."""
    user = factories.user(username="leader_east", role=User.Role.COMMUNITY_STAFF)
    world.grid_east.leader = user
    world.grid_east.save()
    return user


@pytest.fixture
def raised(world):
    """A matter the east villager raised on their card."""
    return services.matter_record(
        actor=world.villager_a, text="坟浜河岸杂草丛生，岸坡塌了", place="坟浜河边"
    )


def due(days=7):
    return timezone.localdate() + timedelta(days=days)
