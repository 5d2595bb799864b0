from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from pinghu_points import files


class Command(BaseCommand):
    help = (
        "List the uploaded files in MEDIA_ROOT that no row names (left by a process killed "
        "between storing a photo and committing its row); with --delete, remove them. "
        "Files younger than --min-age minutes are left alone: their write may still commit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delete", action="store_true", help="remove the files listed (default: only list)"
        )
        parser.add_argument(
            "--min-age",
            type=int,
            default=60,
            help="only files last written at least this many minutes ago (default 60)",
        )

    def handle(self, *args, delete=False, min_age=60, **options):
        if min_age < 0:
            raise CommandError(_("--min-age 不能为负数"))
        found = files.unreferenced_files(min_age_seconds=min_age * 60)
        if delete:
            found = files.remove_unreferenced(found)
        for file in found:
            self.stdout.write(file.name)
        total = sum(file.size for file in found)
        summary = {"count": len(found), "kb": f"{total / 1024:,.1f}"}
        if delete:
            self.stdout.write(_("已删除 %(count)s 个没有记录的文件，共 %(kb)s KB") % summary)
        else:
            self.stdout.write(
                _("找到 %(count)s 个没有记录的文件，共 %(kb)s KB（未删除；加 --delete 删除）")
                % summary
            )
