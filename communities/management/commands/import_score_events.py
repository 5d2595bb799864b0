from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import User
from communities.importing import ScoreEventImportError, score_event_import
from communities.models import Community
from pinghu_points.formatting import signed_points_total
from pinghu_points.spreadsheets import command_error_lines


class Command(BaseCommand):
    help = (
        "Import an inspection sheet of add/deduct events (.xlsx, format in "
        "docs/import-formats.md) for one community, all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file")
        parser.add_argument(
            "--error-report", help="write the errors of a refused file to this .xlsx"
        )
        parser.add_argument("--community", required=True, help="community code")
        parser.add_argument(
            "--actor",
            required=True,
            help="username of the community staff member (or subdistrict administrator) "
            "the events are entered as; recorded on every event and in the audit",
        )

    def handle(self, *args, file, community, actor, error_report=None, **options):
        community_obj = Community.objects.filter(code=community).first()
        if community_obj is None:
            raise CommandError(_("没有编码为“%(code)s”的社区") % {"code": community})
        actor_obj = User.objects.filter(username=actor).first()
        if actor_obj is None:
            raise CommandError(_("没有用户名为“%(username)s”的用户") % {"username": actor})
        if not Path(file).is_file():
            raise CommandError(_("找不到文件：%(file)s") % {"file": file})
        try:
            result = score_event_import(community=community_obj, file=file, actor=actor_obj)
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        except ScoreEventImportError as error:
            for line in command_error_lines(error.errors, report_path=error_report):
                self.stderr.write(line)
            raise CommandError(
                _("积分检查表有 %(count)s 处错误，未导入任何积分记录")
                % {"count": len(error.errors)}
            ) from error
        self.stdout.write(
            _(
                "已导入 %(events)s 条积分记录，涉及 %(households)s 户，合计 %(points)s 分（%(community)s）"
            )
            % {
                "events": result.events,
                "households": result.households,
                "points": signed_points_total(result.points),
                "community": community_obj.name,
            }
        )
