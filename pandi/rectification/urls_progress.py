"""Monthly progress and the action queue (namespace `rectification`, mounted at /rectification/)."""

from django.urls import path

from . import views_progress as v

urlpatterns = [
    path("<int:plan_pk>/reports/new/", v.report_create, name="report_create"),
    path("reports/<int:pk>/", v.report_detail, name="report_detail"),
    path("reports/<int:pk>/review/", v.report_review, name="report_review"),
    path("reports/<int:pk>/evidence/", v.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", v.evidence_file, name="evidence_file"),
    path("queue/", v.queue, name="queue"),
    path("queue/refresh/", v.queue_refresh, name="queue_refresh"),
]
