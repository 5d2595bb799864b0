from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from pinghu_points.spreadsheets import command_error_lines
from villages.town_import import TownImportError, town_import


class Command(BaseCommand):
    help = (
        "Set up a town from the town spreadsheet (.xlsx, format in docs/towns.md), all or "
        "nothing; --dry-run checks and counts without writing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument(
            "--error-report", help="write the errors of a refused file to this .xlsx"
        )
        parser.add_argument("--actor", help="username recorded as the importer and in the audit")

    def handle(self, *args, file, dry_run, actor, error_report=None, **options):
        actor_obj = None
        if actor:
            actor_obj = User.objects.filter(username=actor).first()
            if actor_obj is None:
                raise CommandError(_("没有用户名为“%(username)s”的用户") % {"username": actor})
        if not Path(file).is_file():
            raise CommandError(_("找不到文件：%(file)s") % {"file": file})
        try:
            preview = town_import(file=file, actor=actor_obj, dry_run=dry_run)
        except TownImportError as error:
            for line in command_error_lines(error.errors, report_path=error_report):
                self.stderr.write(line)
            raise CommandError(
                _("镇（街道）设置表有 %(count)s 处错误，未导入任何数据")
                % {"count": len(error.errors)}
            ) from error
        counts = {
            "town": preview.town["name"],
            "villages": preview.villages,
            "communities": preview.communities,
            "grids": preview.micro_grids,
            "leaders": preview.leader_logins,
        }
        if dry_run:
            message = _(
                "检查通过，未写入：将设置%(town)s，新增 %(villages)s 个村（合作社）、"
                "%(communities)s 个社区、%(grids)s 个微网格，关联 %(leaders)s 个网格长账号"
            )
        else:
            message = _(
                "已设置%(town)s：新增 %(villages)s 个村（合作社）、%(communities)s 个社区、"
                "%(grids)s 个微网格，关联 %(leaders)s 个网格长账号"
            )
        self.stdout.write(message % counts)
