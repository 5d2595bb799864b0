"""The door app's other records, made without signal (issue 25, point 4): a matter (议事), a
progress note on a matter (办理), a visit (走访) or a re-inspection (整改复查), each sent once
and written by the service that owns its rules. It composes matters and the points ledger,
so it lives here, above both (docs/architecture.md)."""

import uuid
from dataclasses import dataclass, field, replace
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import households_scorable_by
from communities.models import DoorRecord, MicroGrid, Rectification
from communities.services import household_visit_record, rectification_inspect
from pinghu_points import files

from . import selectors as matter_selectors
from .services import matter_progress, matter_record


@dataclass
class DoorRecordEntry:
    """One record queued in the door app: a matter (议事, for a household of the grid or the
    grid itself), a progress note on a matter (办理), a visit (走访) or a re-inspection (整改
    复查). Ids as the phone sent them (0 or None when missing)."""

    kind: str
    client_id: uuid.UUID | None
    household_id: int | None = None
    grid_id: int | None = None
    matter_id: int | None = None
    rectification_id: int | None = None
    text: str = ""
    place: str = ""
    note: str = ""
    result: str = ""
    occurred_on: date | None = None
    photo: object = None


@dataclass
class DoorRecordResult:
    """What became of one record: created, existing (sent before) or refused with reasons."""

    client_id: object
    status: str
    kind: str = ""
    object_id: int | None = None
    errors: list = field(default_factory=list)  # [str]


def _door_matter(actor, record, today):
    household = None
    if record.household_id:
        household = households_scorable_by(actor).filter(pk=record.household_id).first()
        if household is None:
            raise PermissionDenied(_("该户不在您负责的社区"))
        grid = household.micro_grid
    else:
        grid = MicroGrid.objects.filter(pk=record.grid_id or 0).first()
    return matter_record(
        actor=actor,
        text=record.text,
        micro_grid=grid,
        household=household,
        place=record.place,
        photo=record.photo,
    )


def _door_progress(actor, record, today):
    matter = matter_selectors.matters_handled_by(actor).filter(pk=record.matter_id or 0).first()
    if matter is None:
        raise PermissionDenied(_("找不到这件事，或它不由您办理"))
    return matter_progress(actor=actor, matter=matter, note=record.note, photo=record.photo)


def _door_visit(actor, record, today):
    household = households_scorable_by(actor).filter(pk=record.household_id or 0).first()
    if household is None:
        raise PermissionDenied(_("该户不在您负责的社区"))
    return household_visit_record(
        actor=actor,
        household=household,
        visited_on=record.occurred_on,
        note=record.note,
        today=today,
    )


def _door_inspection(actor, record, today):
    rectification = Rectification.objects.filter(
        household__in=households_scorable_by(actor), pk=record.rectification_id or 0
    ).first()
    if rectification is None:
        raise PermissionDenied(_("找不到这项整改，或该户不在您负责的社区"))
    return rectification_inspect(
        actor=actor,
        rectification=rectification,
        result=record.result,
        note=record.note,
        photo=record.photo,
        today=today,
    )


DOOR_WRITERS = {
    DoorRecord.Kind.MATTER: _door_matter,
    DoorRecord.Kind.PROGRESS: _door_progress,
    DoorRecord.Kind.VISIT: _door_visit,
    DoorRecord.Kind.INSPECTION: _door_inspection,
}


def _door_found(actor, record):
    """The record's earlier send, as "existing" — or refused if its id is another's."""
    found = DoorRecord.objects.filter(client_id=record.client_id).first()
    if found is None:
        return None
    if found.recorded_by_id != actor.pk or found.kind != record.kind:
        return DoorRecordResult(
            record.client_id, "refused", record.kind, errors=[_("记录编号已被其他记录使用")]
        )
    return DoorRecordResult(record.client_id, "existing", found.kind, found.object_id)


def _door_record_one(*, actor, record, today):
    if record.client_id is None:
        return DoorRecordResult(None, "refused", record.kind, errors=[_("缺少记录编号")])
    writer = DOOR_WRITERS.get(record.kind)
    if writer is None:
        return DoorRecordResult(
            record.client_id, "refused", record.kind, errors=[_("不认识的记录类别")]
        )
    found = _door_found(actor, record)
    if found is not None:
        return found
    try:
        with files.stored_with_rows():
            written = writer(actor, record, today)
            DoorRecord.objects.create(
                client_id=record.client_id,
                kind=record.kind,
                object_id=written.pk,
                recorded_by=actor,
            )
    except (ValidationError, PermissionDenied, IntegrityError) as error:
        # A parallel send of the same record may have been recorded meanwhile.
        found = _door_found(actor, record)
        if found is not None:
            return found
        if isinstance(error, IntegrityError):
            raise
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        return DoorRecordResult(record.client_id, "refused", record.kind, errors=messages)
    return DoorRecordResult(record.client_id, "created", record.kind, written.pk)


def door_records_sync(*, actor, records, today=None):
    """Record what the door app queued without signal, each on its own: one refused record
    does not hold back the others. Each goes through the service that owns its rules
    (`matters.services.matter_record` / `matter_progress`, `household_visit_record`,
    `rectification_inspect`), which also checks the scope and audits it; the record's
    `client_id` (a `DoorRecord` written in the same transaction) makes a second send of
    it answer "existing" instead of recording it again. Returns one result per record."""
    today = today or timezone.localdate()
    results, by_client_id = [], {}
    for record in records:
        if record.client_id is not None and record.client_id in by_client_id:
            first = by_client_id[record.client_id]  # the same record twice in one send
            status = "refused" if first.status == "refused" else "existing"
            results.append(replace(first, status=status))
            continue
        result = _door_record_one(actor=actor, record=record, today=today)
        if record.client_id is not None:
            by_client_id[record.client_id] = result
        results.append(result)
    return results
