"""Screening URLs: the annual work plan (R8), the inventory's exports and the distribution map."""

from django.urls import path

from . import views_plan as v

urlpatterns = [
    path("", v.workplan_view, name="workplan"),
    path("targets/", v.targets_view, name="workplan_targets"),
    path("export.xlsx", v.workplan_xlsx_view, name="workplan_xlsx"),
    path("inventory.xlsx", v.inventory_xlsx_view, name="inventory_xlsx"),
    path("inventory.geojson", v.inventory_geojson_view, name="inventory_geojson"),
    path("inventory.gpkg", v.inventory_gpkg_view, name="inventory_gpkg"),
    path("map/", v.distribution_map_view, name="distribution_map"),
    path("map.<str:fmt>", v.distribution_print_view, name="distribution_print"),
]
