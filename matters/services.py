"""The six steps of a matter (议事): 收集、研判、交办、办理、跟踪、反馈 (docs/matters.md).

Every step checks who may take it (`selectors`) and whether the matter's state allows it,
writes the step into the append-only `MatterStep` log and the audit trail. A step the
state does not allow is refused with a message that names the state and the step.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import micro_grids_managed_by
from accounts.services import audit_record
from pinghu_points import files

from . import selectors
from .models import (
    NOTE_MAX_LENGTH,
    OFFICE_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Matter,
    MatterStep,
)

Step = MatterStep.Step
State = Matter.State

_dated = ContextVar("matters_steps_dated", default=None)


@contextmanager
def steps_dated(moment):
    """Take the steps inside as at `moment` (an aware datetime) instead of now: the demo's
    history of matters over past weeks (matters/demo.py). Every rule applies as it did
    then (a due date "today or later" means then); the audit trail still records when
    the rows were written."""
    token = _dated.set(moment)
    try:
        yield
    finally:
        _dated.reset(token)


def _now():
    return _dated.get() or timezone.now()


def _clean(text, *, limit, required_message=None):
    text = (text or "").strip()
    if not text and required_message:
        raise ValidationError(required_message)
    if len(text) > limit:
        raise ValidationError(_("最多 %(count)s 个字") % {"count": limit})
    return text


def _require_state(matter, allowed, step):
    if matter.state not in allowed:
        raise ValidationError(
            _("这件事现在是「%(state)s」，不能%(step)s。")
            % {"state": matter.get_state_display(), "step": Step(step).label},
            code="invalid_transition",
        )


def _locked(matter, allowed_queryset, refusal):
    """The matter, locked for the step, if `actor` may take it; else PermissionDenied."""
    if not allowed_queryset.filter(pk=matter.pk).exists():
        raise PermissionDenied(refusal)
    return Matter.objects.select_for_update().get(pk=matter.pk)


def _step(*, matter, step, actor, note="", outcome="", photo=None):
    entry = MatterStep(matter=matter, step=step, actor=actor, note=note, outcome=outcome, at=_now())
    if photo is not None:
        entry.photo.save("photo.jpg", photo, save=False)
    entry.save()
    audit_record(
        actor=actor,
        action=f"matter.{step}",
        target=matter,
        details={
            "step": step,
            "outcome": outcome,
            "state": matter.state,
            "note": note,
            "photo": bool(entry.photo),
            "micro_grid": matter.micro_grid_id,
        },
    )
    return entry


def _photo(photo):
    return files.clean_photo(photo) if photo else None


def matter_record(*, actor, text, micro_grid=None, household=None, place="", photo=None):
    """收集: a villager raises a matter for their own micro-grid; a grid leader or staff
    records one for a grid they manage, for a household of that grid or on their own."""
    text = _clean(text, limit=TEXT_MAX_LENGTH, required_message=_("请写下是什么事"))
    place = _clean(place, limit=PLACE_MAX_LENGTH)
    if not (getattr(actor, "is_authenticated", False) and actor.is_active):
        raise PermissionDenied(_("请先登录"))
    if actor.is_villager:
        household = actor.household
        if household.micro_grid_id is None:
            raise ValidationError(_("您家还没有划入微网格，请到社区登记。"))
        micro_grid = household.micro_grid
    else:
        if micro_grid is None:
            raise ValidationError(_("请选择微网格"))
        if not micro_grids_managed_by(actor).filter(pk=micro_grid.pk).exists():
            raise PermissionDenied(_("这个微网格不归您管"))
        if household is not None and household.micro_grid_id != micro_grid.pk:
            raise ValidationError(_("这一户不在这个微网格"))
    photo = _photo(photo)
    with transaction.atomic():
        matter = Matter(
            micro_grid=micro_grid,
            household=household,
            text=text,
            place=place,
            recorded_by=actor,
            recorded_at=_now(),
        )
        if photo is not None:
            matter.photo.save("photo.jpg", photo, save=False)
        matter.save()
        _step(matter=matter, step=Step.COLLECT, actor=actor, note=text)
    return matter


@transaction.atomic
def matter_assess(*, actor, matter, decision, reason="", merge_into=None):
    """研判: accepted, merged into another open matter of the actor's grids, or declined
    with a reason the villager sees."""
    matter = _locked(matter, selectors.matters_managed_by(actor), _("这件事不由您研判"))
    _require_state(matter, (State.COLLECTED,), Step.ASSESS)
    reason = _clean(reason, limit=NOTE_MAX_LENGTH)
    if decision == "accepted":
        matter.state = State.ACCEPTED
        note = reason
    elif decision == "merged":
        if merge_into is None:
            raise ValidationError(_("请写明合并到哪一件事（编号）"))
        target = selectors.matters_managed_by(actor).filter(pk=merge_into.pk).first()
        if target is None:
            raise ValidationError(_("找不到要合并到的那件事"))
        if target.pk == matter.pk:
            raise ValidationError(_("不能合并到它自己"))
        if target.state in (State.MERGED, State.DECLINED):
            raise ValidationError(_("只能合并到仍在办理的事项"))
        matter.state = State.MERGED
        matter.merged_into = target
        note = reason or _("与 #%(id)s 是同一件事") % {"id": target.pk}
    elif decision == "declined":
        reason = _clean(
            reason, limit=NOTE_MAX_LENGTH, required_message=_("不予受理须写明理由，村民会看到")
        )
        matter.state = State.DECLINED
        matter.decline_reason = reason
        note = reason
    else:
        raise ValidationError(_("请选择研判结论"))
    matter.save(update_fields=["state", "merged_into", "decline_reason"])
    _step(matter=matter, step=Step.ASSESS, actor=actor, note=note, outcome=decision)
    return matter


@transaction.atomic
def matter_assign(*, actor, matter, due_on, community=None, office="", note=""):
    """交办: to a village committee or community, or to an office named in words, with a
    due date (today or later)."""
    matter = _locked(matter, selectors.matters_managed_by(actor), _("这件事不由您交办"))
    _require_state(matter, (State.ACCEPTED,), Step.ASSIGN)
    office = _clean(office, limit=OFFICE_MAX_LENGTH)
    note = _clean(note, limit=NOTE_MAX_LENGTH)
    if (community is None) == (not office):
        raise ValidationError(_("请选择一个承办村社，或填写一个承办部门（只填一个）"))
    if due_on is None:
        raise ValidationError(_("请填写办理期限"))
    if due_on < timezone.localdate(_now()):
        raise ValidationError(_("办理期限不能早于今天"))
    matter.state = State.ASSIGNED
    matter.assignee_community = community
    matter.assignee_office = office
    matter.due_on = due_on
    matter.save(update_fields=["state", "assignee_community", "assignee_office", "due_on"])
    summary = _("交办：%(who)s，期限 %(due)s") % {
        "who": matter.assignee_label,
        "due": due_on.isoformat(),
    }
    _step(
        matter=matter,
        step=Step.ASSIGN,
        actor=actor,
        note=f"{summary}。{note}" if note else summary,
    )
    return matter


def matter_progress(*, actor, matter, note, photo=None):
    """办理: the assignee (or the grid's staff for an office) records what was done."""
    note = _clean(note, limit=NOTE_MAX_LENGTH, required_message=_("请写下办理情况"))
    photo = _photo(photo)
    with transaction.atomic():
        matter = _locked(matter, selectors.matters_handled_by(actor), _("这件事不由您办理"))
        _require_state(matter, selectors.TRACKED_STATES, Step.HANDLE)
        matter.state = State.IN_HAND
        matter.save(update_fields=["state"])
        _step(matter=matter, step=Step.HANDLE, actor=actor, note=note, photo=photo)
    return matter


def matter_track(*, actor, matter, note, photo=None):
    """跟踪: the grid leader (or staff) follows an assigned matter: a visit, a call, a
    look on site. The state does not change."""
    note = _clean(note, limit=NOTE_MAX_LENGTH, required_message=_("请写下跟踪情况"))
    photo = _photo(photo)
    with transaction.atomic():
        matter = _locked(matter, selectors.matters_managed_by(actor), _("这件事不由您跟踪"))
        _require_state(matter, selectors.TRACKED_STATES, Step.TRACK)
        _step(matter=matter, step=Step.TRACK, actor=actor, note=note, photo=photo)
    return matter


def matter_report_back(*, actor, matter, result, photo=None):
    """反馈: the result, told to the villager (on their card). Only after progress was
    recorded (办理)."""
    result = _clean(result, limit=NOTE_MAX_LENGTH, required_message=_("请写下办理结果"))
    photo = _photo(photo)
    with transaction.atomic():
        matter = _locked(matter, selectors.matters_handled_by(actor), _("这件事不由您反馈"))
        if matter.state == State.ASSIGNED:
            raise ValidationError(
                _("还没有办理记录：请先记录办理情况，再反馈结果。"), code="invalid_transition"
            )
        _require_state(matter, (State.IN_HAND,), Step.FEEDBACK)
        matter.state = State.REPORTED
        matter.result = result
        matter.reported_at = _now()
        matter.save(update_fields=["state", "result", "reported_at"])
        _step(matter=matter, step=Step.FEEDBACK, actor=actor, note=result, photo=photo)
    return matter


@transaction.atomic
def matter_villager_verdict(*, actor, matter, solved, note=""):
    """反馈, the villager's word: the household that raised it says solved or not, once."""
    if not (
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.is_villager
        and matter.household_id == actor.household_id
    ):
        raise PermissionDenied(_("只有提出这件事的村民可以评价"))
    matter = Matter.objects.select_for_update().get(pk=matter.pk)
    _require_state(matter, (State.REPORTED,), Step.FEEDBACK)
    if matter.solved is not None:
        raise ValidationError(_("您已经评价过了"), code="invalid_transition")
    note = _clean(note, limit=NOTE_MAX_LENGTH)
    matter.solved = bool(solved)
    matter.save(update_fields=["solved"])
    outcome = MatterStep.Outcome.SOLVED if solved else MatterStep.Outcome.NOT_SOLVED
    _step(matter=matter, step=Step.FEEDBACK, actor=actor, note=note, outcome=outcome)
    return matter
