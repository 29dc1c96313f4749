"""Screening URLs: the lists, their entries and the official inventory (namespace `screening`,
mounted at /screening/lists/)."""

from django.urls import path

from . import views_lists as v

urlpatterns = [
    path("", v.list_index, name="list_index"),
    path("inventory/", v.inventory, name="inventory"),
    path("<int:pk>/", v.list_detail, name="list_detail"),
    path("<int:pk>/submit/", v.list_submit, name="list_submit"),
    path("<int:pk>/review/", v.list_review, name="list_review"),
    path("<int:pk>/add-parcel/", v.list_add_parcel, name="list_add_parcel"),
    path("<int:pk>/add-block/", v.list_add_block, name="list_add_block"),
    path("entries/<int:pk>/", v.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/exclude/", v.entry_exclude, name="entry_exclude"),
    path("entries/<int:pk>/include/", v.entry_include, name="entry_include"),
    path("entries/<int:pk>/remarks/", v.entry_remarks, name="entry_remarks"),
]
