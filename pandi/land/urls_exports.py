"""Exports of the land registry (namespace `land`, mounted at /land/exports/)."""

from django.urls import path, re_path

from . import views_exports as v

urlpatterns = [
    re_path(r"^parcels/(?P<fmt>xlsx|geojson|gpkg|shp)/$", v.parcel_export_view, name="parcel_export"),
    path("enterprises/xlsx/", v.enterprise_export_view, name="enterprise_export"),
]
