"""Land registry URLs, one module per area so they can grow independently."""

from django.urls import include, path

app_name = "land"
urlpatterns = [
    path("", include("pandi.land.urls_pages")),
    path("imports/", include("pandi.land.urls_imports")),
    path("exports/", include("pandi.land.urls_exports")),
]
