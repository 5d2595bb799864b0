"""The audit trail as people read it (审计记录): one label per action code, the actor's name
and role, the object as a link and the details as sentences. The one mapping of action
codes to words is ACTION_LABELS; the audit page, its filter and its xlsx export use it.

Records are never changed: this module only reads them.
"""

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pinghu_points.exports import Column, Sheet

from .models import User

ACTION_LABELS = {
    "auth.login": gettext_lazy("登录"),
    "auth.logout": gettext_lazy("退出登录"),
    "auth.login_failed": gettext_lazy("登录失败"),
    "auth.password_changed": gettext_lazy("修改密码"),
    "auth.locked_out": gettext_lazy("账号被锁定"),
    "auth.lockout_lifted": gettext_lazy("解除登录锁定"),
    "user.created": gettext_lazy("新建账号"),
    "user.role_changed": gettext_lazy("变更账号角色"),
    "user.permissions_changed": gettext_lazy("变更账号权限"),
    "user.communities_changed": gettext_lazy("变更所属社区"),
    "villager.password_issued": gettext_lazy("发放村民初始密码"),
    "villager.login_created": gettext_lazy("开通村民账号"),
    "villager.password_reset": gettext_lazy("重置村民密码"),
    "user.password_reset": gettext_lazy("管理员重设账号密码"),
    "score_event.create": gettext_lazy("录入积分"),
    "score_event.reverse": gettext_lazy("冲正积分"),
    "score_event.confirmed": gettext_lazy("确认积分记录"),
    "score_event.rejected": gettext_lazy("驳回积分记录"),
    "month.close": gettext_lazy("月度关账"),
    "month.reopen": gettext_lazy("重新开放月份"),
    "standard.published": gettext_lazy("发布积分标准"),
    "standard.copied": gettext_lazy("复制积分标准"),
    "share.issue": gettext_lazy("登记配股"),
    "share.cancel": gettext_lazy("注销股份"),
    "share.transfer": gettext_lazy("股份转让"),
    "share.inheritance": gettext_lazy("股份继承"),
    "household.import": gettext_lazy("导入股东名册"),
    "town.import": gettext_lazy("导入镇（街道）设置表"),
    "import.retry": gettext_lazy("重新导入（后台中断后再试）"),
    "dividend.create": gettext_lazy("创建分红方案"),
    "dividend.compute": gettext_lazy("计算分红方案"),
    "dividend.approve": gettext_lazy("审批分红方案"),
    "dividend.export": gettext_lazy("导出分红清单"),
    "community.honor_roll_published": gettext_lazy("设置红榜公布"),
    "dividend.retry": gettext_lazy("重新计算分红方案"),
    "dividend_run.paid": gettext_lazy("登记分红已发放"),
    "award.create": gettext_lazy("创建奖励方案"),
    "award.compute": gettext_lazy("计算奖励方案"),
    "award.approve": gettext_lazy("审批奖励方案"),
    "award.export": gettext_lazy("导出奖励清单"),
    "award.retry": gettext_lazy("重新计算奖励方案"),
    "household.visit": gettext_lazy("记录走访"),
    "appeal.filed": gettext_lazy("提出申诉"),
    "appeal.upheld": gettext_lazy("申诉成立"),
    "appeal.rejected": gettext_lazy("申诉不成立"),
    "bank.consent_given": gettext_lazy("授权银行查看积分"),
    "bank.consent_withdrawn": gettext_lazy("撤回银行授权"),
    "bank.lookup": gettext_lazy("银行按身份证号查询"),
    "bank.lookup_blocked": gettext_lazy("银行查询多次未查到，已暂停"),
    "household.number_search": gettext_lazy("按号码搜索股东户"),
    "household.number_search_blocked": gettext_lazy("按号码搜索多次未找到，已暂停"),
    "bank.list": gettext_lazy("银行查看授权名单"),
    "bank.detail": gettext_lazy("银行查看一户"),
    "bank.export": gettext_lazy("银行导出授权名单"),
    "bank.grade_created": gettext_lazy("新增信用等级"),
    "bank.grade_changed": gettext_lazy("修改信用等级"),
    "bank.grade_deleted": gettext_lazy("删除信用等级"),
    "api_token.created": gettext_lazy("创建接口令牌"),
    "api_token.revoked": gettext_lazy("吊销接口令牌"),
    "demo.seeded": gettext_lazy("生成演示数据"),
    "demo.scoring_seeded": gettext_lazy("生成演示积分"),
    # 整改 (docs/rectification.md)
    "rectification.open": gettext_lazy("开启整改"),
    "rectification.inspect": gettext_lazy("整改复查"),
    # 议事 (docs/matters.md): f"matter.{step}"
    "matter.collect": gettext_lazy("议事：收集"),
    "matter.assess": gettext_lazy("议事：研判"),
    "matter.assign": gettext_lazy("议事：交办"),
    "matter.handle": gettext_lazy("议事：办理"),
    "matter.track": gettext_lazy("议事：跟踪"),
    "matter.feedback": gettext_lazy("议事：反馈"),
}

