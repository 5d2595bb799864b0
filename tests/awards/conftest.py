from tests.communities.conftest import items, standard  # noqa: F401  (the same 2026 standard)
