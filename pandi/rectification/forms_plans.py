"""Forms of the plan pages: they only parse what was typed (numbers, dates, the monthly rows) and say
in Chinese what cannot be read. Whether a plan is complete (R9, R11) is the domain's rule, checked by
the services when the plan is submitted; a draft may be saved incomplete."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

from pandi.domain.dates import add_months
from pandi.domain.rectification import MILESTONES, months_between

from .choices import LinkPurpose, RouteChoices

NUMBER_ERRORS = {"invalid": "请输入数字", "min_value": "不能为负数", "max_digits": "数字过大",
                 "max_decimal_places": "小数位数过多", "max_whole_digits": "数字过大"}
DATE_ERRORS = {"invalid": "日期格式错误，应为 YYYY-MM-DD"}
STEP_FIELDS = ("month", "action", "milestone", "floor_area_m2", "investment_wan")
MAX_STEPS = 60


def _decimal(label: str, *, digits: int = 12) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=digits, decimal_places=2,
                              error_messages=NUMBER_ERRORS,
                              widget=forms.NumberInput(attrs={"step": "any", "min": "0"}))


class PlanForm(forms.Form):
    """The plan's content (all optional in a draft; completeness is checked on submission)."""

    route = forms.ChoiceField(label="整改路径", required=False, choices=[("", "请选择"), *RouteChoices.choices],
                              error_messages={"invalid_choice": "请选择有效的整改路径"})
    route_note = forms.CharField(label="整改路径说明", max_length=200, required=False,
                                 error_messages={"max_length": "整改路径说明不能超过 200 字"})
    measures = forms.CharField(label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    approach = forms.CharField(label="具体做法", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    start = forms.DateField(label="整改开始日期", required=False, error_messages=DATE_ERRORS,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    deadline = forms.DateField(label="整改期限", required=False, error_messages=DATE_ERRORS,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    exception_reason = forms.CharField(label="延期理由", max_length=300, required=False,
                                       help_text="整改期限超过行动规定的整改期时必填",
                                       error_messages={"max_length": "延期理由不能超过 300 字"})
    new_floor_area_m2 = _decimal("新增建筑面积（平方米）")
    far_after = _decimal("整改后容积率", digits=6)
    investment_wan = _decimal("投资额（万元）")
    output_wan = _decimal("预计年产值（万元）")
    tax_wan = _decimal("预计年税收（万元）")
    jobs = forms.IntegerField(label="新增就业（人）", required=False, min_value=0, max_value=10_000_000,
                              error_messages={"invalid": "请输入整数", "min_value": "不能为负数",
                                              "max_value": "数字过大"},
                              widget=forms.NumberInput(attrs={"step": "1", "min": "0"}))
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    BENEFITS = ("new_floor_area_m2", "far_after", "investment_wan", "output_wan", "tax_wan", "jobs")

    def content(self) -> dict[str, Any]:
        """The cleaned content for the services (lock_version left out)."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "lock_version"}
        for k in ("route", "route_note", "measures", "approach", "exception_reason"):
            data[k] = (data.get(k) or "").strip()
        return data


class PlanCreateForm(PlanForm):
    """A new plan: the inventory entries it covers (and, for a township officer, the enterprise)."""

    entries = forms.MultipleChoiceField(label="清单地块", required=True, widget=forms.CheckboxSelectMultiple,
                                        error_messages={"required": "请选择整改方案所针对的清单地块",
                                                        "invalid_choice": "所选清单地块不可新建整改方案"})
    enterprise = forms.ChoiceField(label="整改企业", required=False,
                                   error_messages={"invalid_choice": "所选企业不持有这些地块"})

    def __init__(self, *args: Any, entries: list[Any], holders: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry_objects = {str(e.pk): e for e in entries}
        self.fields["entries"].choices = [(str(e.pk), f"{e.number} {e.label}") for e in entries]
        self.fields["enterprise"].choices = [("", "请选择"), *((str(h.pk), h.name) for h in holders)]

    def chosen_entries(self) -> list[Any]:
        return [self.entry_objects[i] for i in self.cleaned_data.get("entries", [])]


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=30, error_messages={"required": "请选择操作"})
    comment = forms.CharField(label="说明或意见", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"max_length": "意见不能超过 2000 字"})
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class LinkForm(forms.Form):
    purpose = forms.ChoiceField(label="用途", choices=LinkPurpose.choices,
                                error_messages={"required": "请选择链接用途", "invalid_choice": "请选择链接用途"})
    days = forms.IntegerField(label="有效期（天）", min_value=1, max_value=60, initial=14,
                              error_messages={"required": "请填写有效期", "invalid": "有效期应为整数天数",
                                              "min_value": "有效期应为 1–60 天", "max_value": "有效期应为 1–60 天"})


# --- the monthly steps ------------------------------------------------------------------------------

@dataclass
class StepRow:
    """One row of the steps table as typed, with its errors (shown next to the row)."""

    month: str = ""
    action: str = ""
    milestone: str = ""
    floor_area_m2: str = ""
    investment_wan: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        return not any((self.month, self.action, self.milestone, self.floor_area_m2, self.investment_wan))


def _month(text: str) -> date | None:
    text = text.strip()
    try:
        return date.fromisoformat(text if len(text) > 7 else f"{text}-01").replace(day=1)
    except ValueError:
        return None


def _number(text: str) -> Decimal | None:
    try:
        d = Decimal(text.strip().replace(",", "")) if text.strip() else Decimal(0)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def parse_steps(post: Any) -> tuple[list[StepRow], list[dict[str, Any]], bool]:
    """The rows of the steps table from the POSTed parallel lists `step_<field>`: the rows as typed
    (blank rows dropped), the steps for the services, and whether any row has an error."""
    columns = {f: post.getlist(f"step_{f}") for f in STEP_FIELDS}
    n = max((len(v) for v in columns.values()), default=0)
    rows = []
    for i in range(min(n, MAX_STEPS + 1)):
        row = StepRow(**{f: (columns[f][i] if i < len(columns[f]) else "").strip() for f in STEP_FIELDS})
        if not row.blank:
            rows.append(row)
    steps: list[dict[str, Any]] = []
    seen: dict[date, int] = {}
    for i, row in enumerate(rows, 1):
        month = _month(row.month)
        if month is None:
            row.errors.append("请填写月份（YYYY-MM）" if not row.month else f"月份“{row.month}”格式错误，应为 YYYY-MM")
        elif month in seen:
            row.errors.append(f"{month:%Y年%m月}与第 {seen[month]} 行重复")
        else:
            seen[month] = i
        if len(row.action) > 300:
            row.errors.append("实施内容不能超过 300 字")
        if row.milestone not in MILESTONES:
            row.errors.append("请选择有效的节点")
        values = {}
        for f, label in (("floor_area_m2", "计划建筑面积"), ("investment_wan", "计划投资")):
            d = _number(getattr(row, f))
            if d is None:
                row.errors.append(f"{label}“{getattr(row, f)}”不是数字")
            elif d < 0:
                row.errors.append(f"{label}不能为负数")
            elif d >= Decimal(10) ** 10:
                row.errors.append(f"{label}数字过大")
            values[f] = d
        if not row.errors:
            steps.append({"month": month, "action": row.action, "milestone": row.milestone, **values})
    if len(rows) > MAX_STEPS:
        rows[-1].errors.append(f"实施步骤最多 {MAX_STEPS} 个月")
    return rows, steps, any(r.errors for r in rows)


def rows_from_plan(plan: Any) -> list[StepRow]:
    return [StepRow(month=f"{s.month:%Y-%m}", action=s.action, milestone=s.milestone,
                    floor_area_m2=_plain(s.floor_area_m2), investment_wan=_plain(s.investment_wan))
            for s in plan.steps.all()]


def rows_for_period(start: date | None, deadline: date | None, existing: list[StepRow]) -> list[StepRow]:
    """One row per month from start to deadline, keeping what was typed for months already there
    (the server side of the “按起止日期生成月份” button)."""
    if start is None or deadline is None or deadline < start or deadline > add_months(start, MAX_STEPS):
        return existing
    typed = {r.month[:7]: r for r in existing if r.month}
    return [typed.get(f"{m:%Y-%m}") or StepRow(month=f"{m:%Y-%m}") for m in months_between(start, deadline)]


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f") if d else "0"
    return text
