"""Import pages: upload -> preview (a dry run) -> confirm; the batch report; the problem workbook."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pandi.land.importers.common import sha256
from pandi.land.models import ImportBatch, Parcel

pytestmark = pytest.mark.django_db

HEADER = ("宗地编号,电子监管号,行政区,项目名称,项目位置,土地使用权人,面积(公顷),土地用途,供地方式,"
          "合同签订日期,约定开工时间\n")
LEDGER = HEADER + """\
JD-001,3307212021B00001,金东区,好项目,多湖街道光南路,甲公司,1.5,工业用地,挂牌出让,2021年04月30日,2021年10月30日
JD-002,3307212021B00002,金东区,另一个项目,东孝街道,新企业,2.0,工业用地,挂牌出让,2021/5/6,2021/11/6
JD-003,3307822021B00003,义乌市,外区项目,,外区企业,2.0,工业用地,挂牌出让,2021/5/6,2021/11/6
"""
BROKEN = LEDGER.replace("2021年04月30日", "2021年02月30日")


def upload(client, text: str | bytes, name: str = "台账.csv", **extra):
    data = text.encode() if isinstance(text, str) else text
    return client.post(reverse("land:import_upload"), {
        "kind": "supplies", "district": "金东区", "file": SimpleUploadedFile(name, data), **extra})


def test_upload_preview_confirm_for_natural_resources(world, login):
    client = login(world.users["nr"])
    page = client.get(reverse("land:import_list"))
    assert page.status_code == 200 and "上传并试导入" in page.content.decode()
    parcels = Parcel.objects.count()

    response = upload(client, LEDGER.encode("gbk"))
    preview = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("land:import_detail", args=[preview.pk])
    assert preview.status == "dry_run" and preview.user == world.users["nr"]
    assert Parcel.objects.count() == parcels  # the preview writes nothing
    assert default_storage.exists(f"imports/{preview.file_sha256}")

    body = client.get(response["Location"]).content.decode()
    assert "试导入结果" in body and "确认导入" in body
    assert "GBK" in body  # the encoding detected
    assert "行政区不属于金东区：1 行" in body
    assert '<div class="fs-5 fw-bold">2</div><div class="small text-muted">新增</div>' in body

    response = client.post(reverse("land:import_confirm", args=[preview.pk]))
    done = ImportBatch.objects.exclude(pk=preview.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("land:import_detail", args=[done.pk])
    assert done.status == "done" and done.counts["created"] == 2 and done.file_sha256 == preview.file_sha256
    assert Parcel.objects.count() == parcels + 2
    assert not default_storage.exists(f"imports/{preview.file_sha256}")
    body = client.get(response["Location"]).content.decode()
    assert "导入完成：新增 2" in body and "导入报告" in body and "确认导入" not in body

    # the same preview cannot be imported twice
    response = client.post(reverse("land:import_confirm", args=[preview.pk]), follow=True)
    assert "已不在服务器上" in response.content.decode()
    assert Parcel.objects.count() == parcels + 2


def test_preview_with_errors_lists_them_and_confirm_writes_nothing_unless_valid_only(world, login):
    client = login(world.users["nr"])
    parcels = Parcel.objects.count()
    upload(client, BROKEN)
    preview = ImportBatch.objects.get()
    body = client.get(reverse("land:import_detail", args=[preview.pk])).content.decode()
    assert "2021年02月30日" in body and "日期“2021年02月30日”不存在" in body and "合同签订日期" in body
    assert "有 1 个错误" in body

    client.post(reverse("land:import_confirm", args=[preview.pk]))
    assert ImportBatch.objects.order_by("-pk").first().status == "failed"
    assert Parcel.objects.count() == parcels

    client.post(reverse("land:import_confirm", args=[preview.pk]), {"valid_only": "on"})
    assert ImportBatch.objects.order_by("-pk").first().status == "partial"
    assert Parcel.objects.count() == parcels + 1


def test_confirm_refuses_a_file_that_changed_since_the_preview(world, login):
    client = login(world.users["nr"])
    upload(client, LEDGER)
    preview = ImportBatch.objects.get()
    name = f"imports/{preview.file_sha256}"
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"something else"))
    parcels = Parcel.objects.count()
    response = client.post(reverse("land:import_confirm", args=[preview.pk]), follow=True)
    assert "SHA-256" in response.content.decode()
    assert Parcel.objects.count() == parcels and ImportBatch.objects.count() == 1


def test_issues_are_paginated_and_filtered_by_level(world, login):
    client = login(world.users["nr"])
    lines = ["电子监管号,土地使用权人,面积(亩),土地用途,合同签订日期"]
    lines += [f"33072120219{i:05d},企业{i},1,工业用地,2021-02-30" for i in range(60)]
    lines += ["3307212021900099,,1,工业用地,2021-02-01"]
    upload(client, "\n".join(lines))
    batch = ImportBatch.objects.get()
    url = reverse("land:import_detail", args=[batch.pk])
    first = client.get(url).content.decode()
    assert "共 61 条，第 1/2 页" in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "第 61 行" not in second and "缺少土地使用权人" in second
    only_missing = client.get(url, {"level": "error", "page": 2}).content.decode()
    assert "第 2/2 页" in only_missing
    partial = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith("<table") and "缺少土地使用权人" in partial


def test_form_errors_are_shown_on_the_list_page(world, login):
    client = login(world.users["nr"])
    response = upload(client, b"x", name="boundaries.shp")
    assert response.status_code == 200
    assert "只接受 .xlsx、.xls、.csv 文件" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_township_officer_cannot_upload_and_sees_no_batches(world, login):
    from pandi.land.importers.common import run_import

    batch = run_import(kind="supplies", user=world.users["nr"], file_name="台账.csv", data=LEDGER.encode(),
                       dry_run=True).batch
    client = login(world.users["town_a"])
    response = upload(client, LEDGER)
    assert response.status_code == 403
    assert ImportBatch.objects.count() == 1
    page = client.get(reverse("land:import_list"))
    body = page.content.decode()
    assert page.status_code == 200 and "暂无导入记录" in body and "上传并试导入" not in body
    assert client.get(reverse("land:import_detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("land:import_issues", args=[batch.pk])).status_code == 404


def test_error_workbook_downloads_and_opens(world, login):
    client = login(world.users["nr"])
    upload(client, BROKEN, name="坏台账.csv")
    batch = ImportBatch.objects.get()
    response = client.get(reverse("land:import_issues", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    ws = wb.active
    rows = list(ws.iter_rows(values_only=True))
    assert "坏台账.csv" in rows[0][0] and "供地台账" in rows[0][0]
    assert rows[1] == ("行号", "列", "值", "问题", "级别")
    assert rows[2] == (2, "合同签订日期", "2021年02月30日", "日期“2021年02月30日”不存在", "错误")


def test_the_stored_file_is_named_by_its_hash_and_a_damaged_copy_is_replaced(world, login):
    client = login(world.users["nr"])
    name = f"imports/{sha256(LEDGER.encode())}"
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(b"damaged"))
    upload(client, LEDGER)
    with default_storage.open(name, "rb") as f:
        assert f.read() == LEDGER.encode()
    client.post(reverse("land:import_confirm", args=[ImportBatch.objects.get().pk]))
    assert ImportBatch.objects.order_by("-pk").first().status == "done"
