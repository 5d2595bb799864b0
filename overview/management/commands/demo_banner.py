from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from accounts.models import User
from communities.town_demo import LOGINS as TOWN_LOGINS
from pinghu_points import lan
from villages.demo import DEMO_PASSWORD, LOGINS

# Hosts that serve this machine only: a phone cannot reach them.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Hosts that serve every interface: this machine and the phones on its network.
ALL_INTERFACES = {"0.0.0.0", "::"}
RULE = "=" * 72


def role_sees(role):
    # What each demo login opens on: the pages of README's "What it does".
    return {
        User.Role.CITY_ADMIN: _("各镇（街道）总览（只读）、审计记录、管理后台"),
        User.Role.SUBDISTRICT_ADMIN: _("本街道总览、评分、分红、管理后台"),
        User.Role.COMMUNITY_STAFF: _("评分、复核、申诉（本社区住户）"),
        User.Role.ACCOUNTANT: _("本社股东户、名册、分红计算"),
        User.Role.SUPERVISOR: _("本社股东户、分红审批"),
        User.Role.VILLAGER: _("本户积分卡、分红、公示（用股东卡号登录）"),
        User.Role.BANK: _("已授权户的积分与信用等级"),
    }[role]


def banner_lines(*, host, port, lan_addresses):
    """The URLs to open and the demo logins: the last block `make run` prints."""
    if host in ALL_INTERFACES:
        here, phones = "127.0.0.1", list(lan_addresses)
    elif host in LOOPBACK_HOSTS:
        here, phones = host, None
    else:
        here, phones = host, [host]
    lines = [RULE, _("平湖股权分红+善治积分 · 演示（Ctrl-C 停止服务）"), ""]
    lines.append(_("本机浏览器打开：") + f"  http://{here}:{port}/")
    if phones is None:
        lines.append(
            _("手机访问：同一 Wi-Fi 下改用 %(command)s")
            % {"command": f"make run HOST=0.0.0.0 PORT={port}"}
        )
    elif phones:
        for address in phones:
            lines.append(_("同一 Wi-Fi 的手机打开：") + f"  http://{address}:{port}/")
        lines.append(_("手机打不开时：检查本机防火墙是否放行 TCP 端口 %(port)s") % {"port": port})
    else:
        lines.append(_("未找到本机的局域网地址：手机无法访问（本机未联网？）"))
    lines += ["", _("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD}]
    # The town administrators of 独山港镇 and 广陈镇 too (communities/town_demo.py); their
    # villages' staff logins are in the README, to keep the block on one screen.
    logins = [(username, role, description) for username, role, *_s, description in LOGINS]
    logins += [
        (username, role, description)
        for username, role, *_s, description in TOWN_LOGINS
        if role == User.Role.SUBDISTRICT_ADMIN
    ]
    width = max(len(username) for username, *_rest in logins)
    for username, role, description in logins:
        lines.append(f"  {username.ljust(width)}  {description}：{role_sees(role)}")
    lines.append(RULE)
    return lines


class Command(BaseCommand):
    help = (
        "Print the URLs to open (this machine, and phones on the same network when "
        "serving on 0.0.0.0) and the demo logins. `make run` prints it last."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        host = options["host"]
        addresses = lan.lan_ipv4_addresses() if host in ALL_INTERFACES else []
        for line in banner_lines(host=host, port=options["port"], lan_addresses=addresses):
            self.stdout.write(line)
