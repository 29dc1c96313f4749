"""The form that starts a screening run. It checks what a person can get wrong (the date, the
numbers) with a clear Chinese message next to the field; the ranges are the domain's own
(`ScreeningParams.from_values`), and the service checks them again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from pandi.domain.screening import ParameterError, ScreeningParams

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"]
EARLIEST, LATEST = date(1980, 1, 1), date(2099, 12, 31)

# the field each parameter's label (as the domain names it in its messages) belongs to
PARAM_FIELDS = {
    "区级清单面积门槛": "district_min_mu",
    "乡镇连片面积门槛": "township_min_mu",
    "连片容差": "contiguity_tolerance_m",
    "最小可建宽度": "min_width_m",
}


def _plain(value: Decimal | float | int | None) -> str:
    """20.00 -> "20", 1.50 -> "1.5": numbers as a person would type them."""
    if value is None:
        return ""
    d = Decimal(str(value)).normalize()
    return f"{d:f}"


def _number(label: str, help_text: str, *, required: bool = True, placeholder: str = "") -> forms.CharField:
    attrs = {"inputmode": "decimal", "autocomplete": "off"}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.CharField(label=label, required=required, help_text=help_text, max_length=20,
                           widget=forms.TextInput(attrs=attrs),
                           error_messages={"required": f"请填写{label}", "max_length": f"{label}的值太长"})


class RunForm(forms.Form):
    as_of = forms.DateField(
        label="判断日期", input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "请填写判断日期",
                        "invalid": "判断日期格式不对，请按“年-月-日”填写，例如 2021-04-30"},
        help_text="按这一天的情况判断每宗地的状态：动工期限是否已过、超期多少天、是否闲置满一年，都以这一天计算。"
                  "正式排摸通常取行动的排摸清单截止日期。")
    district_min_mu = _number(
        "区级清单门槛（亩）",
        "超过约定动工日期仍未动工（含闲置满一年）、面积达到这个亩数的宗地列入区级清单。行动方案定为 20 亩。")
    township_min_mu = _number(
        "乡镇连片门槛（亩）",
        "企业已取得但没有建设的工业用地，扣除已有建筑后连成一片的空闲部分达到这个亩数，列入所在乡镇（街道）的连片空闲地块清单。"
        "行动方案定为原则上 5 亩。")
    contiguity_tolerance_m = _number(
        "连片容差（米）",
        "两块空闲地相距不超过这个距离就算连在一起，用来消除测绘图形之间的细小缝隙；"
        "被道路隔开的地块不算连片。一般取 1 米。")
    include_stalled = forms.BooleanField(
        label="区级清单含中止开发（待核定）", required=False,
        help_text="已动工但开发面积不足三分之一或投资不足四分之一、且停工满一年的宗地，依《闲置土地处置办法》第二条第二款"
                  "“可以认定”为闲置，须由人工核定。勾选后这些宗地也列入区级清单。")
    min_width_m = _number(
        "最小可建宽度（米）",
        "窄于这个宽度、建不了厂房的狭长空闲部分先去掉，再计算连片面积。留空表示不限。",
        required=False, placeholder="不限")
    note = forms.CharField(
        label="说明", required=False, max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "例如：4 月底正式排摸"}),
        error_messages={"max_length": "说明不能超过 200 字"},
        help_text="写明这次筛查的用途，方便以后在筛查列表中辨认。")

    def __init__(self, *args: Any, campaign: Any = None, today: date | None = None, **kwargs: Any):
        if not args or args[0] is None:
            kwargs.setdefault("initial", self.defaults(campaign=campaign, today=today))
        super().__init__(*args, **kwargs)

    @staticmethod
    def defaults(*, campaign: Any, today: date | None) -> dict[str, Any]:
        base = ScreeningParams()
        return {
            "as_of": (campaign.survey_deadline if campaign and campaign.survey_deadline else today or date.today()),
            "district_min_mu": _plain(campaign.district_list_min_mu if campaign else base.district_min_mu),
            "township_min_mu": _plain(campaign.township_list_min_mu if campaign else base.township_min_mu),
            "contiguity_tolerance_m": _plain(base.contiguity_tolerance_m),
            "include_stalled": base.include_stalled,
            "min_width_m": "",
        }

    def clean_as_of(self) -> date:
        value = self.cleaned_data["as_of"]
        if not (EARLIEST <= value <= LATEST):
            raise forms.ValidationError(
                f"判断日期 {value:%Y-%m-%d} 不合理，请填写 {EARLIEST.year}—{LATEST.year} 年之间的日期")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if any(name in self.errors for name in PARAM_FIELDS.values()):
            return data
        try:
            ScreeningParams.from_values(self.values())
        except ParameterError as e:
            message = str(e)
            field = next((f for label, f in PARAM_FIELDS.items() if label in message), None)
            self.add_error(field, message)
        return data

    def values(self) -> dict[str, Any]:
        """The parameters as the service takes them (`run_execute(values=...)`)."""
        d = self.cleaned_data
        return {
            "district_min_mu": (d.get("district_min_mu") or "").strip(),
            "township_min_mu": (d.get("township_min_mu") or "").strip(),
            "contiguity_tolerance_m": (d.get("contiguity_tolerance_m") or "").strip(),
            "include_stalled": bool(d.get("include_stalled")),
            "min_width_m": (d.get("min_width_m") or "").strip(),
        }
