"""Screening and the lists (R6–R8), one URL module per area."""

from django.urls import include, path

app_name = "screening"
urlpatterns = [
    path("runs/", include("pandi.screening.urls_runs")),
    path("lists/", include("pandi.screening.urls_lists")),
    path("plan/", include("pandi.screening.urls_plan")),
]
