from django.urls import include, path

from pandi.api import api

urlpatterns = [
    path("", include("pandi.core.urls")),
    path("accounts/", include("pandi.accounts.urls")),
    path("campaigns/", include("pandi.supervision.urls")),
    path("land/", include("pandi.land.urls")),
    path("screening/", include("pandi.screening.urls")),
    path("rectification/", include("pandi.rectification.urls")),
    path("audit/", include("pandi.audit.urls")),
    path("api/", api.urls),
]

handler403 = "pandi.core.views.permission_denied"
handler404 = "pandi.core.views.page_not_found"
