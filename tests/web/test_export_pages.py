"""Export downloads over HTTP: formats, file names, filters and scope."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from ..geodata import download_text, read_layer

pytestmark = pytest.mark.django_db

SUFFIX = {"xlsx": "xlsx", "geojson": "geojson", "gpkg": "gpkg", "shp": "zip"}
TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "shp": "application/zip"}


def get(client, fmt, **params):
    return client.get(reverse("land:parcel_export", kwargs={"fmt": fmt}), params)


def codes(response, fmt) -> set[str]:
    if fmt == "xlsx":
        rows = load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=4, values_only=True)
        return {r[1] for r in rows if r[0]}
    key = "ZDBH" if fmt == "shp" else "宗地编号"
    return {row[key] for row in read_layer(response.content, SUFFIX[fmt])[1]}


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_parcel_export_is_a_download_with_a_chinese_file_name(client, world, login, fmt):
    login(world.users["lead"])
    response = get(client, fmt)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(TYPES[fmt])
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and f".{SUFFIX[fmt]}" in disposition
    assert "filename*=utf-8''" in disposition
    assert codes(response, fmt) == {"A-001", "B-001"}


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_township_officer_downloads_only_their_township(client, world, login, fmt):
    login(world.users["town_a"])
    response = get(client, fmt)
    assert codes(response, fmt) == {"A-001"}
    text = download_text(response.content)
    for secret in ("东孝街道", "乙公司", "B-001"):
        assert secret not in text


def test_enterprise_user_downloads_only_their_parcels(client, world, login):
    login(world.users["ent_b"])
    assert codes(get(client, "geojson"), "geojson") == {"B-001"}


def test_filters_of_the_list_apply(client, world, login):
    login(world.users["lead"])
    assert codes(get(client, "geojson", township=world.township_b.pk), "geojson") == {"B-001"}
    assert codes(get(client, "geojson", q="甲公司"), "geojson") == {"A-001"}
    assert codes(get(client, "geojson", state="completed"), "geojson") == set()
    assert codes(get(client, "xlsx", state="overdue"), "xlsx") == {"A-001", "B-001"}


def test_a_township_officer_cannot_filter_into_another_township(client, world, login):
    login(world.users["town_a"])
    assert codes(get(client, "geojson", township=world.township_b.pk), "geojson") == set()


def test_xlsx_title_says_the_filters(client, world, login):
    login(world.users["lead"])
    response = get(client, "xlsx", township=world.township_a.pk, q="甲")
    subtitle = load_workbook(io.BytesIO(response.content)).active["A2"].value
    assert "筛选：多湖街道，检索 甲" in subtitle and "lead 测试" in subtitle


def test_unknown_format_is_not_found(client, world, login):
    login(world.users["lead"])
    assert client.get("/land/exports/parcels/csv/").status_code == 404


def test_enterprise_export(client, world, login):
    login(world.users["town_b"])
    response = client.get(reverse("land:enterprise_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith(TYPES["xlsx"])
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    names = {r[1] for r in rows[3:]}
    assert "乙公司" in names and "甲公司" not in names
    assert "多湖街道" not in download_text(response.content)


def test_download_text_sees_inside_every_format(client, world, login):
    """The helper the scoping checks rely on does find names inside each kind of file."""
    login(world.users["lead"])
    for fmt in SUFFIX:
        assert "东孝街道" in download_text(get(client, fmt).content), fmt
    doc = json.loads(get(client, "geojson").content)
    assert doc["type"] == "FeatureCollection"
