from decimal import Decimal

from django.db import models
from django.db.models import Q

from pandi.core.scope import ScopedManager
from pandi.domain.campaign import CampaignTerms


class Campaign(models.Model):
    """A reclamation drive (盘地行动): its dates and targets as data (R1, R6–R11, R18).

    Later modules read every deadline and threshold from here, so next year's drive or another
    district's is a new record, not a code change.
    """

    name = models.CharField("行动名称", max_length=200)
    code = models.SlugField("编号", max_length=40, unique=True)
    district_name = models.CharField("区县", max_length=50, default="金东区")
    document_no = models.CharField("方案文号", max_length=100, blank=True)
    start = models.DateField("开始日期")
    survey_deadline = models.DateField("排摸清单截止日期", help_text="R6：区级清单（≥20 亩）于 4 月底前完成")
    work_plan_deadline = models.DateField("年度工作方案截止日期", help_text="R8：5 月底前")
    rectification_start_deadline = models.DateField("整改启动截止日期", help_text="R11：6 月底前启动整改")
    rectification_months = models.PositiveSmallIntegerField("整改期限（月）", default=12,
                                                            help_text="R11：原则上 1 年内完成")
    horizon_months = models.PositiveSmallIntegerField("行动周期（月）", default=24, help_text="R1：两年内")
    target_reclaimed_mu = models.DecimalField("盘活闲置工业用地目标（亩）", max_digits=10, decimal_places=2,
                                              default=Decimal("2000"))
    target_floor_area_m2 = models.DecimalField("新开工工业厂房面积目标（平方米）", max_digits=12, decimal_places=2,
                                               default=Decimal("1600000"))
    annual_acquisition_mu = models.DecimalField("国企年度收购收储目标（亩）", max_digits=10, decimal_places=2,
                                                default=Decimal("300"))
    annual_lease_m2 = models.DecimalField("国企年度承租闲置厂房目标（平方米）", max_digits=12, decimal_places=2,
                                          default=Decimal("50000"))
    district_list_min_mu = models.DecimalField("区级清单面积门槛（亩）", max_digits=8, decimal_places=2,
                                               default=Decimal("20"))
    township_list_min_mu = models.DecimalField("乡镇清单连片面积门槛（亩）", max_digits=8, decimal_places=2,
                                               default=Decimal("5"))
    is_current = models.BooleanField("当前行动", default=False)
    notes = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_public = True
    objects = ScopedManager()
    audit_exclude = ("created_at", "updated_at")

    class Meta:
        verbose_name = "盘地行动"
        verbose_name_plural = "盘地行动"
        ordering = ["-start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True),
                                    name="campaign_single_current"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("supervision:campaign_detail", args=[self.pk])

    def terms(self) -> CampaignTerms:
        return CampaignTerms(
            start=self.start,
            survey_deadline=self.survey_deadline,
            work_plan_deadline=self.work_plan_deadline,
            rectification_start_deadline=self.rectification_start_deadline,
            rectification_months=self.rectification_months,
            horizon_months=self.horizon_months,
            target_reclaimed_mu=self.target_reclaimed_mu,
            target_floor_area_m2=self.target_floor_area_m2,
            annual_acquisition_mu=self.annual_acquisition_mu,
            annual_lease_m2=self.annual_lease_m2,
            district_list_min_mu=self.district_list_min_mu,
            township_list_min_mu=self.township_list_min_mu,
        )

    @property
    def end(self):
        return self.terms().end

    @property
    def rectification_end(self):
        return self.terms().rectification_end

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from pandi.domain.campaign import campaign_problems

        required = ["start", "survey_deadline", "work_plan_deadline", "rectification_start_deadline"]
        if any(getattr(self, name) is None for name in required):
            return  # the field validators report the missing dates
        problems = campaign_problems(self.terms())
        if problems:
            raise ValidationError(problems)
