"""Forms of the list pages (R6, R7): they only parse what the user typed; the rules — a reason for
"其他", the township of an added parcel or a drawn block, allowed transitions — are checked by the
services, whose Chinese ValidationErrors the views put next to the form."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from .choices import ExclusionReason

GEOJSON_MAX_BYTES = 5 * 1024 * 1024


class ExcludeForm(forms.Form):
    reason = forms.ChoiceField(label="剔除原因", choices=[("", "请选择剔除原因"), *ExclusionReason.choices],
                               error_messages={"required": "请选择剔除原因", "invalid_choice": "请选择剔除原因"})
    note = forms.CharField(label="说明", max_length=300, required=False,
                           help_text="剔除原因为“其他”时必填",
                           error_messages={"max_length": "说明不能超过 300 字"})


class RemarksForm(forms.Form):
    remarks = forms.CharField(label="备注", max_length=300, required=False,
                              error_messages={"max_length": "备注不能超过 300 字"})


class AddParcelForm(forms.Form):
    key = forms.CharField(label="宗地编号或电子监管号", max_length=64,
                          error_messages={"required": "请填写宗地编号或电子监管号"})
    reason = forms.CharField(label="补充理由", max_length=300, widget=forms.TextInput,
                             error_messages={"required": "请填写补充理由", "max_length": "补充理由不能超过 300 字"})


class AddBlockForm(forms.Form):
    label = forms.CharField(label="地块名称或位置", max_length=300,
                            error_messages={"required": "请填写地块名称或位置"})
    holders = forms.CharField(label="土地使用权人", max_length=500, required=False)
    reason = forms.CharField(label="补充理由", max_length=300,
                             error_messages={"required": "请填写补充理由", "max_length": "补充理由不能超过 300 字"})
    geometry = forms.CharField(label="范围（GeoJSON）", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="在图上勾绘后自动填入；也可粘贴 GeoJSON（CGCS2000 经纬度）")
    geojson_file = forms.FileField(label="或上传 GeoJSON 文件", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("geojson_file")
        text = (data.get("geometry") or "").strip()
        if upload:
            if upload.size > GEOJSON_MAX_BYTES:
                raise forms.ValidationError("GeoJSON 文件不能超过 5 MB")
            raw = upload.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError("GeoJSON 文件须为 UTF-8 编码的文本") from None
        if not text:
            raise forms.ValidationError("请在图上勾绘地块范围，或粘贴、上传 GeoJSON")
        try:
            data["geojson"] = json.loads(text)
        except ValueError:
            raise forms.ValidationError("地块范围不是有效的 GeoJSON") from None
        return data


class SubmitForm(forms.Form):
    note = forms.CharField(label="报送说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label="审核结果", choices=[("accept", "确认"), ("return", "退回")],
                                 error_messages={"required": "请选择确认或退回", "invalid_choice": "请选择确认或退回"})
    comment = forms.CharField(label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text="退回时必填")

    @property
    def accept(self) -> bool:
        return self.cleaned_data.get("decision") == "accept"

