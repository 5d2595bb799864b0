"""Filing and answering appeals (申诉). Every write is audited (docs/villagers.md, "申诉")."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from communities.models import ScoreEvent
from communities.services import NOTE_MAX_LENGTH, score_event_reverse
from dividends.models import DividendLine, DividendRun
from pinghu_points import files

from . import selectors
from .models import TEXT_MAX_LENGTH, Appeal


def _clean_text(text, *, required_message):
    text = (text or "").strip()
    if not text:
        raise ValidationError(required_message)
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationError(_("最多 %(count)s 个字") % {"count": TEXT_MAX_LENGTH})
    return text


def appeal_file(*, actor, text, event=None, line=None, photo=None):
    """A villager appeals a deduction (`event`) or their dividend line (`line`).

    Only the villager of the household; an event must be a counted deduction not yet
    reversed; a line must belong to an approved run. One open appeal per event or line.
    """
    if (event is None) == (line is None):
        raise ValueError("an appeal targets exactly one event or one line")
    if not (actor.is_authenticated and actor.is_active and actor.is_villager):
        raise PermissionDenied(_("只有本户村民可以申诉"))
    text = _clean_text(text, required_message=_("请写下申诉的理由"))
    photo = files.clean_photo(photo) if photo else None
    with files.stored_with_rows():
        if event is not None:
            target = ScoreEvent.objects.select_for_update().get(pk=event.pk)
            household_id = target.household_id
            if household_id != actor.household_id:
                raise PermissionDenied(_("只能对本户的记录申诉"))
            if not selectors.event_appealable(target):
                raise ValidationError(_("只能对已计入的扣分记录申诉"))
            open_exists = selectors.has_open_appeal(event=target)
        else:
            target = DividendLine.objects.select_related("run").get(pk=line.pk)
            household_id = target.household_id
            if household_id != actor.household_id:
                raise PermissionDenied(_("只能对本户的分红申诉"))
            if target.run.status != DividendRun.Status.APPROVED:
                raise ValidationError(_("只能对已审批的分红申诉"))
            open_exists = selectors.has_open_appeal(line=target)
        if open_exists:
            raise ValidationError(_("这一项已有一条申诉在等待答复"))
        appeal = Appeal(
            household_id=household_id,
            event=target if event is not None else None,
            line=target if line is not None else None,
            text=text,
            filed_by=actor,
        )
        if photo is not None:
            appeal.photo.save("photo.jpg", photo, save=False)
        try:
            with transaction.atomic():
                appeal.save()
        except IntegrityError as error:
            raise ValidationError(_("这一项已有一条申诉在等待答复")) from error
        audit_record(
            actor=actor,
            action="appeal.filed",
            target=appeal,
            details={
                "household_id": household_id,
                "event": appeal.event_id,
                "line": appeal.line_id,
                "photo": bool(appeal.photo),
            },
        )
    return appeal


@transaction.atomic
def appeal_answer(*, actor, appeal, upheld, answer):
    """Staff (event) or the accountant (line) answer an open appeal.

    Upheld on an event: the event is reversed through `score_event_reverse`, with the
    appeal as the reason, and the reversal is kept on the appeal. Upheld on a dividend
    line: the answer is recorded (an approved run is frozen; what follows — a correction
    paid separately — is written in the answer). Rejected: a reason is required.
    """
    if not selectors.appeals_answerable_by(actor).filter(pk=appeal.pk).exists():
        raise PermissionDenied(_("这条申诉不由您答复"))
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if not appeal.is_open:
        raise ValidationError(_("这条申诉已经答复过了"))
    if upheld:
        answer = (answer or "").strip() or _("经核实，申诉成立，已冲正该记录。")
        if len(answer) > TEXT_MAX_LENGTH:
            raise ValidationError(_("最多 %(count)s 个字") % {"count": TEXT_MAX_LENGTH})
    else:
        answer = _clean_text(answer, required_message=_("驳回申诉须写明理由"))
    if upheld and appeal.event_id is not None:
        reason = (_("申诉 #%(id)s 成立：%(answer)s") % {"id": appeal.pk, "answer": answer})[
            :NOTE_MAX_LENGTH
        ]
        appeal.reversal = score_event_reverse(actor=actor, event=appeal.event, reason=reason)
    appeal.state = Appeal.State.UPHELD if upheld else Appeal.State.REJECTED
    appeal.answer = answer
    appeal.answered_by = actor
    appeal.answered_at = timezone.now()
    appeal.save(update_fields=["state", "answer", "answered_by", "answered_at", "reversal"])
    audit_record(
        actor=actor,
        action="appeal.upheld" if upheld else "appeal.rejected",
        target=appeal,
        details={
            "household_id": appeal.household_id,
            "event": appeal.event_id,
            "line": appeal.line_id,
            "reversal": appeal.reversal_id,
            "answer": answer,
        },
    )
    return appeal
