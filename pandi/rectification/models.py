"""Rectification (R9–R11): an enterprise's plan for the inventory entries it holds, its review and
filing, its monthly steps, the monthly progress reports with evidence, the action queue and the
signed links for enterprises without an account."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from pandi.core.scope import ScopedManager

from .choices import (
    MILESTONE_CHOICES,
    EvidenceKind,
    LinkPurpose,
    PlanStatusChoices,
    ReasonChoices,
    ReportStatus,
    RouteChoices,
)

POSITIVE = [MinValueValidator(0)]


class RectificationPlan(models.Model):
    """整改方案: measures, approach, monthly steps, deadline and expected benefits (R9), reviewed by the
    township and filed with 区经商局 (R10), started by the campaign's start deadline (R11)."""

    campaign = models.ForeignKey("supervision.Campaign", verbose_name="行动", on_delete=models.PROTECT,
                                 related_name="rectification_plans")
    enterprise = models.ForeignKey("land.Enterprise", verbose_name="企业", on_delete=models.PROTECT,
                                   related_name="rectification_plans")
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", on_delete=models.PROTECT,
                                 related_name="+")
    entries = models.ManyToManyField("screening.InventoryEntry", verbose_name="清单地块", through="PlanEntry",
                                     related_name="rectification_plans")
    route = models.CharField("整改路径", max_length=20, choices=RouteChoices.choices, blank=True)
    route_note = models.CharField("整改路径说明", max_length=200, blank=True)
    measures = models.TextField("整改措施", blank=True)
    approach = models.TextField("具体做法", blank=True)
    start = models.DateField("整改开始日期", null=True, blank=True)
    deadline = models.DateField("整改期限", null=True, blank=True)
    exception_reason = models.CharField("延期理由", max_length=300, blank=True)
    new_floor_area_m2 = models.DecimalField("新增建筑面积（平方米）", max_digits=12, decimal_places=2, null=True,
                                            blank=True, validators=POSITIVE)
    far_after = models.DecimalField("整改后容积率", max_digits=6, decimal_places=2, null=True, blank=True,
                                    validators=POSITIVE)
    investment_wan = models.DecimalField("投资额（万元）", max_digits=12, decimal_places=2, null=True, blank=True,
                                         validators=POSITIVE)
    output_wan = models.DecimalField("预计年产值（万元）", max_digits=12, decimal_places=2, null=True, blank=True,
                                     validators=POSITIVE)
    tax_wan = models.DecimalField("预计年税收（万元）", max_digits=12, decimal_places=2, null=True, blank=True,
                                  validators=POSITIVE)
    jobs = models.PositiveIntegerField("新增就业（人）", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=PlanStatusChoices.choices, default="draft",
                              db_index=True)
    version = models.PositiveSmallIntegerField("版本", default=1)
    lock_version = models.PositiveIntegerField("修改序号", default=0)  # optimistic locking
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_at = models.DateTimeField("乡镇审核时间", null=True, blank=True)
    filed_at = models.DateTimeField("备案时间", null=True, blank=True)
    started_at = models.DateTimeField("开始实施时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    last_comment = models.TextField("最近意见", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="填报人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope_township_path = "township"
    scope_enterprise_path = "enterprise"
    audit_exclude = ("created_at", "updated_at", "lock_version")

    class Meta:
        verbose_name = "整改方案"
        verbose_name_plural = "整改方案"
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["township", "status"], name="plan_township_status_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise.name if self.enterprise_id else ''}整改方案（第 {self.version} 版）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("rectification:plan_detail", args=[self.pk])

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, self.enterprise_id


class PlanEntry(models.Model):
    """The inventory entries a plan covers. `open` mirrors the plan being open, so the database holds
    at most one open plan per inventory entry."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="plan_entries")
    entry = models.ForeignKey("screening.InventoryEntry", on_delete=models.PROTECT, related_name="plan_links")
    open = models.BooleanField(default=True)

    class Meta:
        verbose_name = "整改方案地块"
        verbose_name_plural = "整改方案地块"
        constraints = [
            models.UniqueConstraint(fields=["plan", "entry"], name="plan_entry_once"),
            models.UniqueConstraint(fields=["entry"], condition=Q(open=True), name="one_open_plan_per_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}→{self.entry_id}"


class PlanStep(models.Model):
    """One month of the plan: what will be done and the measurable planned quantities."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="steps")
    month = models.DateField("月份")
    action = models.CharField("实施内容", max_length=300)
    milestone = models.CharField("节点", max_length=20, choices=MILESTONE_CHOICES, blank=True)
    floor_area_m2 = models.DecimalField("计划开工建筑面积（平方米）", max_digits=12, decimal_places=2, default=0,
                                        validators=POSITIVE)
    investment_wan = models.DecimalField("计划投资（万元）", max_digits=12, decimal_places=2, default=0,
                                         validators=POSITIVE)

    class Meta:
        verbose_name = "实施步骤"
        verbose_name_plural = "实施步骤"
        ordering = ["plan_id", "month"]
        constraints = [models.UniqueConstraint(fields=["plan", "month"], name="plan_step_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.action}"


class PlanVersion(models.Model):
    """A filed version kept when an amendment starts (its content as it was filed)."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField("版本")
    content = models.JSONField("内容")
    filed_at = models.DateTimeField("备案时间", null=True, blank=True)
    archived_at = models.DateTimeField("变更时间", auto_now_add=True)

    class Meta:
        verbose_name = "方案历史版本"
        verbose_name_plural = "方案历史版本"
        ordering = ["plan_id", "version"]
        constraints = [models.UniqueConstraint(fields=["plan", "version"], name="plan_version_once")]

    def __str__(self) -> str:
        return f"第 {self.version} 版"


class PlanEvent(models.Model):
    """The plan's timeline: every workflow step with who, when and the comment."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("时间", auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    action = models.CharField("操作", max_length=30)
    label = models.CharField("说明", max_length=100)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20, blank=True)
    comment = models.TextField("意见", blank=True)

    class Meta:
        verbose_name = "方案记录"
        verbose_name_plural = "方案记录"
        ordering = ["plan_id", "id"]  # the order things happened (`at` may carry a dated scenario's time)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.label}"


class ProgressReport(models.Model):
    """The enterprise's report for one month; the township confirms or queries it."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="reports")
    month = models.DateField("月份")
    narrative = models.TextField("进展情况")
    status = models.CharField("状态", max_length=20, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField("报送时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField("确认时间", null=True, blank=True)
    review_comment = models.TextField("乡镇意见", blank=True)
    lock_version = models.PositiveIntegerField("修改序号", default=0)

    objects = ScopedManager()
    scope_township_path = "plan__township"
    scope_enterprise_path = "plan__enterprise"
    audit_exclude = ("lock_version",)

    class Meta:
        verbose_name = "整改进展"
        verbose_name_plural = "整改进展"
        ordering = ["plan_id", "month"]
        constraints = [models.UniqueConstraint(fields=["plan", "month"], name="progress_month_once")]

    def __str__(self) -> str:
        return f"{self.month:%Y年%m月}进展"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("rectification:report_detail", args=[self.pk])

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.plan.township_id, self.plan.enterprise_id


class ProgressItem(models.Model):
    """Actual quantities against one planned step."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="items")
    step = models.ForeignKey(PlanStep, on_delete=models.PROTECT, related_name="progress_items")
    floor_area_m2 = models.DecimalField("实际开工建筑面积（平方米）", max_digits=12, decimal_places=2, default=0,
                                        validators=POSITIVE)
    investment_wan = models.DecimalField("实际投资（万元）", max_digits=12, decimal_places=2, default=0,
                                         validators=POSITIVE)
    milestone_reached = models.BooleanField("节点已完成", default=False)
    note = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        verbose_name = "进展明细"
        verbose_name_plural = "进展明细"
        constraints = [models.UniqueConstraint(fields=["report", "step"], name="progress_item_step_once")]

    def __str__(self) -> str:
        return f"{self.step}"


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.report.plan_id}/{instance.sha256[:2]}/{instance.sha256}{_suffix(filename)}"


def _suffix(name: str) -> str:
    import os

    return os.path.splitext(name)[1].lower()[:10]


class Evidence(models.Model):
    """A photo, permit, invoice or contract attached to a progress report; photos' EXIF time and GPS are
    read and checked against the parcel and the month."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField("类型", max_length=10, choices=EvidenceKind.choices)
    file = models.FileField("文件", upload_to=evidence_path, max_length=200)
    original_name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField("文件类型", max_length=100)
    sha256 = models.CharField("SHA-256", max_length=64)
    taken_at = models.DateTimeField("拍摄时间", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    warnings = models.JSONField("提示", default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = ScopedManager()
    scope_township_path = "report__plan__township"
    scope_enterprise_path = "report__plan__enterprise"

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["report_id", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.report.plan.township_id, self.report.plan.enterprise_id


class QueueEntry(models.Model):
    """One thing someone must do on a plan (reason, who, due), kept up to date by `pandi tick`:
    opened when the rule first finds it, resolved when it no longer does."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="queue_entries")
    reason = models.CharField("事项", max_length=30, choices=ReasonChoices.choices)
    key = models.CharField("事项键", max_length=60)  # reason and month: what "the same item" means
    who = models.CharField("办理方", max_length=20)
    month = models.DateField("月份", null=True, blank=True)
    due = models.DateField("期限")
    detail = models.CharField("说明", max_length=300, blank=True)
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", on_delete=models.PROTECT,
                                 related_name="+")
    enterprise = models.ForeignKey("land.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField("产生时间", auto_now_add=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)

    objects = ScopedManager()
    scope_township_path = "township"
    scope_enterprise_path = "enterprise"

    class Meta:
        verbose_name = "待办事项"
        verbose_name_plural = "待办事项"
        ordering = ["due", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "key"], condition=Q(resolved_at=None),
                                               name="queue_open_once")]
        indexes = [models.Index(fields=["resolved_at", "who", "due"], name="queue_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}（{self.due:%Y-%m-%d}）"


class AccessLink(models.Model):
    """A signed, time-limited, single-purpose link a township sends to an enterprise without an account.
    Only the token's hash is stored; every use is logged in the audit trail."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.CASCADE, related_name="access_links")
    purpose = models.CharField("用途", max_length=10, choices=LinkPurpose.choices)
    token_hash = models.CharField("令牌摘要", max_length=64, unique=True)
    expires_at = models.DateTimeField("有效期至")
    max_uses = models.PositiveSmallIntegerField("最多使用次数", default=20)
    uses = models.PositiveSmallIntegerField("已使用次数", default=0)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    revoked = models.BooleanField("已作废", default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发送人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = ScopedManager()
    scope_township_path = "plan__township"
    scope_enterprise_path = "plan__enterprise"
    audit_exclude = ("token_hash",)

    class Meta:
        verbose_name = "填报链接"
        verbose_name_plural = "填报链接"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}链接（至 {self.expires_at:%Y-%m-%d}）"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.plan.township_id, self.plan.enterprise_id
