"""Screening runs and the lists (R6–R8): a run's per-parcel 53号令 status and its vacant blocks,
the district and township lists with their review, the official inventory (清单) and the annual
work plan."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pandi.core.scope import ScopedManager
from pandi.domain.units import m2_to_mu

from .choices import EntryKind, EntrySource, ExclusionReason, ListKind, ListStatus, Route, ScreeningStatus


def _internal_only(scope, user):
    """District-wide roles and township officers see the record; enterprise users do not."""
    if scope.district or scope.township_ids:
        return None
    return Q(pk__in=[])


def _own_township_lists(scope, user):
    """The district list is district data: township officers see their own township's list only."""
    if scope.district:
        return None
    if scope.township_ids:
        return Q(township_id__in=sorted(scope.township_ids))
    return Q(pk__in=[])


class ScreeningRun(models.Model):
    """One screening "as of" a date with its parameters; its results are frozen when saved."""

    campaign = models.ForeignKey("supervision.Campaign", verbose_name="行动", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="screening_runs")
    as_of = models.DateField("判断日期")
    parameters = models.JSONField("参数", default=dict)
    counts = models.JSONField("统计", default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    source = models.CharField("来源", max_length=20, default="web")
    duration_s = models.FloatField("用时（秒）", default=0)
    note = models.CharField("说明", max_length=200, blank=True)

    objects = ScopedManager()
    scope_filter = staticmethod(_internal_only)

    class Meta:
        verbose_name = "排摸筛查"
        verbose_name_plural = "排摸筛查"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"筛查 #{self.pk}（截至 {self.as_of:%Y-%m-%d}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("screening:run_detail", args=[self.pk])

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return None, None


class ScreeningResult(models.Model):
    """One parcel's status in a run (screening.md §3), with its basis."""

    run = models.ForeignKey(ScreeningRun, verbose_name="筛查", on_delete=models.CASCADE, related_name="results")
    parcel = models.ForeignKey("land.Parcel", verbose_name="宗地", on_delete=models.CASCADE,
                               related_name="screening_results")
    parcel_code = models.CharField("宗地编号", max_length=64)
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    area_m2 = models.DecimalField("面积（平方米）", max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField("状态", max_length=24, choices=ScreeningStatus.choices)
    unbuilt = models.BooleanField("供而未建", default=False)
    deemed_start = models.DateField("动工期限", null=True, blank=True)
    days_past_start = models.IntegerField("超期天数", null=True, blank=True)
    idle_fee_due = models.BooleanField("应征闲置费", default=False)
    idle_fee_wan = models.DecimalField("闲置费（万元）", max_digits=14, decimal_places=4, null=True, blank=True)
    free_recovery_due = models.BooleanField("可无偿收回", default=False)
    cause = models.CharField("闲置原因", max_length=20, default="holder")
    basis = models.JSONField("依据", default=list)
    in_district_list = models.BooleanField("列入区级清单", default=False)
    vacant_m2 = models.DecimalField("空闲面积（平方米）", max_digits=14, decimal_places=2, null=True, blank=True)

    objects = ScopedManager()
    scope_township_path = "township"

    class Meta:
        verbose_name = "筛查结果"
        verbose_name_plural = "筛查结果"
        ordering = ["run_id", "township_id", "parcel_code"]
        constraints = [models.UniqueConstraint(fields=["run", "parcel"], name="screening_result_unique")]
        indexes = [models.Index(fields=["run", "status"], name="screening_result_status_idx"),
                   models.Index(fields=["run", "township"], name="screening_result_town_idx"),
                   models.Index(fields=["parcel", "run"], name="screening_result_parcel_idx")]

    def __str__(self) -> str:
        return f"{self.parcel_code} {self.get_status_display()}"

    @property
    def area_mu(self):
        return m2_to_mu(self.area_m2) if self.area_m2 is not None else None


class VacantBlock(models.Model):
    """A connected group of vacant enterprise land (screening.md §5) found by a run."""

    run = models.ForeignKey(ScreeningRun, verbose_name="筛查", on_delete=models.CASCADE, related_name="blocks")
    block_id = models.CharField("连片编号", max_length=20)
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    area_m2 = models.DecimalField("面积（平方米）", max_digits=14, decimal_places=2)
    listed = models.BooleanField("达到门槛", default=False)
    parcel_codes = models.JSONField("宗地", default=list)
    holders = models.JSONField("权利人", default=list)
    township_shares = models.JSONField("各乡镇面积", default=dict)
    geometry = models.JSONField("范围（GeoJSON，CGCS2000 经纬度）")
    parcels = models.ManyToManyField("land.Parcel", verbose_name="涉及宗地", related_name="vacant_blocks", blank=True)

    objects = ScopedManager()
    scope_township_path = "township"

    class Meta:
        verbose_name = "连片空闲地块"
        verbose_name_plural = "连片空闲地块"
        ordering = ["run_id", "-area_m2", "block_id"]
        constraints = [models.UniqueConstraint(fields=["run", "block_id"], name="vacant_block_unique")]

    def __str__(self) -> str:
        return self.block_id

    @property
    def area_mu(self):
        return m2_to_mu(self.area_m2)


class InventoryList(models.Model):
    """The district list or one township's list for a campaign, and where its review stands."""

    campaign = models.ForeignKey("supervision.Campaign", verbose_name="行动", on_delete=models.CASCADE,
                                 related_name="inventory_lists")
    kind = models.CharField("清单类型", max_length=10, choices=ListKind.choices)
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(ScreeningRun, verbose_name="初筛来源", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="lists")
    status = models.CharField("状态", max_length=10, choices=ListStatus.choices, default=ListStatus.DRAFT)
    deadline = models.DateField("报送截止日期", null=True, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    review_comment = models.TextField("审核意见", blank=True)
    note = models.TextField("报送说明", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    audit_exclude = ("created_at", "updated_at")
    scope_filter = staticmethod(_own_township_lists)

    class Meta:
        verbose_name = "清单"
        verbose_name_plural = "清单"
        ordering = ["campaign_id", "kind", "township__code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "township"], condition=Q(kind="township"),
                                    name="inventory_list_one_per_township"),
            models.UniqueConstraint(fields=["campaign"], condition=Q(kind="district"),
                                    name="inventory_list_one_district"),
            models.CheckConstraint(condition=Q(kind="district", township__isnull=True)
                                   | Q(kind="township", township__isnull=False), name="inventory_list_kind_township"),
        ]

    def __str__(self) -> str:
        if self.kind == ListKind.DISTRICT:
            return "区级清单"
        return f"{self.township.name if self.township_id else ''}清单"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("screening:list_detail", args=[self.pk])

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, None

    @property
    def editable(self) -> bool:
        return self.status in (ListStatus.DRAFT, ListStatus.RETURNED)


class InventoryEntry(models.Model):
    """One entry of a list: a parcel (district list) or a block of vacant land (township list).
    Accepted entries get a stable 清单编号 and make up the campaign's official inventory."""

    inventory_list = models.ForeignKey(InventoryList, verbose_name="清单", on_delete=models.CASCADE,
                                       related_name="entries")
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=10, choices=EntryKind.choices)
    source = models.CharField("来源", max_length=10, choices=EntrySource.choices, default=EntrySource.PROPOSED)
    parcel = models.ForeignKey("land.Parcel", verbose_name="宗地", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="inventory_entries")
    parcels = models.ManyToManyField("land.Parcel", verbose_name="涉及宗地", blank=True, related_name="+")
    block_id = models.CharField("连片编号", max_length=20, blank=True)
    label = models.CharField("地块", max_length=300)
    holders = models.CharField("土地使用权人", max_length=500, blank=True)
    area_m2 = models.DecimalField("面积（平方米）", max_digits=14, decimal_places=2)
    status = models.CharField("状态", max_length=24, choices=ScreeningStatus.choices, blank=True)
    deemed_start = models.DateField("约定开工时间", null=True, blank=True)
    days_past_start = models.IntegerField("超期天数", null=True, blank=True)
    idle_fee_due = models.BooleanField("应征闲置费", default=False)
    free_recovery_due = models.BooleanField("可无偿收回", default=False)
    basis = models.JSONField("依据", default=list, blank=True)
    geometry = models.JSONField("范围（GeoJSON，CGCS2000 经纬度）", null=True, blank=True)
    included = models.BooleanField("列入清单", default=True)
    exclusion_reason = models.CharField("剔除原因", max_length=20, choices=ExclusionReason.choices, blank=True)
    exclusion_note = models.CharField("剔除说明", max_length=300, blank=True)
    add_reason = models.CharField("补充理由", max_length=300, blank=True)
    number = models.CharField("清单编号", max_length=30, blank=True)
    remarks = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope_township_path = "township"
    audit_exclude = ("created_at", "updated_at", "geometry", "basis")

    class Meta:
        verbose_name = "清单条目"
        verbose_name_plural = "清单条目"
        ordering = ["inventory_list_id", "number", "-area_m2", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inventory_list", "parcel"], condition=Q(kind="parcel"),
                                    name="inventory_entry_parcel_once"),
            models.UniqueConstraint(fields=["inventory_list", "block_id"], condition=~Q(block_id=""),
                                    name="inventory_entry_block_once"),
            models.CheckConstraint(condition=Q(included=True) | ~Q(exclusion_reason=""),
                                   name="inventory_entry_exclusion_has_reason"),
        ]
        indexes = [models.Index(fields=["number"], name="inventory_entry_number_idx")]

    def __str__(self) -> str:
        return self.number or self.label

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("screening:entry_detail", args=[self.pk])

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, None

    @property
    def area_mu(self):
        return m2_to_mu(self.area_m2)


class WorkPlanItem(models.Model):
    """R8: the year, route and responsible units of one inventory entry."""

    entry = models.OneToOneField(InventoryEntry, verbose_name="清单条目", on_delete=models.CASCADE,
                                 related_name="plan_item")
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("处置年度")
    route = models.CharField("处置路径", max_length=20, choices=Route.choices)
    responsible_township = models.ForeignKey("accounts.OrgUnit", verbose_name="责任乡镇（街道）", null=True,
                                             blank=True, on_delete=models.PROTECT, related_name="+")
    responsible_department = models.ForeignKey("accounts.OrgUnit", verbose_name="责任部门", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+")
    note = models.CharField("备注", max_length=300, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope_township_path = "township"
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "年度工作方案条目"
        verbose_name_plural = "年度工作方案条目"
        ordering = ["year", "entry__number"]

    def __str__(self) -> str:
        return f"{self.entry} {self.year} {self.get_route_display()}"

    def get_absolute_url(self) -> str:
        return self.entry.get_absolute_url()

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, None


class WorkPlanTarget(models.Model):
    """R8: a township's target for a year, in 亩 and m² of floor area."""

    campaign = models.ForeignKey("supervision.Campaign", verbose_name="行动", on_delete=models.CASCADE,
                                 related_name="work_plan_targets")
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", on_delete=models.PROTECT,
                                 related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    target_mu = models.DecimalField("盘活目标（亩）", max_digits=10, decimal_places=2, default=0)
    target_m2 = models.DecimalField("新开工厂房目标（平方米）", max_digits=12, decimal_places=2, default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager()
    scope_township_path = "township"
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "年度目标"
        verbose_name_plural = "年度目标"
        ordering = ["year", "township__code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "township", "year"], name="work_plan_target_unique")]

    def __str__(self) -> str:
        return f"{self.township} {self.year}"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, None
