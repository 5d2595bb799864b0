"""Issue 24.5: the audit trail shows every detail as a labelled sentence, households by
their numbers (never a database id), coded values in words; no raw key such as
`starts_on`, `channel：card` or `event：83873`.

The keys are collected from the code: every `details={...}` written next to an
`action=...` in the product's apps, plus the keys built by helpers (the typed username of
a failed login, an import's result, a job's retry). A new key without words fails here.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from accounts import audit_display
from accounts.models import AuditRecord

pytestmark = pytest.mark.django_db

APPS = ["accounts", "villages", "communities", "dividends", "appeals", "banking"]

# Keys written by helpers rather than in a literal next to the action.
BUILT_KEYS = {
    "auth.login_failed": {"username", "unknown_username", "typed_length"},
    "household.import": {"households", "members", "share_movements"},
    "import.retry": {"status", "attempts"},
    "dividend.retry": {"status", "attempts"},
    "bank.lookup": {"bank", "households", "found"},
    "bank.list": {"bank", "households"},
    "bank.detail": {"bank", "households"},
    "bank.export": {"bank", "households"},
}
# Actions whose sentences are written out whole (their keys are read by name there).
WRITTEN_OUT = {
    "user.role_changed",
    "user.created",
    "score_event.create",
    "score_event.reverse",
    "month.close",
    "month.reopen",
    "share.transfer",
    "share.inheritance",
    "community.honor_roll_published",
}


def _written_details():
    """{action: {keys}} from the code (an f-string action is skipped: see BUILT_KEYS)."""
    found = {}
    for app in APPS:
        for path in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                keywords = {k.arg: k.value for k in node.keywords if k.arg}
                details, action = keywords.get("details"), keywords.get("action")
                if not isinstance(details, ast.Dict) or action is None:
                    continue
                actions = [
                    c.value
                    for c in ast.walk(action)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and "." in c.value
                ]
                keys = {k.value for k in details.keys if isinstance(k, ast.Constant)}
                for code in actions:
                    found.setdefault(code, set()).update(keys)
    for code, keys in BUILT_KEYS.items():
        found.setdefault(code, set()).update(keys)
    return found


def test_the_collection_reaches_the_actions():
    written = _written_details()
    for action in ("appeal.filed", "appeal.rejected", "bank.consent_given", "dividend_run.paid"):
        assert action in written
    assert {"starts_on", "channel", "household"} <= written["bank.consent_given"]


def test_every_detail_key_has_words():
    missing = {
        (action, key)
        for action, keys in _written_details().items()
        if action not in WRITTEN_OUT
        for key in keys
        if key not in audit_display.DETAIL_LABELS
    }
    assert missing == set()


def _sample(key, household):
    if key in ("household_id", "household"):
        return household.pk
    if key == "households":
        return [household.pk]
    if key in ("before", "after"):
        return {"is_active": key == "after"}  # an account's snapshot
    if key == "channel":
        return "card"
    if key == "kind":
        return "register"
    if key == "status":
        return "failed"
    return 83873


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_action_renders_a_raw_key_or_a_household_id(language, world):
    household = world.a_east
    problems = []
    with translation.override(language):
        for action, keys in sorted(_written_details().items()):
            details = {key: _sample(key, household) for key in sorted(keys)}
            record = AuditRecord(action=action, details=details)
            text = " | ".join(audit_display.detail_sentences(record))
            # A key shown as its own label ("starts_on：…"), or any snake_case key at all.
            raw = [
                key
                for key in keys
                if re.search(rf"(^|\| ){key}：", text) or ("_" in key and key in text)
            ]
            if raw:
                problems.append((action, "raw key", raw, text))
            if any(key in audit_display.HOUSEHOLD_KEYS for key in keys) and action not in (
                WRITTEN_OUT
            ):
                if household.number not in text or re.search(rf"(?<!\d){household.pk}(?!\d)", text):
                    problems.append((action, "household id instead of number", text))
            if re.search(r"：(card|register|failed)\b", text):
                problems.append((action, "a code, not words", text))
            if language == "en" and re.search(r"[\u4e00-\u9fff]", text):
                problems.append((action, "Chinese in English", text))
    assert problems == []


def test_a_consent_reads_as_sentences(world):
    household = world.a_east
    record = AuditRecord(
        action="bank.consent_given",
        details={
            "household": household.pk,
            "bank": "PHRCB",
            "starts_on": "2026-01-01",
            "ends_on": None,
            "channel": "card",
            "form_photo": False,
        },
    )
    sentences = audit_display.detail_sentences(record)
    assert f"股东户：{household.number}" in sentences
    assert "授权开始日期：2026-01-01" in sentences
    assert "途径：村民在积分卡上" in sentences
    assert not any("starts_on" in s or "card" in s for s in sentences)


def test_an_appeal_reads_as_sentences_with_the_household_number(world):
    household = world.a_east
    record = AuditRecord(
        action="appeal.rejected",
        details={
            "household_id": household.pk,
            "event": 83873,
            "line": None,
            "reversal": None,
            "answer": "记录属实",
        },
    )
    sentences = audit_display.detail_sentences(record)
    assert sentences == [f"股东户 {household.number} 对积分记录 #83873的申诉", "答复：记录属实"]


def test_the_appeal_object_names_the_household_and_the_state(world):
    from appeals.models import Appeal

    appeal = Appeal(pk=2, household=world.a_east, state=Appeal.State.REJECTED)
    assert str(appeal) == f"申诉 #2（股东户 {world.a_east.number}，申诉不成立）"


def test_a_role_change_names_the_cooperative_and_the_household(world):
    record = AuditRecord(
        action="user.role_changed",
        details={
            "before": {"role": "villager", "cooperative_id": None, "household_id": None},
            "after": {
                "role": "villager",
                "cooperative_id": world.coop_a.pk,
                "household_id": world.a_east.pk,
            },
        },
    )
    sentences = audit_display.detail_sentences(record)
    assert sentences == [
        f"合作社由「—」改为「{world.coop_a.name}」",
        f"股东户由「—」改为「{world.a_east.number}」",
    ]


def test_a_permission_change_reads_in_words():
    record = AuditRecord(
        action="user.permissions_changed",
        details={"relation": "groups", "change": "remove", "ids": [3]},
    )
    assert audit_display.detail_sentences(record) == ["类型：用户组", "变动：去掉", "编号：3"]


def test_a_matters_step_reads_in_words(world):
    record = AuditRecord(
        action="matter.assess",
        details={
            "step": "assess",
            "outcome": "declined",
            "state": "declined",
            "note": "属邻里纠纷",
            "photo": False,
            "micro_grid": world.grid_east.pk,
        },
    )
    text = " ".join(audit_display.detail_sentences(record))
    assert "研判" in text and "不予受理" in text and "属邻里纠纷" in text
    assert "declined" not in text and "assess" not in text