# The words for the detail keys the services write; anything else shows its key.
DETAIL_LABELS = {
    "username": gettext_lazy("账号"),
    "ip_address": gettext_lazy("来源地址"),
    "failures": gettext_lazy("失败次数"),
    "attempts_deleted": gettext_lazy("清除的失败记录"),
    "attempts_lifted": gettext_lazy("解除的失败记录"),
    "locked": gettext_lazy("开始锁定"),
    "before": gettext_lazy("变更前"),
    "after": gettext_lazy("变更后"),
    "role": gettext_lazy("角色"),
    "cooperative_id": gettext_lazy("合作社"),
    "household_id": gettext_lazy("股东户"),
    "town_id": gettext_lazy("镇（街道）"),
    "is_staff": gettext_lazy("可进管理后台"),
    "is_superuser": gettext_lazy("超级管理员"),
    "is_active": gettext_lazy("账号有效"),
    "communities": gettext_lazy("社区"),
    "relation": gettext_lazy("类型"),
    "change": gettext_lazy("变动"),
    "ids": gettext_lazy("编号"),
    "card_number": gettext_lazy("股东卡号"),
    "created": gettext_lazy("新建"),
    "replaced": gettext_lazy("被替换的密码"),
    "channel": gettext_lazy("途径"),
    "with_password": gettext_lazy("随发放密码解除"),
    "found": gettext_lazy("查到"),
    "misses": gettext_lazy("未查到次数"),
    "hours": gettext_lazy("时段（小时）"),
    "until": gettext_lazy("暂停到"),
    "id_number": gettext_lazy("身份证号"),
    "number": gettext_lazy("号码"),
    "batch": gettext_lazy("批次"),
    "source": gettext_lazy("来源"),
    "count": gettext_lazy("条数"),
    "events": gettext_lazy("积分记录编号"),
    "points": gettext_lazy("分值"),
    "reverses": gettext_lazy("被冲正的记录编号"),
    "reason": gettext_lazy("原因"),
    "month": gettext_lazy("月份"),
    "year": gettext_lazy("年度"),
    "base_points": gettext_lazy("基础分"),
    "from": gettext_lazy("来自"),
    "to": gettext_lazy("转入"),
    "share_class": gettext_lazy("股种"),
    "quantity": gettext_lazy("股数"),
    "effective_on": gettext_lazy("生效日期"),
    "transfer_group": gettext_lazy("转让编号"),
    "file": gettext_lazy("文件"),
    "villages": gettext_lazy("行政村数"),
    "cooperatives": gettext_lazy("合作社数"),
    "micro_grids": gettext_lazy("微网格数"),
    "leader_logins": gettext_lazy("网格长账号数"),
    "total": gettext_lazy("可分配总额"),
    "base_pool": gettext_lazy("基本股分红池"),
    "incentive_pool": gettext_lazy("积分激励池"),
    "policy": gettext_lazy("激励分配办法"),
    "parameters": gettext_lazy("分配参数"),
    "record_date": gettext_lazy("股权登记日"),
    "households": gettext_lazy("户数"),
    "base_paid": gettext_lazy("实发基本股分红"),
    "incentive_paid": gettext_lazy("实发积分激励"),
    "remainder": gettext_lazy("留存"),
    "created_by": gettext_lazy("创建人"),
    "approved_by": gettext_lazy("审批人"),
    "four_eyes": gettext_lazy("双人审核"),
    "kind": gettext_lazy("类型"),
    "format": gettext_lazy("格式"),
    "households_per_cooperative": gettext_lazy("每社户数"),
    "min_score": gettext_lazy("最低积分"),
    "veto": gettext_lazy("一票否决"),
    "tiers": gettext_lazy("档次"),
    "period": gettext_lazy("期间"),
    "pool": gettext_lazy("奖励金总额"),
    "paid": gettext_lazy("实发奖励"),
    "categories": gettext_lazy("计分类别"),
    "item_codes": gettext_lazy("计分项目"),
    "recipients": gettext_lazy("发放对象"),
    "step": gettext_lazy("环节"),
    "outcome": gettext_lazy("结论"),
    "state": gettext_lazy("状态"),
    "note": gettext_lazy("说明"),
    "micro_grid": gettext_lazy("微网格编号"),
    # Issue 24.5: every key the services write has its words (tests/accounts/
    # test_audit_details.py collects them from the code).
    "household": gettext_lazy("股东户"),
    "event": gettext_lazy("积分记录"),
    "line": gettext_lazy("分红明细"),
    "reversal": gettext_lazy("冲正记录"),
    "answer": gettext_lazy("答复"),
    "photo": gettext_lazy("附照片"),
    "bank": gettext_lazy("银行"),
    "starts_on": gettext_lazy("授权开始日期"),
    "ends_on": gettext_lazy("授权结束日期"),
    "form_photo": gettext_lazy("纸质授权书照片"),
    "scope": gettext_lazy("范围"),
    "user": gettext_lazy("账号"),
    "grade": gettext_lazy("信用等级"),
    "amount": gettext_lazy("授信额度"),
    "paid_on": gettext_lazy("发放日期"),
    "visited_on": gettext_lazy("走访日期"),
    "status": gettext_lazy("原状态"),
    "attempts": gettext_lazy("已尝试次数"),
    "members": gettext_lazy("户成员数"),
    "share_movements": gettext_lazy("股权登记条数"),
    "unknown_username": gettext_lazy("输入的账号（不存在，只记指纹）"),
    "typed_length": gettext_lazy("输入的字数"),
    "preview": gettext_lazy("预览"),
    "rectification": gettext_lazy("整改"),
    "rectifications": gettext_lazy("整改"),
    "deduction": gettext_lazy("扣分记录"),
    "result": gettext_lazy("复查结果"),
    "earn_back": gettext_lazy("返还积分记录"),
}

