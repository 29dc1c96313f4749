"""Forms of the monthly progress pages (R10): they parse what the enterprise typed and uploaded; the
rules (months, the plan's state, file types and sizes, photo checks) are the services'. Every error
is in Chinese and names the step row or the file it is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from pandi.domain.rectification import MILESTONES

from . import services
from .choices import EvidenceKind
from .models import PlanStep

UPLOAD_ROWS = 4  # upload rows on the form; each row takes several files of one kind
MB = 1024 * 1024


def month_value(m: date) -> str:
    return f"{m:%Y-%m}"


def parse_month(value: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{value}-01") if value and len(value) == 7 else None
    except ValueError:
        return None


@dataclass
class StepRow:
    """One step on the report form: what was planned, what earlier reports already gave, the inputs."""

    step: PlanStep
    done_area: Decimal
    done_inv: Decimal
    done_milestone: bool
    current: bool                 # the step of the reported month (always shown)
    fields: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return f"{self.step.month:%Y年%m月}“{self.step.action}”"

    @property
    def milestone_label(self) -> str:
        return MILESTONES.get(self.step.milestone, "") if self.step.milestone else ""


def read_uploads(form: forms.Form, rows: int) -> list[services.Upload]:
    """The files of the form's upload rows (`evidence_<i>`, each row one kind `evidence_kind_<i>`),
    checked (kind, size, type and content) before anything is written; errors name the file."""
    uploads: list[services.Upload] = []
    for i in range(rows):
        files = form.files.getlist(f"evidence_{i}") if form.files else []
        if not files:
            continue
        kind = form.data.get(f"evidence_kind_{i}", "")
        if kind not in EvidenceKind.values:
            form.add_error(None, "请为文件" + "、".join(f"“{f.name}”" for f in files) + "选择材料类型")
            continue
        for f in files:
            if f.size > services.MAX_EVIDENCE_BYTES:  # refused before reading it into memory
                form.add_error(None, f"文件“{f.name}”大小 {f.size / MB:.1f} MB，超过 20 MB 上限")
                continue
            upload = services.Upload(kind=kind, name=f.name, content=f.read(),
                                     content_type=getattr(f, "content_type", "") or "")
            try:
                services.check_upload(upload)
            except ValidationError as exc:
                for m in exc.messages:
                    form.add_error(None, m)
                continue
            uploads.append(upload)
    return uploads


def _upload_rows(form: forms.Form, rows: int) -> list[dict[str, Any]]:
    return [{"index": i, "kind": (form.data.get(f"evidence_kind_{i}") if form.is_bound else "")
             or ("photo" if i == 0 else "")} for i in range(rows)]


class ReportForm(forms.Form):
    """The month, the narrative, one row of actual quantities per step shown, and the evidence rows."""

    month = forms.ChoiceField(label="报送月份", error_messages={
        "required": "请选择报送月份", "invalid_choice": "所选月份不可报送（已报送或不在整改期内）"})
    narrative = forms.CharField(label="本月进展情况", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
                                error_messages={"required": "请填写本月进展情况",
                                                "max_length": "进展情况不能超过 5000 字"})

    def __init__(self, *args: Any, months: list[date], rows: list[StepRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(month_value(m), f"{m:%Y年%m月}") for m in months]
        self.rows = rows
        self.uploads: list[services.Upload] = []
        for row in rows:
            label = row.label
            pk = row.step.pk
            number = {"min_value": f"{label}：数量不能为负", "max_digits": f"{label}：数值过大",
                      "max_decimal_places": f"{label}：最多两位小数", "max_whole_digits": f"{label}：数值过大"}
            self.fields[f"area_{pk}"] = forms.DecimalField(
                label=f"{label} 实际开工建筑面积（平方米）", required=False, min_value=0, max_digits=12,
                decimal_places=2, error_messages={"invalid": f"{label}：实际开工建筑面积须为数字", **number})
            self.fields[f"inv_{pk}"] = forms.DecimalField(
                label=f"{label} 实际投资（万元）", required=False, min_value=0, max_digits=12, decimal_places=2,
                error_messages={"invalid": f"{label}：实际投资须为数字", **number})
            self.fields[f"ms_{pk}"] = forms.BooleanField(label=f"{label} 节点已完成", required=False)
            self.fields[f"note_{pk}"] = forms.CharField(label=f"{label} 说明", required=False, max_length=300,
                                                        error_messages={"max_length": f"{label}：说明不能超过 300 字"})
            row.fields = {"area": self[f"area_{pk}"], "inv": self[f"inv_{pk}"], "ms": self[f"ms_{pk}"],
                          "note": self[f"note_{pk}"]}
        self.upload_rows = _upload_rows(self, UPLOAD_ROWS)
        self.kinds = EvidenceKind.choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.uploads = read_uploads(self, UPLOAD_ROWS)
        return data

    def items(self) -> list[dict[str, Any]]:
        """The rows for the service: the reported month's step always, earlier steps when filled in."""
        out = []
        for row in self.rows:
            pk = row.step.pk
            area, inv = self.cleaned_data.get(f"area_{pk}"), self.cleaned_data.get(f"inv_{pk}")
            ms, note = self.cleaned_data.get(f"ms_{pk}"), self.cleaned_data.get(f"note_{pk}", "")
            if not row.current and not (area or inv or ms or note):
                continue
            out.append({"step_id": pk, "floor_area_m2": area or 0, "investment_wan": inv or 0,
                        "milestone_reached": bool(ms), "note": note})
        return out


class EvidenceForm(forms.Form):
    """More evidence for a report already filed (answers 进展缺少佐证材料)."""

    ROWS = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uploads: list[services.Upload] = []
        self.upload_rows = _upload_rows(self, self.ROWS)
        self.kinds = EvidenceKind.choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.uploads = read_uploads(self, self.ROWS)
        if not self.uploads and not self.errors:
            raise ValidationError("请选择要上传的文件")
        return data


class ReportReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "确认"), ("query", "提出疑问")],
                                 error_messages={"required": "请选择确认或提出疑问",
                                                 "invalid_choice": "请选择确认或提出疑问"})
    comment = forms.CharField(label="意见", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"max_length": "意见不能超过 2000 字"})

    @property
    def confirm(self) -> bool:
        return self.cleaned_data.get("decision") == "confirm"
