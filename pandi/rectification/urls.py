"""Rectification URLs (namespace `rectification`, mounted at /rectification/): the plans and their
signed links here, the monthly progress and the action queue in urls_progress."""

from django.urls import include, path

from . import views_plans as v

app_name = "rectification"

urlpatterns = [
    path("", v.plan_list, name="plan_list"),
    path("new/", v.plan_create, name="plan_create"),
    path("<int:pk>/", v.plan_detail, name="plan_detail"),
    path("<int:pk>/edit/", v.plan_edit, name="plan_edit"),
    path("<int:pk>/transition/", v.plan_transition, name="plan_transition"),
    path("<int:pk>/links/", v.link_create, name="link_create"),
    path("link/plan/", v.link_plan, name="link_plan"),
    path("link/<str:token>/", v.link_open, name="link_open"),
    path("", include("pandi.rectification.urls_progress")),
    path("", include("pandi.rectification.urls_documents")),
]
