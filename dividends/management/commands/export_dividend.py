"""python manage.py export_dividend RUN_ID --format xlsx|csv --out FILE [--kind bank|notice]
    [--notice-from YYYY-MM-DD]

Writes the run's bank transfer list (default) or public notice (formats in
docs/import-formats.md, 分红导出格式) and records the export in the audit trail.
"""

from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.scope import cooperatives_managed_by
from dividends import services
from dividends.exports import FORMATS, KINDS, export_run
from dividends.models import DividendRun

from .run_dividend import error_text, resolve_actor


class Command(BaseCommand):
    help = "Export a computed or approved dividend run: bank transfer list or public notice."

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int, help="the run's id (printed by run_dividend)")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="file_format")
        parser.add_argument(
            "--out",
            required=True,
            help="the file to write; an existing directory gets the suggested file name",
        )
        parser.add_argument(
            "--kind",
            choices=KINDS,
            default="bank",
            help="bank: transfer list with full accounts (default); notice: masked 公示 list",
        )
        parser.add_argument(
            "--actor", help="username in the audit; default the first subdistrict administrator"
        )
        parser.add_argument(
            "--notice-from",
            type=date.fromisoformat,
            help="notice only: first day of the 公示 period, YYYY-MM-DD (default today)",
        )

    def handle(self, *args, run_id, file_format, out, kind, actor, notice_from=None, **options):
        run = DividendRun.objects.select_related("cooperative").filter(pk=run_id).first()
        if run is None:
            raise CommandError(_("没有编号为 %(id)s 的分红方案") % {"id": run_id})
        actor_obj = resolve_actor(actor)
        if not cooperatives_managed_by(actor_obj).filter(pk=run.cooperative_id).exists():
            raise CommandError(
                _("%(username)s 不能导出 %(cooperative)s 的分红方案")
                % {"username": actor_obj.get_username(), "cooperative": run.cooperative.name}
            )
        try:
            content, filename, _content_type = export_run(
                run=run, kind=kind, file_format=file_format, notice_from=notice_from
            )
        except ValidationError as error:
            raise CommandError(error_text(error)) from error
        path = Path(out)
        if path.is_dir():
            path = path / filename
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(
                _("无法写入文件 %(file)s：%(error)s") % {"file": path, "error": error.strerror}
            ) from error
        services.dividend_run_exported(actor=actor_obj, run=run, kind=kind, file_format=file_format)
        self.stdout.write(_("已导出 %(file)s（%(name)s）") % {"file": path, "name": filename})
