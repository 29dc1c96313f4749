from __future__ import annotations

from pathlib import Path

from django import forms

from .choices import ImportKind

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
EXTENSIONS = {
    ImportKind.SUPPLIES: (".xlsx", ".xls", ".csv"),
    ImportKind.PARCELS: (".geojson", ".json", ".zip", ".gpkg", ".txt"),
    ImportKind.BUILDINGS: (".geojson", ".json", ".zip", ".gpkg"),
}
DISTRICT_CHOICES = [("金东区", "仅金东区（按电子监管号、行政区和项目位置筛选）"), ("all", "不过滤，导入全部行")]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="导入类型", choices=ImportKind.choices, initial=ImportKind.SUPPLIES)
    file = forms.FileField(label="文件",
                           help_text="供地台账：.xlsx、.xls、.csv（UTF-8 或 GBK）；宗地边界、建筑物轮廓：GeoJSON、"
                                     "Shapefile（.zip）、GeoPackage、勘测定界 .txt")
    district = forms.ChoiceField(label="行政区过滤（供地台账）", choices=DISTRICT_CHOICES, initial="金东区")
    valid_only = forms.BooleanField(label="仅导入有效行（有错误的行跳过）", required=False)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        kind = cleaned.get("kind")
        if upload is None or not kind:
            return cleaned
        if upload.size > MAX_UPLOAD_BYTES:
            self.add_error("file", f"文件过大（最大 {MAX_UPLOAD_BYTES // 1024 // 1024} MB）")
        suffix = Path(upload.name).suffix.lower()
        allowed = EXTENSIONS.get(kind, ())
        if allowed and suffix not in allowed:
            self.add_error("file", f"{ImportKind(kind).label}只接受 {'、'.join(allowed)} 文件")
        return cleaned


class ImportConfirmForm(forms.Form):
    valid_only = forms.BooleanField(label="仅导入有效行", required=False)