# Keys whose values are household ids: shown as the households' numbers.
HOUSEHOLD_KEYS = {"household_id", "household", "households"}

# Coded values, per key, in words (a code not listed shows as itself).
VALUE_LABELS = {
    "channel": {
        "card": gettext_lazy("村民在积分卡上"),
        "desk": gettext_lazy("社区窗口（纸质授权书）"),
        "admin": gettext_lazy("管理后台"),
    },
    "kind": {
        "register": gettext_lazy("股东名册"),
        "score_events": gettext_lazy("积分检查表"),
        "bank": gettext_lazy("银行代发清单"),
        "notice": gettext_lazy("分红公示"),
    },
    "format": {"xlsx": "Excel (xlsx)", "csv": "CSV"},
    "scope": {
        "user": gettext_lazy("以某个账号的身份"),
        "bank": gettext_lazy("以银行的身份"),
    },
    "relation": {"groups": gettext_lazy("用户组"), "permissions": gettext_lazy("权限")},
    "change": {
        "add": gettext_lazy("增加"),
        "remove": gettext_lazy("去掉"),
        "clear": gettext_lazy("全部去掉"),
    },
    "result": {
        "on_time": gettext_lazy("按期整改"),
        "late": gettext_lazy("逾期整改"),
        "not_rectified": gettext_lazy("未整改"),
    },
    # 议事 (matters.services._step): the step, its outcome and the state after it.
    "step": {
        "collect": gettext_lazy("收集"),
        "assess": gettext_lazy("研判"),
        "assign": gettext_lazy("交办"),
        "handle": gettext_lazy("办理"),
        "track": gettext_lazy("跟踪"),
        "feedback": gettext_lazy("反馈"),
    },
    "outcome": {
        "accepted": gettext_lazy("受理"),
        "merged": gettext_lazy("合并"),
        "declined": gettext_lazy("不予受理"),
        "solved": gettext_lazy("村民：已解决"),
        "not_solved": gettext_lazy("村民：未解决"),
    },
    "state": {
        "collected": gettext_lazy("待研判"),
        "accepted": gettext_lazy("已受理，待交办"),
        "merged": gettext_lazy("已合并"),
        "declined": gettext_lazy("不予受理"),
        "assigned": gettext_lazy("已交办"),
        "in_hand": gettext_lazy("办理中"),
        "reported": gettext_lazy("已反馈"),
    },
    "status": {
        "queued": gettext_lazy("排队中"),
        "running": gettext_lazy("进行中"),
        "failed": gettext_lazy("失败"),
        "done": gettext_lazy("已完成"),
    },
}


SOURCE_LABELS = {
    "batch": gettext_lazy("批量录入"),
    "import": gettext_lazy("导入检查表"),
    "api": gettext_lazy("接口"),
    "demo": gettext_lazy("演示数据"),
}


