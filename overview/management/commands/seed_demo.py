from django.core.management.base import BaseCommand, CommandError

from awards.demo import seed_award_demo
from banking.demo import seed_bank_demo
from communities.demo import seed_rectification_demo, seed_scoring_demo
from communities.town_demo import seed_town_demo
from dividends.demo import seed_dividend_demo
from matters.demo import seed_matters_demo
from villages.demo import SMALL_HOUSEHOLDS_PER_COOPERATIVE, seed_demo


class Command(BaseCommand):
    help = (
        "Build the demo city of the newspaper page: 当湖街道 (18 villages and cooperatives, "
        "10 dissolved, 16 urban communities, micro-grids, ~3,500 households), 独山港镇 and "
        "广陈镇 (five villages), and one login per role. Idempotent: a second run creates "
        "nothing."
    )

    def add_arguments(self, parser):
        size = parser.add_mutually_exclusive_group()
        size.add_argument(
            "--small",
            action="store_true",
            help=f"only {SMALL_HOUSEHOLDS_PER_COOPERATIVE} households per cooperative (fast, for tests)",
        )
        size.add_argument(
            "--households-per-cooperative",
            type=int,
            metavar="N",
            help="build N households in every cooperative instead of the demo counts",
        )

    def handle(self, *args, **options):
        per_cooperative = options["households_per_cooperative"]
        if options["small"]:
            per_cooperative = SMALL_HOUSEHOLDS_PER_COOPERATIVE
        # --verbosity 0 (`make run`): nothing; demo_banner prints the logins last.
        stdout = self.stdout if options["verbosity"] > 0 else None
        try:
            seed_demo(stdout=stdout, households_per_cooperative=per_cooperative)
        except ValueError as error:
            raise CommandError(str(error)) from error
        # Standards and a year of points, then Tongjie's published 2019 dividend.
        seed_scoring_demo(stdout=stdout)
        seed_dividend_demo(stdout=stdout)
        # 善治金融: household TONGJIE/0001 consents to the bank (banking/demo.py).
        seed_bank_demo(stdout=stdout)
        # 独山港镇韩家庙村's monthly award fund (awards/demo.py).
        seed_award_demo(stdout=stdout)
        # The rest of the newspaper's towns: 独山港镇 and 广陈镇 (communities/town_demo.py).
        seed_town_demo(stdout=stdout)
        # 议事 in each step and 整改 on time / late / never (matters/demo.py, communities/demo.py).
        seed_matters_demo(stdout=stdout)
        seed_rectification_demo(stdout=stdout)
