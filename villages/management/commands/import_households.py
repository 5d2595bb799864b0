from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from pinghu_points.spreadsheets import command_error_lines
from villages.importing import RegisterImportError, household_register_import
from villages.models import Cooperative


class Command(BaseCommand):
    help = (
        "Import a shareholder register (.xlsx, format in docs/import-formats.md), all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument(
            "--error-report", help="write the errors of a refused file to this .xlsx"
        )
        parser.add_argument("--cooperative", required=True, help="cooperative code")
        parser.add_argument(
            "--effective-on", type=date.fromisoformat, help="YYYY-MM-DD; default today"
        )
        parser.add_argument("--actor", help="username recorded as the importer and in the audit")

    def handle(self, *args, file, cooperative, effective_on, actor, error_report=None, **options):
        cooperative_obj = Cooperative.objects.filter(code=cooperative).first()
        if cooperative_obj is None:
            raise CommandError(_("没有编码为“%(code)s”的合作社") % {"code": cooperative})
        actor_obj = None
        if actor:
            actor_obj = User.objects.filter(username=actor).first()
            if actor_obj is None:
                raise CommandError(_("没有用户名为“%(username)s”的用户") % {"username": actor})
        if not Path(file).is_file():
            raise CommandError(_("找不到文件：%(file)s") % {"file": file})
        try:
            result = household_register_import(
                cooperative=cooperative_obj, file=file, actor=actor_obj, effective_on=effective_on
            )
        except RegisterImportError as error:
            for line in command_error_lines(error.errors, report_path=error_report):
                self.stderr.write(line)
            raise CommandError(
                _("股东名册有 %(count)s 处错误，未导入任何数据") % {"count": len(error.errors)}
            ) from error
        self.stdout.write(
            _(
                "已导入 %(households)s 户、%(members)s 名户主、%(movements)s 条股权登记（%(cooperative)s）"
            )
            % {
                "households": result.households,
                "members": result.members,
                "movements": result.share_movements,
                "cooperative": cooperative_obj.name,
            }
        )