def action_label(code):
    """The action in words; an unknown code (a future one) shows as itself."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def action_choices(codes):
    """[(code, label)] for the filter, by label."""
    return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])


def _value(value):
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return "、".join(_value(item) for item in value) if value else "—"
    if isinstance(value, dict):
        return "，".join(f"{_key(key)} {_value(item)}" for key, item in value.items())
    if isinstance(value, str) and value in User.Role.values:
        return str(User.Role(value).label)
    return str(value)


def _coded(key, value, numbers):
    """A value in words: household ids as numbers, codes by VALUE_LABELS, else _value."""
    if key in HOUSEHOLD_KEYS and value not in (None, "", []):
        ids = value if isinstance(value, list) else [value]
        if all(isinstance(pk, int) for pk in ids):
            if key == "households" and not isinstance(value, list):
                return str(value)  # a count (dividend runs), not an id
            return "、".join(numbers.get(pk, _("（已删除）")) for pk in ids) or "—"
    labels = VALUE_LABELS.get(key, {})
    if isinstance(value, str) and value in labels:
        return str(labels[value])
    if key in ("event", "line", "reversal") and isinstance(value, int):
        return f"#{value}"
    return _value(value)


def household_numbers(records):
    """{household id: number} for every household id in the records' details (one query)."""
    from villages.models import Household

    ids = set()
    for record in records:
        details = record.details if isinstance(record.details, dict) else {}
        for snapshot in (details.get("before"), details.get("after")):
            if isinstance(snapshot, dict) and isinstance(snapshot.get("household_id"), int):
                ids.add(snapshot["household_id"])
        for key in HOUSEHOLD_KEYS:
            value = details.get(key)
            values = value if isinstance(value, list) else [value]
            if key == "households" and not isinstance(value, list):
                continue
            ids.update(pk for pk in values if isinstance(pk, int))
    return dict(Household.objects.filter(pk__in=ids).values_list("pk", "number"))


def _key(key):
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key


