"""Forms for the land registry pages. Plain forms built from the model fields: they check what a
person can get wrong with a clear Chinese message, and hand a dict to the services, which
validate again, check permission and scope, save and audit."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db import models
from django.forms.models import fields_for_model, model_to_dict
from django.utils import timezone

from pandi.accounts.selectors import township_list
from pandi.core.scope import access_for
from pandi.domain.uscc import normalise_uscc, uscc_problem

from .choices import HoldingRole, IdleCause
from .models import ConstructionFacts, Enterprise, Holding, Parcel, StandardLandConditions, SupplyContract
from .services import CONSTRUCTION_FIELDS, CONTRACT_FIELDS, ENTERPRISE_FIELDS, PARCEL_FIELDS, STANDARD_FIELDS


def _widgets(model: type[models.Model], fields: tuple[str, ...]) -> dict[str, forms.Widget]:
    widgets: dict[str, forms.Widget] = {}
    for name in fields:
        f = model._meta.get_field(name)
        if isinstance(f, models.DateField):
            widgets[name] = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        elif isinstance(f, models.TextField):
            widgets[name] = forms.Textarea(attrs={"rows": 3})
    return widgets


class RecordForm(forms.Form):
    """A form for some fields of a model, filled from an instance; `data_for_service()` gives the
    dict the service takes."""

    model: type[models.Model]
    field_names: tuple[str, ...]

    def __init__(self, *args: Any, user: Any = None, instance: models.Model | None = None, **kwargs: Any):
        self.user = user
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = model_to_dict(instance, fields=self.field_names)
        super().__init__(*args, **kwargs)

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.field_names if name in self.cleaned_data}

    def changed_data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.field_names if name in self.changed_data}


def record_form(model: type[models.Model], field_names: tuple[str, ...], base: type = RecordForm) -> type:
    """A RecordForm class with the model's own fields (labels, choices, lengths, help texts)."""
    fields = fields_for_model(model, fields=list(field_names), widgets=_widgets(model, field_names))
    attrs: dict[str, Any] = {**fields, "model": model, "field_names": field_names,
                             "__module__": __name__}
    return type(f"{model.__name__}BaseForm", (base,), attrs)


def _limit_townships(form: RecordForm, field: str = "township") -> None:
    """Township choices: only those the user can see; required unless the user is district-wide."""
    if field not in form.fields:
        return
    form.fields[field].queryset = township_list(user=form.user)
    if form.user is not None and not access_for(form.user).scope.district:
        form.fields[field].required = True
        form.fields[field].empty_label = None


def _check_order(form: forms.Form, low: str, high: str, message: str) -> None:
    a, b = form.cleaned_data.get(low), form.cleaned_data.get(high)
    if a is not None and b is not None and b < a:
        form.add_error(high, message)


# --- parcel --------------------------------------------------------------------------------

PARCEL_FORM_FIELDS = tuple(f for f in PARCEL_FIELDS if f != "import_batch")


class ParcelForm(record_form(Parcel, PARCEL_FORM_FIELDS)):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _limit_townships(self)
        self.fields["area_m2"].help_text = "1 亩 = 666.67 平方米；按边界计算的面积在重新导入边界时会被覆盖"

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip()

    def clean_supervision_no(self) -> str:
        return (self.cleaned_data.get("supervision_no") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "code" in data and "supervision_no" in data and not data["code"] and not data["supervision_no"]:
            self.add_error("code", "宗地编号和电子监管号至少填写一项")
        return data


# --- holders -------------------------------------------------------------------------------

class HoldingAddForm(forms.Form):
    enterprise = forms.ModelChoiceField(label="企业", queryset=Enterprise.objects.none(),
                                        help_text="列表中没有的企业，请先在“企业”中新建")
    role = forms.ChoiceField(label="身份", choices=HoldingRole.choices, initial=HoldingRole.RIGHT_HOLDER)
    share = forms.DecimalField(label="份额（%）", required=False, min_value=0, max_value=100, max_digits=5,
                               decimal_places=2)
    start = forms.DateField(label="起始日期", required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, user: Any = None, parcel: Parcel | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user, self.parcel = user, parcel
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        enterprise, role = data.get("enterprise"), data.get("role")
        if enterprise and role and self.parcel is not None and Holding.objects.filter(
                parcel=self.parcel, enterprise=enterprise, role=role, is_current=True).exists():
            self.add_error("enterprise", f"“{enterprise}”已是本宗地现行的{HoldingRole(role).label}")
        return data

    def data_for_service(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("share", "start") if self.cleaned_data.get(k) is not None}


class HoldingEndForm(forms.Form):
    end = forms.DateField(label="终止日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, holding: Holding, **kwargs: Any):
        kwargs.setdefault("initial", {"end": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.holding = holding

    def clean_end(self) -> date:
        end = self.cleaned_data["end"]
        if self.holding.start and end < self.holding.start:
            raise forms.ValidationError(f"终止日期不能早于起始日期（{self.holding.start:%Y-%m-%d}）")
        return end


# --- supply contract ----------------------------------------------------------------------

CONTRACT_FORM_FIELDS = tuple(f for f in CONTRACT_FIELDS if f != "import_batch")


class ContractForm(record_form(SupplyContract, CONTRACT_FORM_FIELDS)):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_order(self, "far_min", "far_max", "约定容积率上限不能小于约定容积率下限")
        _check_order(self, "agreed_start", "agreed_completion", "约定竣工时间不能早于约定开工时间")
        _check_order(self, "reported_start", "reported_completion", "实际竣工时间不能早于实际开工时间")
        return data


# --- construction facts, 标准地 --------------------------------------------------------------

class ConstructionForm(record_form(ConstructionFacts, CONSTRUCTION_FIELDS)):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_order(self, "actual_start", "actual_completion", "实际竣工日期不能早于实际开工日期")
        if data.get("idle_cause") == IdleCause.GOVERNMENT and data.get("government_cause_item") in (None, ""):
            self.add_error("government_cause_item", "闲置原因为政府原因时，须选择53号令第八条的具体项目")
        if data.get("idle_cause") != IdleCause.GOVERNMENT and data.get("government_cause_item") not in (None, ""):
            self.add_error("government_cause_item", "只有闲置原因为政府原因时才填写此项")
        return data

    def data_for_service(self) -> dict[str, Any]:
        data = super().data_for_service()
        if data.get("government_cause_item") in ("", None):
            data["government_cause_item"] = None
        else:
            data["government_cause_item"] = int(data["government_cause_item"])
        return data


class StandardForm(record_form(StandardLandConditions, STANDARD_FIELDS)):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_order(self, "far_min", "far_max", "容积率上限不能小于容积率下限")
        return data


# --- enterprise -----------------------------------------------------------------------------

class EnterpriseForm(record_form(Enterprise, ENTERPRISE_FIELDS)):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _limit_townships(self)

    def clean_name(self) -> str:
        return (self.cleaned_data.get("name") or "").strip()

    def clean_uscc(self) -> str:
        value = normalise_uscc(self.cleaned_data.get("uscc") or "")
        if not value:
            return ""
        problem = uscc_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        others = Enterprise.objects.filter(uscc=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(f"统一社会信用代码“{value}”已登记在其他企业名下")
        return value
