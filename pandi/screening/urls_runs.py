"""Screening URLs: runs (mounted at /screening/runs/, namespace `screening`)."""

from django.urls import path

from . import views_runs as v

urlpatterns = [
    path("", v.run_list, name="run_list"),
    path("new/", v.run_create, name="run_create"),
    path("<int:pk>/", v.run_detail, name="run_detail"),
    path("<int:pk>/propose/", v.run_propose, name="run_propose"),
    path("<int:pk>/compare/", v.run_compare, name="run_compare"),
    path("<int:pk>/json/", v.run_json, name="run_json"),
]