def _changes(before, after, numbers):
    """What differs between two snapshots, as "key: old → new" parts; the household and
    the cooperative by their number and name."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    keys += [key for key in before if key not in after]
    return [
        _("%(field)s由「%(old)s」改为「%(new)s」")
        % {
            "field": _key(key),
            "old": _snapshot_value(key, before.get(key), numbers),
            "new": _snapshot_value(key, after.get(key), numbers),
        }
        for key in keys
    ]


def _snapshot_value(key, value, numbers):
    if key == "cooperative_id" and isinstance(value, int):
        from villages.models import Cooperative

        name = Cooperative.objects.filter(pk=value).values_list("name", flat=True).first()
        return name or _("（已删除）")
    if key == "town_id" and isinstance(value, int):
        from villages.models import Town

        return Town.objects.filter(pk=value).values_list("name", flat=True).first() or _(
            "（已删除）"
        )
    return _coded(key, value, numbers)


def detail_sentences(record, numbers=None):
    """The record's details as a list of short sentences, never a Python dict, never a
    key or an id: `numbers` ({household id: number}, `household_numbers`) names the
    households (looked up here when not given)."""
    if numbers is None:
        numbers = household_numbers([record])
    details = record.details or {}
    if not isinstance(details, dict):
        return [_value(details)]
    d = details
    action = record.action
    if action in ("user.role_changed", "user.created") and "after" in d:
        parts = _changes(d.get("before") or {}, d.get("after") or {}, numbers)
        return parts or [_("没有变化")]
    if action == "score_event.create":
        return [
            _("共 %(count)s 条记录，合计 %(points)s 分（来源：%(source)s）")
            % {
                "count": d.get("count", "—"),
                "points": d.get("points", "—"),
                "source": str(SOURCE_LABELS.get(d.get("source"), _value(d.get("source")))),
            }
        ]
    if action == "score_event.reverse":
        return [
            _("冲正记录 %(event)s，分值 %(points)s，原因：%(reason)s")
            % {
                "event": d.get("reverses", "—"),
                "points": d.get("points", "—"),
                "reason": _value(d.get("reason")),
            }
        ]
    if action in ("month.close", "month.reopen"):
        sentence = _("月份：%(month)s") % {"month": d.get("month", "—")}
        if d.get("reason"):
            sentence += _("，原因：%(reason)s") % {"reason": d["reason"]}
        return [sentence]
    if action in ("share.transfer", "share.inheritance"):
        return [
            _(
                "%(quantity)s 股%(share_class)s由 %(source)s 户转入 %(target)s 户，%(date)s 生效，原因：%(reason)s"
            )
            % {
                "quantity": d.get("quantity", "—"),
                "share_class": d.get("share_class", ""),
                "source": d.get("from", "—"),
                "target": d.get("to", "—"),
                "date": d.get("effective_on", "—"),
                "reason": _value(d.get("reason")),
            }
        ]
    if action == "community.honor_roll_published":
        return [_("向村民公布红榜") if d.get("after") else _("停止向村民公布红榜")]
    if action.startswith("appeal."):
        return _appeal_sentences(d, numbers)
    return [_line(key, value, numbers) for key, value in d.items()]


def _line(key, value, numbers):
    # A list under "households" is the households seen (bank reads), not a count.
    label = _("股东户") if key == "households" and isinstance(value, list) else _key(key)
    return f"{label}：{_coded(key, value, numbers)}"


def _appeal_sentences(d, numbers):
    household = _coded("household_id", d.get("household_id"), numbers)
    if d.get("event"):
        what = _("积分记录 #%(id)s") % {"id": d["event"]}
    elif d.get("line"):
        what = _("分红明细 #%(id)s") % {"id": d["line"]}
    else:
        what = "—"
    sentences = [
        _("股东户 %(household)s 对%(what)s的申诉") % {"household": household, "what": what}
    ]
    if "photo" in d:
        sentences.append(_("附照片") if d["photo"] else _("未附照片"))
    if d.get("reversal"):
        sentences.append(_("已冲正，冲正记录 #%(id)s") % {"id": d["reversal"]})
    if d.get("answer"):
        sentences.append(_("答复：%(answer)s") % {"answer": d["answer"]})
    return sentences


def actor_name(record):
    if record.actor is not None:
        # Chinese order, family name first and no space: 周晓东.
        name = f"{record.actor.last_name}{record.actor.first_name}".strip()
        return name or record.actor.get_username()
    return record.actor_username or _("系统")


def actor_role(record):
    return str(record.actor.role_label or "") if record.actor is not None else ""


def object_links(records):
    """{record.pk: url or None} for a page of records: one query for score events."""
    from communities.models import ScoreEvent

    event_ids = [
        int(record.object_id)
        for record in records
        if record.object_type == "communities.ScoreEvent" and record.object_id.isdigit()
    ]
    event_households = dict(
        ScoreEvent.objects.filter(pk__in=event_ids).values_list("pk", "household_id")
    )
    links = {}
    for record in records:
        links[record.pk] = _object_url(record, event_households)
    return links


def _object_url(record, event_households):
    if not record.object_id.isdigit():
        return None
    pk = int(record.object_id)
    if record.object_type == "villages.Household":
        return reverse("villages:household_detail", args=[pk])
    if record.object_type == "communities.ScoreEvent":
        household = event_households.get(pk)
        return reverse("communities:household_points", args=[household]) if household else None
    if record.object_type == "dividends.DividendRun":
        return reverse("dividends:run_detail", args=[pk])
    if record.object_type == "awards.AwardRun":
        return reverse("awards:run_detail", args=[pk])
    if record.object_type == "matters.Matter":
        return reverse("matters:detail", args=[pk])
    if "." not in record.object_type:
        return None
    app_label, model = record.object_type.lower().split(".", 1)
    try:
        return reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:
        return None


def readable(records):
    """[{record, action, actor, role, url, details}] for a page of records."""
    records = list(records)
    links = object_links(records)
    numbers = household_numbers(records)
    return [
        {
            "record": record,
            "action": action_label(record.action),
            "actor": actor_name(record),
            "role": actor_role(record),
            "url": links[record.pk],
            "details": detail_sentences(record, numbers),
        }
        for record in records
    ]


def audit_sheet(rows):
    """The audit download (`readable` rows) as a sheet for `pinghu_points.exports`."""
    columns = [
        Column(_("时间"), width=20),
        Column(_("操作人")),
        Column(_("角色")),
        Column(_("操作人账号")),
        Column(_("来源地址"), width=16),
        Column(_("操作"), width=16),
        Column(_("对象"), width=20),
        Column(_("详情"), width=40),
    ]
    lines = [
        [
            timezone.localtime(row["record"].at).strftime("%Y-%m-%d %H:%M:%S"),
            row["actor"],
            row["role"],
            row["record"].actor_username,
            row["record"].ip_address or "",
            row["action"],
            row["record"].object_repr,
            "；".join(str(detail) for detail in row["details"]),
        ]
        for row in rows
    ]
    return Sheet(title=_("审计记录"), columns=columns, rows=lines)
