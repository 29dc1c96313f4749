"""Rectification documents and exports (namespace `rectification`, mounted at /rectification/):
the 限期整改告知书 and the plan as .docx or PDF, and the plans and progress as .xlsx."""

from django.urls import path, re_path

from . import views_documents as v

urlpatterns = [
    re_path(r"^(?P<pk>\d+)/notice\.(?P<fmt>docx|pdf)$", v.plan_notice, name="plan_notice"),
    re_path(r"^(?P<pk>\d+)/plan\.(?P<fmt>docx|pdf)$", v.plan_document, name="plan_document"),
    path("export/plans.xlsx", v.plans_xlsx, name="plans_xlsx"),
    path("export/progress.xlsx", v.progress_xlsx, name="progress_xlsx"),
]
