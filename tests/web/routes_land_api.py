"""Routes of the land registry API."""

from __future__ import annotations

from .routes import DISTRICT, Route

SEE_PARCEL_A = DISTRICT | {"town_a", "ent_a"}
SEE_ENTERPRISE_A = DISTRICT | {"town_a", "ent_a"}


def _batch(w):
    from pandi.land.importers.common import run_import

    if "batch" not in w.extra:
        data = "宗地编号,土地使用权人,面积(平方米),土地用途\nZ-1,甲公司,1000,工业用地\n".encode()
        w.extra["batch"] = run_import(kind="supplies", user=w.users["nr"], file_name="t.csv", data=data,
                                      dry_run=True).batch
    return {"batch_id": w.extra["batch"].pk}


def _upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "宗地编号,土地使用权人,面积(平方米),土地用途\nZ-2,甲公司,1000,工业用地\n".encode()
    return {"kind": "supplies", "dry_run": "true", "file": SimpleUploadedFile("t.csv", data, "text/csv")}


LAND_API_ROUTES: list[Route] = [
    Route("api:land_parcels", api=True),
    Route("api:land_parcels_geojson", api=True, query=lambda w: "bbox=119.6,29.0,119.8,29.2"),
    Route("api:land_parcel_detail", lambda w: {"parcel_id": w.parcel_a.pk}, api=True, visible=SEE_PARCEL_A,
          allowed=SEE_PARCEL_A),
    Route("api:land_parcel_construction_patch", lambda w: {"parcel_id": w.parcel_a.pk}, method="PATCH", api=True,
          visible=SEE_PARCEL_A, allowed=frozenset({"admin", "lead", "nr", "town_a"}),
          data=lambda w: {"permit_no": "330703202100001"}),
    Route("api:land_contracts", api=True),
    Route("api:land_enterprises", api=True),
    Route("api:land_enterprise_detail", lambda w: {"enterprise_id": w.enterprise_a.pk}, api=True,
          visible=SEE_ENTERPRISE_A, allowed=SEE_ENTERPRISE_A),
    Route("api:land_imports", api=True),
    Route("api:land_import_create", method="POST", api=True, allowed=frozenset({"admin", "nr"}), data=_upload),
    Route("api:land_import_detail", _batch, api=True, visible=DISTRICT, allowed=DISTRICT),
]
