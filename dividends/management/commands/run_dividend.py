"""python manage.py run_dividend --cooperative CODE --year Y --total T --incentive-ratio R …

Creates a run through `services.dividend_run_create`, sends it to the job queue through
`run_jobs.dividend_run_enqueue`, prints its id and pools; with `--wait`, waits for the
job and prints what was paid. Any refusal is a CommandError (exit status 1).
"""

import argparse
import time
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from dividends import run_jobs, services
from dividends.models import DividendRun
from pinghu_points.aggregates import ExactSum
from villages.models import Cooperative

FINISHED = (DividendRun.Status.COMPUTED, DividendRun.Status.APPROVED, DividendRun.Status.FAILED)
POLL_SECONDS = 0.5


def decimal_argument(text):
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(_("“%(value)s”不是数字") % {"value": text}) from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(_("“%(value)s”不是数字") % {"value": text})
    return value


def parse_tiers(text):
    """ "90:0.2,80:0.1,60:0.05" -> [{"min_score": "60", "share_of_base": "0.05"}, …]."""
    tiers = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        score, separator, share = part.partition(":")
        if not separator:
            raise CommandError(
                _("--tiers 格式不正确：“%(part)s”，应为 分数:比例，如 90:0.2,80:0.1")
                % {"part": part}
            )
        try:
            tiers.append(
                {
                    "min_score": str(decimal_argument(score.strip())),
                    "share_of_base": str(decimal_argument(share.strip())),
                }
            )
        except argparse.ArgumentTypeError as error:
            raise CommandError(_("--tiers 格式不正确：%(error)s") % {"error": error}) from error
    return sorted(tiers, key=lambda tier: Decimal(tier["min_score"]))


def resolve_actor(username):
    """The named user, or by default the first town administrator (the city admin only
    reads; a run is a town's or its cooperative's accountant's work)."""
    if username:
        actor = User.objects.filter(username=username).first()
        if actor is None:
            raise CommandError(_("没有用户名为“%(username)s”的用户") % {"username": username})
        return actor
    actor = (
        User.objects.filter(is_active=True, is_superuser=False, role=User.Role.SUBDISTRICT_ADMIN)
        .order_by("pk")
        .first()
    )
    if actor is None:
        raise CommandError(_("没有街道管理员账号，请用 --actor 指定操作人"))
    return actor


def error_text(error):
    if isinstance(error, ValidationError):
        return "；".join(str(message) for message in error.messages)
    return str(error)


