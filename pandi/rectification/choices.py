from django.db import models

from pandi.domain.rectification import (
    MILESTONES,
    PLAN_STATUS_LABELS,
    REASON_LABELS,
    ROUTE_LABELS,
    PlanStatus,
    Reason,
    Route,
)

PlanStatusChoices = models.TextChoices("PlanStatusChoices", [(s.name, (s.value, PLAN_STATUS_LABELS[s]))
                                                             for s in PlanStatus])
RouteChoices = models.TextChoices("RouteChoices", [(r.name, (r.value, ROUTE_LABELS[r])) for r in Route])
ReasonChoices = models.TextChoices("ReasonChoices", [(r.name, (r.value, REASON_LABELS[r])) for r in Reason])
MILESTONE_CHOICES = list(MILESTONES.items())


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", "待乡镇确认"
    CONFIRMED = "confirmed", "已确认"
    QUERIED = "queried", "乡镇有疑问，待补充"


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", "现场照片"
    PERMIT = "permit", "许可证照"
    INVOICE = "invoice", "发票"
    CONTRACT = "contract", "合同"
    OTHER = "other", "其他"


class LinkPurpose(models.TextChoices):
    PLAN = "plan", "填写整改方案"
    PROGRESS = "progress", "报送整改进展"
