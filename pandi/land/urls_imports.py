"""Import pages (namespace `land`): /land/imports/…"""

from django.urls import path

from . import views_imports as views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("upload/", views.import_upload, name="import_upload"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("<int:pk>/issues.xlsx", views.import_issues, name="import_issues"),
]
