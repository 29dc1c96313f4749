"""Pages of the land registry (namespace `land`, mounted at /land/)."""

from django.urls import path

from . import views_pages as v

urlpatterns = [
    path("parcels/", v.parcel_list_view, name="parcel_list"),
    path("parcels/<int:pk>/", v.parcel_detail_view, name="parcel_detail"),
    path("parcels/<int:pk>/edit/", v.parcel_edit, name="parcel_edit"),
    path("parcels/<int:pk>/holdings/add/", v.holding_add, name="holding_add"),
    path("parcels/<int:pk>/holdings/<int:holding_pk>/end/", v.holding_end, name="holding_end"),
    path("parcels/<int:pk>/contracts/add/", v.contract_add, name="contract_add"),
    path("parcels/<int:pk>/contracts/<int:contract_pk>/edit/", v.contract_edit, name="contract_edit"),
    path("parcels/<int:pk>/construction/", v.construction_edit, name="construction_edit"),
    path("parcels/<int:pk>/standard/", v.standard_edit, name="standard_edit"),
    path("enterprises/", v.enterprise_list_view, name="enterprise_list"),
    path("enterprises/new/", v.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", v.enterprise_detail_view, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", v.enterprise_edit, name="enterprise_edit"),
    path("map/", v.map_view, name="map"),
]
