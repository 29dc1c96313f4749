"""Routes of the import pages (land:import_*). Import batches are district records: township and
enterprise users see none (404 on a batch); only the roles with the import permission upload."""

from __future__ import annotations

from .routes import ALL, DISTRICT, Route

IMPORTERS = frozenset({"admin", "nr"})

TINY_CSV = ("电子监管号,行政区,项目名称,项目位置,面积(公顷),土地用途,供地方式,土地使用权人,合同签订日期,约定开工时间\n"
            "3307212021B09001,金东区,测试项目,多湖街道测试路,1.5,工业用地,挂牌出让,测试导入公司,2021年04月30日,2021年10月30日\n"
            ).encode()


def _upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"kind": "supplies", "district": "金东区",
            "file": SimpleUploadedFile("台账.csv", TINY_CSV, content_type="text/csv")}


def _dry_run_batch(w):
    """A previewed tiny ledger whose file waits in storage, as after an upload."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from pandi.land.importers.common import run_import, sha256

    if "import_batch" not in w.extra:
        name = f"imports/{sha256(TINY_CSV)}"
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(TINY_CSV))
        w.extra["import_batch"] = run_import(kind="supplies", user=w.users["nr"], file_name="台账.csv",
                                             data=TINY_CSV, dry_run=True).batch
    return {"pk": w.extra["import_batch"].pk}


LAND_IMPORT_ROUTES: list[Route] = [
    Route("land:import_list", visible=ALL, allowed=ALL),
    Route("land:import_upload", method="POST", visible=ALL, allowed=IMPORTERS, data=_upload),
    Route("land:import_detail", _dry_run_batch, visible=DISTRICT, allowed=DISTRICT),
    Route("land:import_confirm", _dry_run_batch, method="POST", visible=DISTRICT, allowed=IMPORTERS),
    Route("land:import_issues", _dry_run_batch, visible=DISTRICT, allowed=DISTRICT),
]
