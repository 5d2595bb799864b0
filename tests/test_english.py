"""English works: with the language switched to `en`, pages show English labels.

The msgids are Chinese, so English comes only from locale/en/LC_MESSAGES/django.mo.
The .mo is kept in the repository (a machine without gettext cannot compile it), so
the last tests check that it is complete and matches the .po.

Data (names of people, cooperatives, communities, grids) stays Chinese in both
languages: the checks below look only at UI labels.
"""

import ast
import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = LOCALE_DIR / "django.po"
MO_FILE = LOCALE_DIR / "django.mo"

# Labels every signed-in page shows (header), in each language.
CHINESE_CHROME = ["退出", "首页", "股东户"]
ENGLISH_CHROME = ["Log out", "Home", "Shareholder households"]


@pytest.fixture(autouse=True)
def _restore_language():
    """A request in English leaves `en` active in this thread; put the old one back."""
    previous = translation.get_language()
    yield
    translation.activate(previous)


@pytest.fixture
def english(client):
    """The test client with the language cookie set to English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_all_in(body, texts):
    missing = [text for text in texts if text not in body]
    assert not missing, f"missing: {missing}"


def assert_none_in(body, texts):
    present = [text for text in texts if text in body]
    assert not present, f"should not be there: {present}"


# --- Switching the language --------------------------------------------------


def test_set_language_view_switches_to_english(client, db):
    login_url = reverse("accounts:login")

    response = client.post(reverse("set_language"), {"language": "en", "next": login_url})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    body = page(client, login_url)
    assert '<html lang="en">' in body
    assert_all_in(body, ["Log in", "Username", "Password"])
    assert_none_in(body, ["登录", "账号", "密码"])


def test_switching_back_to_chinese(english, db):
    english.post(reverse("set_language"), {"language": "zh-hans"})

    body = page(english, reverse("accounts:login"))

    assert_all_in(body, ["登录", "账号", "密码"])
    assert_none_in(body, ["Log in", "Username", "Password"])


# --- Login page ----------------------------------------------------------------


def test_login_page_in_english(english, db):
    body = page(english, reverse("accounts:login"))

    assert_all_in(
        body,
        [
            "Log in",
            "Danghu Subdistrict Share Dividends + Good-Governance Points System",
            "Username",
            "Password",
            "Language",
        ],
    )
    assert_none_in(body, ["登录", "当湖街道", "账号", "密码", "语言"])


def test_login_page_in_chinese_by_default(client, db):
    body = page(client, reverse("accounts:login"))

    assert '<html lang="zh-hans">' in body
    assert_all_in(body, ["登录", "当湖街道 股权分红+善治积分 系统", "账号", "密码"])
    assert_none_in(body, ["Log in", "Username", "Password"])


def test_login_error_in_english(english, world):
    # The wrong-password message is ours since issue 13 (card numbers are not
    # case-sensitive); Django's "both fields may be case-sensitive" is gone.
    response = english.post(reverse("accounts:login"), {"username": "acc_a", "password": ""})

    assert "Please fill this in." in response.content.decode()  # ours, not Django's
    response = english.post(
        reverse("accounts:login"), {"username": "acc_a", "password": "wrong-password"}
    )
    body = response.content.decode()
    assert "may be case-sensitive" not in body
    assert "The card number is not case-sensitive" in body


# --- Home page per role ------------------------------------------------------------

HOME = {
    # user: (English labels, Chinese labels)
    "staff_east": (
        [
            "Hello, staff_east",
            "staff_east · Community staff",
            "My micro-grids",
            "Grid leader",
            "Batch entry",
            "Monthly points chart",
            "Month close",
        ],
        [
            "您好，staff_east",
            "staff_east · 社区工作人员",
            "我的微网格",
            "网格长",
            "批量录入",
            "美丽积分图",
            "月度关账",
        ],
    ),
    "accountant_a": (
        [
            "Hello, acc_a",
            "acc_a · Cooperative accountant",
            "Visible shareholder households",
            "<th>Cooperative</th>",
            "<th>Code</th>",
        ],
        # "合作社" alone is also in the data (甲村股份经济合作社): look for the header cell.
        ["您好，acc_a", "acc_a · 合作社会计", "可查看的股东户", "<th>合作社</th>", "<th>编码</th>"],
    ),
    "admin": (
        [
            "Hello, admin",
            "admin · Subdistrict administrator",
            "Shareholder households by community",
            "Cooperatives involved",
            "Audit trail",
        ],
        ["您好，admin", "admin · 街道管理员", "各社区股东户分布", "涉及合作社", "审计记录"],
    ),
}


@pytest.mark.parametrize("user_name", list(HOME))
def test_home_page_in_english(world, english, user_name):
    english.force_login(getattr(world, user_name))

    body = page(english, reverse("home"))

    english_labels, chinese_labels = HOME[user_name]
    assert_all_in(body, ENGLISH_CHROME + english_labels)
    assert_none_in(body, CHINESE_CHROME + chinese_labels)


@pytest.mark.parametrize("user_name", list(HOME))
def test_home_page_in_chinese(world, client, user_name):
    client.force_login(getattr(world, user_name))

    body = page(client, reverse("home"))

    english_labels, chinese_labels = HOME[user_name]
    assert_all_in(body, CHINESE_CHROME + chinese_labels)
    assert_none_in(body, ENGLISH_CHROME + english_labels)


# --- Household list ----------------------------------------------------------------

HOUSEHOLD_LIST_EN = [
    "Household number",
    "Head of household",
    "Community of residence",
    "Micro-grid",
    "Household number, head of household name or phone",
    "2 households in total",
]
HOUSEHOLD_LIST_ZH = ["户号", "户主", "居住社区", "微网格", "户号、户主姓名或电话", "共 2 户"]


def test_household_list_in_english(world, english):
    english.force_login(world.accountant_a)

    body = page(english, reverse("villages:household_list"))

    assert_all_in(body, HOUSEHOLD_LIST_EN)
    # Data stays as entered.
    assert_all_in(body, ["A001", "王建国", "甲村股份经济合作社"])
    assert_none_in(body, CHINESE_CHROME[:1] + ["户号", "户主", "居住社区", "共 2 户"])


def test_household_list_in_chinese(world, client):
    client.force_login(world.accountant_a)

    body = page(client, reverse("villages:household_list"))

    assert_all_in(body, HOUSEHOLD_LIST_ZH)
    assert_none_in(body, HOUSEHOLD_LIST_EN)


def test_household_list_singular_in_english(world, english):
    english.force_login(world.accountant_a)

    body = page(english, reverse("villages:household_list") + "?q=A001")

    assert "1 household in total" in body


# --- Batch entry -------------------------------------------------------------------

BATCH_URL = "/communities/scoring/batch/"
BATCH_EN = [
    "Batch points entry",
    "Or search shareholder households",
    "Name, household number or phone",
    "2 households",
    "View monthly points chart",
    "This month",
    "Annual points",
    "Save batch",
    "{n} cells filled in, not yet saved",
    "You have unsaved points. Leave anyway?",
]
BATCH_ZH = [
    "批量录入积分",
    "或搜索股东户",
    "姓名、户号或电话",
    "2 户",
    "查看美丽积分图",
    "本月",
    "年度积分",
    "保存本批",
    "已填写 {n} 格，尚未保存",
    "有未保存的分值，确定离开吗？",
]


def test_batch_url_is_the_named_one():
    assert reverse("communities:batch_entry") == BATCH_URL


def test_batch_entry_in_english(world, english):
    english.force_login(world.staff_east)

    body = page(english, BATCH_URL)

    assert_all_in(body, BATCH_EN)
    assert_none_in(body, CHINESE_CHROME[:1] + BATCH_ZH)


def test_batch_entry_in_chinese(world, client):
    client.force_login(world.staff_east)

    body = page(client, BATCH_URL)

    assert_all_in(body, CHINESE_CHROME + BATCH_ZH)
    assert_none_in(body, ENGLISH_CHROME + BATCH_EN)


# --- The catalogue ---------------------------------------------------------------


def _unquote(line):
    return ast.literal_eval(line)


def po_entries(path):
    """(msgid, msgid_plural, [msgstr...], flags) of each entry of a .po file, header excluded.

    Enough of the format for what makemessages writes; obsolete (#~) entries are skipped.
    """
    entries, current, field, flags = [], None, None, set()

    def finish():
        if current is not None and current["msgid"]:
            entries.append(current)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,"):
            finish()
            current, field = None, None
            flags = {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#") or not line:
            continue
        elif line.startswith("msgctxt "):
            finish()
            current = {
                "msgctxt": _unquote(line[8:]),
                "msgid": "",
                "plural": None,
                "msgstr": {},
                "flags": flags,
            }
            flags, field = set(), "msgctxt"
        elif line.startswith("msgid "):
            if current is None or field != "msgctxt":
                finish()
                current = {
                    "msgctxt": None,
                    "msgid": "",
                    "plural": None,
                    "msgstr": {},
                    "flags": flags,
                }
                flags = set()
            current["msgid"] = _unquote(line[6:])
            field = "msgid"
        elif line.startswith("msgid_plural "):
            current["plural"] = _unquote(line[13:])
            field = "plural"
        elif line.startswith("msgstr["):
            index, rest = line[7:].split("]", 1)
            field = int(index)
            current["msgstr"][field] = _unquote(rest.strip())
        elif line.startswith("msgstr "):
            field = 0
            current["msgstr"][0] = _unquote(line[7:])
        elif line.startswith('"'):
            text = _unquote(line)
            if field in ("msgctxt", "msgid", "plural"):
                current[field] = (current[field] or "") + text
            else:
                current["msgstr"][field] += text
    finish()
    return entries


def test_english_catalogue_is_complete():
    entries = po_entries(PO_FILE)

    assert len(entries) > 400
    fuzzy = [entry["msgid"] for entry in entries if "fuzzy" in entry["flags"]]
    untranslated = [
        entry["msgid"]
        for entry in entries
        if not entry["msgstr"] or not all(entry["msgstr"].values())
    ]
    plural_without_two_forms = [
        entry["msgid"] for entry in entries if entry["plural"] and len(entry["msgstr"]) != 2
    ]
    assert fuzzy == []
    assert untranslated == []
    assert plural_without_two_forms == []


def test_compiled_catalogue_matches_the_po():
    """django.mo is committed: it must be compiled from the current django.po."""
    assert MO_FILE.exists(), "run: manage.py compilemessages -l en --ignore=.venv"
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = []
    for entry in po_entries(PO_FILE):
        if entry["msgctxt"] is not None:
            got = compiled.pgettext(entry["msgctxt"], entry["msgid"])
            want = entry["msgstr"][0]
        elif entry["plural"]:
            got = [compiled.ngettext(entry["msgid"], entry["plural"], n) for n in (1, 2)]
            want = [entry["msgstr"][0], entry["msgstr"][1]]
        else:
            got, want = compiled.gettext(entry["msgid"]), entry["msgstr"][0]
        if got != want:
            stale.append(entry["msgid"])
    assert stale == [], "django.mo is stale; run: manage.py compilemessages -l en --ignore=.venv"