class Command(BaseCommand):
    help = (
        "Create and compute a dividend run: prints its id and pools; --wait waits for the "
        "computation (DESIGN.md section 6)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cooperative", required=True, help="cooperative code")
        parser.add_argument("--year", required=True, type=int, help="dividend year")
        parser.add_argument(
            "--total", required=True, type=decimal_argument, help="distributable total, yuan"
        )
        incentive = parser.add_mutually_exclusive_group(required=True)
        incentive.add_argument(
            "--incentive-ratio",
            type=decimal_argument,
            help="incentive pool as a ratio of the base pool (Tongjie: 0.2)",
        )
        incentive.add_argument(
            "--incentive-pool", type=decimal_argument, help="incentive pool in yuan"
        )
        incentive.add_argument(
            "--incentive-share",
            type=decimal_argument,
            help="incentive pool as a share of the total (e.g. 0.1)",
        )
        parser.add_argument(
            "--policy",
            choices=DividendRun.Policy.values,
            default=DividendRun.Policy.SCORE,
            help="how the incentive pool is shared (default: score)",
        )
        parser.add_argument(
            "--min-score", type=decimal_argument, help="no incentive below this score"
        )
        parser.add_argument(
            "--tiers", help='for --policy tiers: "90:0.2,80:0.1,60:0.05" (score:share of base)'
        )
        parser.add_argument(
            "--no-veto",
            action="store_true",
            help="a veto item does not cancel the incentive (default: it does)",
        )
        parser.add_argument(
            "--record-date", type=date.fromisoformat, help="YYYY-MM-DD; default Dec 31 of --year"
        )
        parser.add_argument(
            "--confirm-ceiling",
            action="store_true",
            help="confirm an incentive pool above 20%% of the total",
        )
        parser.add_argument("--actor", help="username; default the first subdistrict administrator")
        parser.add_argument("--wait", action="store_true", help="wait for the computation")
        parser.add_argument(
            "--timeout",
            type=float,
            default=600,
            help="seconds --wait waits at most (default 600)",
        )

    def handle(self, *args, **options):
        cooperative = Cooperative.objects.filter(code=options["cooperative"]).first()
        if cooperative is None:
            raise CommandError(_("没有编码为“%(code)s”的合作社") % {"code": options["cooperative"]})
        actor = resolve_actor(options["actor"])
        if options["wait"] and transaction.get_connection().in_atomic_block:
            # The job is sent when the transaction commits: waiting inside it never ends.
            raise CommandError(_("--wait 不能在数据库事务中使用"))
        mode, value = self._incentive(options)
        try:
            run = services.dividend_run_create(
                actor=actor,
                cooperative=cooperative,
                year=options["year"],
                total=options["total"],
                incentive_mode=mode,
                incentive_value=value,
                policy=options["policy"],
                parameters=self._parameters(options),
                record_date=options["record_date"],
                ceiling_confirmed=options["confirm_ceiling"],
            )
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(error_text(error)) from error
        self._print_run(run)
        try:
            sent = run_jobs.dividend_run_enqueue(run=run)
        except Exception as error:
            # Eager mode computes inside the call; the run row records the failure.
            run.refresh_from_db()
            if run.status != DividendRun.Status.FAILED:
                raise
            raise CommandError(
                _("分红方案 %(id)s 计算失败：%(error)s") % {"id": run.pk, "error": run.error}
            ) from error
        if sent is False:
            saved = _(
                "分红方案 %(id)s 已保存，但任务队列暂时无法连接：队列恢复后会自动计算，不必重新创建。"
            ) % {"id": run.pk}
            if options["wait"]:
                raise CommandError(saved + _("（无法等待计算结果）"))
            self.stdout.write(saved)
            return
        if options["wait"]:
            run = self._wait(run, timeout=options["timeout"])
            self._print_result(run)
        else:
            run.refresh_from_db()
            self.stdout.write(_("状态：%(status)s") % {"status": run.get_status_display()})

    def _incentive(self, options):
        for option, mode in (
            ("incentive_ratio", DividendRun.IncentiveMode.RATIO_OF_BASE),
            ("incentive_pool", DividendRun.IncentiveMode.FIXED),
            ("incentive_share", DividendRun.IncentiveMode.SHARE_OF_TOTAL),
        ):
            if options.get(option) is not None:
                return mode, options[option]
        # Only reachable through call_command with none of the three.
        raise CommandError(_("须指定 --incentive-ratio、--incentive-pool、--incentive-share 之一"))

    def _parameters(self, options):
        parameters = {"veto": not options["no_veto"]}
        if options["min_score"] is not None:
            parameters["min_score"] = str(options["min_score"])
        if options["tiers"]:
            if options["policy"] != DividendRun.Policy.TIERS:
                raise CommandError(_("--tiers 只能与 --policy tiers 一起使用"))
            parameters["tiers"] = parse_tiers(options["tiers"])
        elif options["policy"] == DividendRun.Policy.TIERS:
            raise CommandError(_("--policy tiers 须用 --tiers 给出积分档次，如 90:0.2,80:0.1"))
        return parameters

    def _print_run(self, run):
        self.stdout.write(
            _("分红方案 %(id)s：%(cooperative)s %(year)s年度 第%(version)s版")
            % {
                "id": run.pk,
                "cooperative": run.cooperative.name,
                "year": run.year,
                "version": run.version,
            }
        )
        self.stdout.write(_("可分配总额：%(amount)s") % {"amount": run.total})
        self.stdout.write(_("基本股分红池：%(amount)s") % {"amount": run.base_pool})
        self.stdout.write(_("积分激励池：%(amount)s") % {"amount": run.incentive_pool})

    def _wait(self, run, *, timeout):
        deadline = time.monotonic() + timeout
        while True:
            run.refresh_from_db()
            if run.status in FINISHED:
                break
            if time.monotonic() >= deadline:
                raise CommandError(
                    _("等待超时：分红方案 %(id)s 仍为“%(status)s”（进度 %(progress)s%%）")
                    % {
                        "id": run.pk,
                        "status": run.get_status_display(),
                        "progress": run.progress,
                    }
                )
            time.sleep(POLL_SECONDS)
        if run.status == DividendRun.Status.FAILED:
            raise CommandError(
                _("分红方案 %(id)s 计算失败：%(error)s") % {"id": run.pk, "error": run.error}
            )
        return run

    def _print_result(self, run):
        base_paid = run.lines.aggregate(paid=ExactSum("base_amount"))["paid"] or Decimal("0")
        self.stdout.write(_("状态：%(status)s") % {"status": run.get_status_display()})
        self.stdout.write(_("基本股分红实发：%(amount)s") % {"amount": f"{base_paid:.2f}"})
        self.stdout.write(_("积分激励实发：%(amount)s") % {"amount": run.incentive_paid})
        self.stdout.write(_("未分配留存：%(amount)s") % {"amount": run.remainder})
        self.stdout.write(_("户数：%(count)s") % {"count": run.household_count})
