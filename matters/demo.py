"""The demo's matters (议事, docs/matters.md): a few in each step, one declined, one merged,
at 广陈镇龙萌村's 连心议站 in its third micro-grid (`communities.town_demo.riverbank_grid`,
led by 张桂明, `staff_longmeng`: the 坟浜 riverbank of the newspaper), a Tongjie villager's
street lamp and two in 东湖社区's first grid. Every step goes through `matters.services`,
dated over the past weeks with `services.steps_dated`; the grids get the demo's staff
logins as their leaders (only where a grid has none). Idempotent: nothing if the riverbank
matter exists. Called by `seed_demo` after the town demo (overview/management/commands).
"""

from collections import Counter
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from communities.models import Community, MicroGrid
from communities.town_demo import riverbank_grid
from villages.models import Household

from . import services
from .models import Matter

RIVERBANK = "坟浜河岸杂草丛生，岸坡塌了一段，小孩在边上玩很危险"
OFFICE = "镇水利站"


def _at(today, days_ago, hour=10):
    return timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(hour)))


class _Story:
    """Steps of one matter, each `days_ago` before today, through the services."""

    def __init__(self, today, leader):
        self.today, self.leader = today, leader

    def record(self, days, *, grid, text, place="", household=None, actor=None):
        with services.steps_dated(_at(self.today, days)):
            return services.matter_record(
                actor=actor or self.leader,
                micro_grid=None if actor and actor.is_villager else grid,
                household=None if actor and actor.is_villager else household,
                text=text,
                place=place,
            )

    def step(self, days, function, **kwargs):
        with services.steps_dated(_at(self.today, days, hour=15)):
            return function(actor=kwargs.pop("actor", self.leader), **kwargs)

    def assign(self, days, matter, *, due_in, community=None, office=""):
        self.step(days, services.matter_assess, matter=matter, decision="accepted")
        return self.step(
            days,
            services.matter_assign,
            matter=matter,
            community=community,
            office=office,
            due_on=self.today - timedelta(days=days - due_in),
        )


def _lead(grid, username):
    """The demo login `username` leads `grid`, unless the grid has a leader already."""
    user = User.objects.filter(username=username, is_active=True).first()
    if grid is not None and user is not None and grid.leader_id is None:
        MicroGrid.objects.filter(pk=grid.pk).update(leader=user)
        grid.leader = user
    return grid.leader if grid is not None else None


def seed_matters_demo(*, stdout=None, today=None):
    today = today or timezone.localdate()
    created = Counter()
    grid = riverbank_grid()
    if grid is None or Matter.objects.filter(text=RIVERBANK).exists():
        return created
    with transaction.atomic():
        leader = _lead(grid, "staff_longmeng")
        villager = User.objects.filter(username="TONGJIE-0001", is_active=True).first()
        if leader is None:
            return created
        committee = grid.community
        households = list(Household.objects.filter(micro_grid=grid).order_by("number")[:3])
        first = households[0] if households else None
        second = households[1] if len(households) > 1 else None
        story = _Story(today, leader)
        # 坟浜: raised at the 议站, reported to the village committee, inspected on site,
        # discussed, the works followed, the result told back — on time.
        river = story.record(
            60, grid=grid, text=RIVERBANK, place="坟浜河边（第三微网格）", household=first
        )
        story.assign(59, river, due_in=40, community=committee)
        story.step(50, services.matter_track, matter=river, note="现场察看：岸坡塌了约十米")
        story.step(
            45, services.matter_progress, matter=river, note="村委会议定：清除杂草、石块护岸"
        )
        story.step(30, services.matter_track, matter=river, note="跟踪施工，护岸已完成一半")
        story.step(
            25, services.matter_report_back, matter=river, result="杂草已清除，岸坡已用石块加固"
        )
        # The same riverbank, raised again by a neighbour: merged into the first.
        again = story.record(58, grid=grid, text="坟浜河边岸坡塌了", household=second)
        story.step(58, services.matter_assess, matter=again, decision="merged", merge_into=river)
        # Declined, with the reason the villager sees.
        noise = story.record(40, grid=grid, text="隔壁晚上打麻将太吵", household=second)
        story.step(
            39,
            services.matter_assess,
            matter=noise,
            decision="declined",
            reason="属邻里纠纷，不是议站的公共事项：请找村调解委员会调解",
        )
        # Late: the office reported after its due date.
        road = story.record(35, grid=grid, text="村口路面坑洼，下雨积水", place="村口")
        story.assign(34, road, due_in=14, office=OFFICE.replace("水利", "交通"))
        story.step(25, services.matter_progress, matter=road, note="已报镇交通办，等排期")
        story.step(12, services.matter_report_back, matter=road, result="路面已修补")
        # Overdue, in hand: on the to-do lists.
        bins = story.record(16, grid=grid, text="垃圾桶不够，周末满出来", household=first)
        story.assign(15, bins, due_in=10, community=committee)
        story.step(10, services.matter_progress, matter=bins, note="已申请增加两个分类桶")
        # Accepted, still to be assigned; and one just raised, waiting to be assessed.
        branches = story.record(4, grid=grid, text="路边树枝挡住了路灯", place="河埭路")
        story.step(3, services.matter_assess, matter=branches, decision="accepted")
        story.record(2, grid=grid, text="井盖松动，踩上去响", place="3 号楼前")
        created["matters"] += 7
        # A villager on the card: the street lamp, reported back and marked solved.
        # Tongjie's grid leader handles it.
        tongjie = None
        if villager is not None and villager.household.micro_grid_id:
            tongjie = _lead(villager.household.micro_grid, "staff_tongjie")
        if tongjie is not None:
            card = _Story(today, tongjie)
            lamp = card.record(30, grid=None, text="家门口路灯不亮", actor=villager)
            card.assign(29, lamp, due_in=10, community=villager.household.community)
            card.step(27, services.matter_progress, matter=lamp, note="电工已换灯泡")
            card.step(26, services.matter_report_back, matter=lamp, result="路灯已修好")
            lamp.refresh_from_db()
            card.step(
                25, services.matter_villager_verdict, matter=lamp, solved=True, actor=villager
            )
            created["matters"] += 1
        # 东湖社区, first micro-grid: one on time, one assigned.
        donghu = MicroGrid.objects.filter(community__code="DONGHU").order_by("code").first()
        staff = _lead(donghu, "staff_donghu")
        if staff is not None:
            east = _Story(today, staff)
            light = east.record(20, grid=donghu, text="楼道灯坏了，晚上看不见")
            east.assign(19, light, due_in=7, community=Community.objects.get(code="DONGHU"))
            east.step(17, services.matter_progress, matter=light, note="物业已更换")
            east.step(16, services.matter_report_back, matter=light, result="楼道灯已修好")
            weeds = east.record(5, grid=donghu, text="小区绿化带杂草很高", place="东门绿化带")
            east.assign(4, weeds, due_in=14, office="物业公司")
            created["matters"] += 2
    if stdout is not None and created:
        stdout.write(f"议事演示数据已生成：{created['matters']} 件")
    return created
