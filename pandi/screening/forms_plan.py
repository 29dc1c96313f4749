"""Forms of the annual work plan (R8): the bulk edit (one row per inventory entry) and the grid of
township targets per year. They only parse and check shapes; the rules are the services'."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .choices import Route

EMPTY = [("", "—")]


class PlanRowForm(forms.Form):
    """One entry's plan: year and route (both or neither), responsible township and department, note.
    Choices come in as plain (id, label) lists so rendering 50 rows costs no queries."""

    entry = forms.IntegerField(widget=forms.HiddenInput)
    row = forms.IntegerField(widget=forms.HiddenInput, required=False)
    year = forms.TypedChoiceField(label="处置年度", coerce=int, empty_value=None, required=False)
    route = forms.ChoiceField(label="处置路径", required=False, choices=EMPTY + list(Route.choices))
    responsible_township = forms.TypedChoiceField(label="责任乡镇", coerce=int, empty_value=None, required=False)
    responsible_department = forms.TypedChoiceField(label="责任部门", coerce=int, empty_value=None, required=False)
    note = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args: Any, years: list[int], townships: list[tuple[int, str]],
                 departments: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = EMPTY + [(y, f"{y}年") for y in years]
        self.fields["responsible_township"].choices = EMPTY + townships
        self.fields["responsible_department"].choices = EMPTY + departments
        for name in ("year", "route", "responsible_township", "responsible_department"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["note"].widget.attrs.update({"class": "form-control form-control-sm", "maxlength": 300})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_year, has_route = data.get("year") is not None, bool(data.get("route"))
        if has_year and not has_route:
            raise ValidationError("请选择处置路径")
        if has_route and not has_year:
            raise ValidationError("请选择处置年度")
        if not has_year and (data.get("responsible_township") or data.get("responsible_department")
                             or (data.get("note") or "").strip()):
            raise ValidationError("请先选择处置年度和处置路径")
        return data

    @property
    def assigned(self) -> bool:
        return self.cleaned_data.get("year") is not None

    def first_error(self) -> str:
        for errors in self.errors.values():
            for message in errors:
                return str(message)
        return "填写有误"


class BasePlanFormSet(forms.BaseFormSet):
    """The rows of one page of the work plan."""


PlanFormSet = forms.formset_factory(PlanRowForm, formset=BasePlanFormSet, extra=0, max_num=500, validate_max=True,
                                    absolute_max=500)
PLAN_PREFIX = "rows"


def plan_row_initial(entry: Any, item: Any, row: int) -> dict[str, Any]:
    if item is None:
        return {"entry": entry.pk, "row": row}
    return {"entry": entry.pk, "row": row, "year": item.year, "route": item.route,
            "responsible_township": item.responsible_township_id,
            "responsible_department": item.responsible_department_id, "note": item.note}


class TargetsForm(forms.Form):
    """Per township per year: 盘活目标（亩） and 新开工厂房目标（平方米）. Field names `mu_<township>_<year>`
    and `m2_<township>_<year>`; blank means 0."""

    def __init__(self, *args: Any, townships: list[Any], years: list[int], targets: dict[tuple[int, int], Any],
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.townships = townships
        self.years = years
        self.cells: list[dict[str, Any]] = []
        for t in townships:
            for y in years:
                current = targets.get((t.pk, y))
                mu, m2 = f"mu_{t.pk}_{y}", f"m2_{t.pk}_{y}"
                self.fields[mu] = forms.DecimalField(
                    label=f"{t.name} {y}年 盘活目标（亩）", required=False, min_value=Decimal(0), max_digits=10,
                    decimal_places=2, initial=current.target_mu if current else None,
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm text-end", "step": "0.01",
                                                    "min": "0"}))
                self.fields[m2] = forms.DecimalField(
                    label=f"{t.name} {y}年 新开工厂房目标（平方米）", required=False, min_value=Decimal(0),
                    max_digits=12, decimal_places=2, initial=current.target_m2 if current else None,
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm text-end", "step": "1",
                                                    "min": "0"}))
                self.cells.append({"township": t, "year": y, "mu": mu, "m2": m2, "current": current})

    def rows(self) -> list[dict[str, Any]]:
        """For the template: per township, per year the two bound fields and the stored target."""
        out = []
        for t in self.townships:
            cells = [{"year": c["year"], "mu": self[c["mu"]], "m2": self[c["m2"]], "current": c["current"]}
                     for c in self.cells if c["township"].pk == t.pk]
            out.append({"township": t, "cells": cells})
        return out

    def changes(self) -> list[dict[str, Any]]:
        """The cells whose value differs from what is stored (blank counts as 0)."""
        out = []
        for c in self.cells:
            mu = self.cleaned_data.get(c["mu"]) or Decimal(0)
            m2 = self.cleaned_data.get(c["m2"]) or Decimal(0)
            cur = c["current"]
            old = (cur.target_mu, cur.target_m2) if cur else (Decimal(0), Decimal(0))
            if (mu, m2) != old:
                out.append({"township": c["township"], "year": c["year"], "target_mu": mu, "target_m2": m2})
        return out
