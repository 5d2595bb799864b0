"""The bank's pages, the desk page and the card's bank section show no English UI words."""

from tests.test_i18n import ENGLISH_WORD, english_words


def test_bank_pages_are_chinese(consent, login, world):
    client = login(world.bank_officer)
    own = ENGLISH_WORD.findall(world.bank_officer.username)
    for url in (
        "/bank/",
        "/bank/lookup/?id_number=330482196501181234",
        "/bank/lookup/?id_number=1",
    ):
        assert english_words(client.get(url), *own) == set(), url


def test_consent_pages_are_chinese(consent, login, world):
    card = login(world.villager_a).get("/card/")
    assert english_words(card, *ENGLISH_WORD.findall(world.villager_a.username)) == set()
    desk = login(world.staff_east).get(f"/bank/desk/{world.a_east.pk}/")
    # The history names who entered the consent (a username is data, not a label).
    usernames = world.staff_east.username + " " + world.villager_a.username
    assert english_words(desk, *ENGLISH_WORD.findall(usernames)) == set()
