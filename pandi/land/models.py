"""The land registry — the parcel spine (ARCHITECTURE.md): parcels, holders, supply contracts,
construction facts, buildings, 标准地 conditions and import batches."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from pandi.core.scope import ScopedManager
from pandi.domain.units import m2_to_mu
from pandi.domain.uscc import uscc_problem

from .choices import (
    AreaSource,
    GovernmentCauseItem,
    HoldingRole,
    IdleCause,
    ImportKind,
    ImportStatus,
    ParcelState,
    SupplyMethod,
)


def validate_uscc(value: str) -> None:
    problem = uscc_problem(value)
    if problem:
        raise ValidationError(problem)


POSITIVE = [MinValueValidator(0)]


class Enterprise(models.Model):
    """A land user (企业). Enterprise users see only their own enterprise's records."""

    name = models.CharField("企业名称", max_length=200, db_index=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True, validators=[validate_uscc])
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    contact_person = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    industry_code = models.CharField("行业代码（GB/T 4754）", max_length=10, blank=True)
    industry_name = models.CharField("行业名称", max_length=100, blank=True)
    above_scale = models.BooleanField("规上企业", default=False)
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="所在乡镇（街道）", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="enterprises",
                                 limit_choices_to={"kind": "township"})
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_township_path = "township"
    scope_enterprise_path = "pk"
    objects = ScopedManager()
    audit_exclude = ("created_at", "updated_at")

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="enterprise_unique_uscc"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("land:enterprise_detail", args=[self.pk])

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, self.pk


class ImportBatch(models.Model):
    """One import of one file: who, when, which file (name, hash), what happened (counts, issues)."""

    kind = models.CharField("导入类型", max_length=20, choices=ImportKind.choices)
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField("文件 SHA-256", max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField("文件大小（字节）", default=0)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    source = models.CharField("来源", max_length=20, default="web")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=ImportStatus.choices)
    valid_rows_only = models.BooleanField("仅导入有效行", default=False)
    crs = models.CharField("坐标系", max_length=50, blank=True)
    encoding = models.CharField("编码", max_length=20, blank=True)
    counts = models.JSONField("统计", default=dict, blank=True)
    issues = models.JSONField("问题清单", default=list, blank=True,
                              help_text="[{row, column, value, message, level}]，最多保存 5000 条")
    notes = models.TextField("说明", blank=True)

    scope_township_path = None  # district-level records: township users do not see import batches
    objects = ScopedManager()
    audit_exclude = ("issues",)

    class Meta:
        verbose_name = "导入批次"
        verbose_name_plural = "导入批次"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}（{self.started_at:%Y-%m-%d %H:%M}）"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("land:import_detail", args=[self.pk])


class Parcel(models.Model):
    """A parcel of land (宗地) — the spine everything else hangs on."""

    code = models.CharField("宗地编号", max_length=64, blank=True, db_index=True)
    supervision_no = models.CharField("电子监管号", max_length=32, blank=True, db_index=True)
    real_estate_unit_no = models.CharField("不动产单元号", max_length=40, blank=True)
    name = models.CharField("地块名称", max_length=200, blank=True)
    location = models.CharField("坐落", max_length=300, blank=True)
    township = models.ForeignKey("accounts.OrgUnit", verbose_name="乡镇（街道）", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="parcels",
                                 limit_choices_to={"kind": "township"})
    land_use = models.CharField("土地用途", max_length=40, default="工业用地", db_index=True)
    land_use_code = models.CharField("地类编码", max_length=10, blank=True)
    area_m2 = models.DecimalField("面积（平方米）", max_digits=14, decimal_places=2, null=True, blank=True,
                                  validators=POSITIVE)
    area_source = models.CharField("面积来源", max_length=10, choices=AreaSource.choices, default=AreaSource.LEDGER)
    geometry = models.JSONField("边界（GeoJSON，CGCS2000 经纬度）", null=True, blank=True)
    geometry_simple = models.JSONField("简化边界（地图用）", null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    centroid_lon = models.FloatField(null=True, blank=True, editable=False)
    centroid_lat = models.FloatField(null=True, blank=True, editable=False)
    state = models.CharField("状态", max_length=20, choices=ParcelState.choices, default=ParcelState.NO_SUPPLY,
                             db_index=True)
    state_as_of = models.DateField("状态日期", null=True, blank=True)
    buildings_surveyed = models.BooleanField("已做建筑物调查", default=False)
    supply_year = models.PositiveSmallIntegerField("供地年份", null=True, blank=True, db_index=True)
    holder_names = models.CharField("权利人（汇总）", max_length=500, blank=True, editable=False,
                                    help_text="现有使用权人和承租人名称，供检索")
    notes = models.TextField("备注", blank=True)
    import_batch = models.ForeignKey(ImportBatch, verbose_name="最近导入批次", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_township_path = "township"
    scope_enterprise_path = "holdings__enterprise"
    scope_enterprise_extra = {"holdings__is_current": True}
    scope_multivalued = "enterprise"
    objects = ScopedManager()
    audit_exclude = ("state", "geometry_simple", "min_lon", "min_lat", "max_lon", "max_lat", "centroid_lon",
                     "centroid_lat", "holder_names", "created_at", "updated_at", "state_as_of", "import_batch")

    class Meta:
        verbose_name = "宗地"
        verbose_name_plural = "宗地"
        ordering = ["township_id", "code", "supervision_no", "id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="parcel_unique_code"),
            models.UniqueConstraint(fields=["supervision_no"], condition=~Q(supervision_no=""),
                                    name="parcel_unique_supervision_no"),
            models.CheckConstraint(condition=~Q(code="") | ~Q(supervision_no=""), name="parcel_has_a_key"),
        ]
        indexes = [
            models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="parcel_bbox_idx"),
            models.Index(fields=["township", "state"], name="parcel_township_state_idx"),
            # covering index for the map's cluster grid (centroid in view, grouped by state)
            models.Index(fields=["centroid_lon", "centroid_lat", "state", "area_m2"], name="parcel_centroid_idx"),
        ]

    def __str__(self) -> str:
        return self.key + (f" {self.name}" if self.name else "")

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("land:parcel_detail", args=[self.pk])

    @property
    def key(self) -> str:
        """宗地编号 where known, else 电子监管号 (the parcel_code of screening.md)."""
        return self.code or self.supervision_no

    @property
    def area_mu(self):
        return m2_to_mu(self.area_m2) if self.area_m2 is not None else None

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, None


class Holding(models.Model):
    """An enterprise's hold on a parcel: right holder (使用权人) or lessee (承租人)."""

    parcel = models.ForeignKey(Parcel, verbose_name="宗地", on_delete=models.CASCADE, related_name="holdings")
    enterprise = models.ForeignKey(Enterprise, verbose_name="企业", on_delete=models.PROTECT, related_name="holdings")
    role = models.CharField("身份", max_length=20, choices=HoldingRole.choices, default=HoldingRole.RIGHT_HOLDER)
    share = models.DecimalField("份额（%）", max_digits=5, decimal_places=2, null=True, blank=True,
                                validators=[MinValueValidator(0), MaxValueValidator(100)])
    start = models.DateField("起始日期", null=True, blank=True)
    end = models.DateField("终止日期", null=True, blank=True)
    is_current = models.BooleanField("现行", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_township_path = "parcel__township"
    scope_enterprise_path = "enterprise"
    objects = ScopedManager()
    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "权利人"
        verbose_name_plural = "权利人"
        ordering = ["parcel_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "enterprise", "role"], condition=Q(is_current=True),
                                    name="holding_unique_current"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__isnull=True) | Q(end__gte=models.F("start")),
                name="holding_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_role_display()} · {self.parcel.key}"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.parcel.township_id, self.enterprise_id


class SupplyContract(models.Model):
    """A land supply (供地) record: every landchina field (rules.md §6) plus local ones."""

    parcel = models.ForeignKey(Parcel, verbose_name="宗地", on_delete=models.CASCADE, related_name="contracts")
    supervision_no = models.CharField("电子监管号", max_length=32, blank=True, db_index=True)
    district_text = models.CharField("行政区", max_length=50, blank=True)
    project_name = models.CharField("项目名称", max_length=300, blank=True)
    project_location = models.CharField("项目位置", max_length=300, blank=True)
    area_ha = models.DecimalField("面积（公顷）", max_digits=12, decimal_places=6, null=True, blank=True,
                                  validators=POSITIVE)
    land_source = models.CharField("土地来源", max_length=50, blank=True)
    land_use = models.CharField("土地用途", max_length=40, blank=True)
    supply_method = models.CharField("供地方式", max_length=10, choices=SupplyMethod.choices, blank=True)
    term_years = models.PositiveSmallIntegerField("土地使用年限", null=True, blank=True)
    industry = models.CharField("行业分类", max_length=100, blank=True)
    land_grade = models.CharField("土地级别", max_length=20, blank=True)
    price_wan = models.DecimalField("成交价格（万元）", max_digits=14, decimal_places=4, null=True, blank=True,
                                    validators=POSITIVE)
    holder_name = models.CharField("土地使用权人", max_length=300, blank=True)
    far_min = models.DecimalField("约定容积率下限", max_digits=6, decimal_places=2, null=True, blank=True,
                                  validators=POSITIVE)
    far_max = models.DecimalField("约定容积率上限", max_digits=6, decimal_places=2, null=True, blank=True,
                                  validators=POSITIVE)
    contract_date = models.DateField("合同签订日期", null=True, blank=True)
    agreed_handover = models.DateField("约定交地时间", null=True, blank=True)
    actual_handover = models.DateField("实际交地时间", null=True, blank=True)
    agreed_start = models.DateField("约定开工时间", null=True, blank=True)
    agreed_completion = models.DateField("约定竣工时间", null=True, blank=True)
    reported_start = models.DateField("实际开工时间（供地记录）", null=True, blank=True,
                                      help_text="landchina 登记的实际开工时间；认定以施工情况中的实际开工为准")
    reported_completion = models.DateField("实际竣工时间（供地记录）", null=True, blank=True)
    approval_authority = models.CharField("批准单位", max_length=100, blank=True)
    remarks = models.TextField("备注", blank=True)
    import_batch = models.ForeignKey(ImportBatch, verbose_name="导入批次", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_township_path = "parcel__township"
    scope_enterprise_path = "parcel__holdings__enterprise"
    scope_enterprise_extra = {"parcel__holdings__is_current": True}
    scope_multivalued = "enterprise"
    objects = ScopedManager()
    audit_exclude = ("created_at", "updated_at", "import_batch")

    class Meta:
        verbose_name = "供地记录"
        verbose_name_plural = "供地记录"
        ordering = ["parcel_id", "contract_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(far_min__isnull=True) | Q(far_max__isnull=True)
                                   | Q(far_max__gte=models.F("far_min")), name="contract_far_order"),
        ]

    def __str__(self) -> str:
        return f"供地 {self.supervision_no or self.parcel.key}（{self.holder_name or '权利人不详'}）"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.parcel.township_id, None


class Instalment(models.Model):
    """分期支付 of a supply contract."""

    contract = models.ForeignKey(SupplyContract, verbose_name="供地记录", on_delete=models.CASCADE,
                                 related_name="instalments")
    seq = models.PositiveSmallIntegerField("支付期号")
    due_date = models.DateField("约定支付日期", null=True, blank=True)
    amount_wan = models.DecimalField("约定支付金额（万元）", max_digits=14, decimal_places=4, null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "分期支付"
        verbose_name_plural = "分期支付"
        ordering = ["contract_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["contract", "seq"], name="instalment_unique_seq")]

    def __str__(self) -> str:
        return f"第 {self.seq} 期"


class ConstructionFacts(models.Model):
    """What has been built (53号令 Art. 30 start, completion, investment, suspension, idle cause)."""

    parcel = models.OneToOneField(Parcel, verbose_name="宗地", on_delete=models.CASCADE,
                                  related_name="construction")
    permit_no = models.CharField("施工许可证号", max_length=60, blank=True)
    permit_date = models.DateField("施工许可日期", null=True, blank=True)
    actual_start = models.DateField("实际开工日期", null=True, blank=True,
                                    help_text="53号令第三十条：取得施工许可且已开挖基槽、桩基全部完成或地基完成三分之一")
    actual_completion = models.DateField("实际竣工日期", null=True, blank=True)
    required_dev_area_m2 = models.DecimalField("应动工开发建设用地面积（平方米）", max_digits=14, decimal_places=2,
                                               null=True, blank=True, validators=POSITIVE)
    developed_area_m2 = models.DecimalField("已动工开发建设用地面积（平方米）", max_digits=14, decimal_places=2,
                                            null=True, blank=True, validators=POSITIVE)
    invested_wan = models.DecimalField("已投资额（万元）", max_digits=14, decimal_places=2, null=True, blank=True,
                                       validators=POSITIVE)
    total_investment_wan = models.DecimalField("总投资额（万元）", max_digits=14, decimal_places=2, null=True,
                                               blank=True, validators=POSITIVE)
    suspended_since = models.DateField("停工日期", null=True, blank=True)
    idle_cause = models.CharField("闲置原因", max_length=20, choices=IdleCause.choices, default=IdleCause.HOLDER)
    government_cause_item = models.PositiveSmallIntegerField("政府原因（第八条项目）", null=True, blank=True,
                                                             choices=GovernmentCauseItem.choices)
    notes = models.TextField("备注", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_township_path = "parcel__township"
    scope_enterprise_path = "parcel__holdings__enterprise"
    scope_enterprise_extra = {"parcel__holdings__is_current": True}
    scope_multivalued = "enterprise"
    objects = ScopedManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "施工情况"
        verbose_name_plural = "施工情况"
        constraints = [
            models.CheckConstraint(condition=Q(actual_completion__isnull=True) | Q(actual_start__isnull=True)
                                   | Q(actual_completion__gte=models.F("actual_start")),
                                   name="construction_completion_after_start"),
            models.CheckConstraint(condition=~Q(idle_cause="government") | Q(government_cause_item__isnull=False),
                                   name="construction_government_cause_has_item"),
        ]

    def __str__(self) -> str:
        return f"施工情况 {self.parcel.key}"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.parcel.township_id, None


class Building(models.Model):
    """A building footprint (建筑物轮廓) on a parcel."""

    parcel = models.ForeignKey(Parcel, verbose_name="宗地", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="buildings")
    geometry = models.JSONField("轮廓（GeoJSON，CGCS2000 经纬度）")
    footprint_m2 = models.DecimalField("占地面积（平方米）", max_digits=12, decimal_places=2, null=True, blank=True)
    floor_area_m2 = models.DecimalField("建筑面积（平方米）", max_digits=12, decimal_places=2, null=True, blank=True,
                                        validators=POSITIVE)
    storeys = models.PositiveSmallIntegerField("层数", null=True, blank=True)
    year_built = models.PositiveSmallIntegerField("建成年份", null=True, blank=True,
                                                  validators=[MinValueValidator(1900), MaxValueValidator(2100)])
    surveyed = models.BooleanField("实测", default=True)
    source_ref = models.CharField("来源编号", max_length=64, blank=True)
    import_batch = models.ForeignKey(ImportBatch, verbose_name="导入批次", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    min_lon = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lon = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_township_path = "parcel__township"
    scope_enterprise_path = "parcel__holdings__enterprise"
    scope_enterprise_extra = {"parcel__holdings__is_current": True}
    scope_multivalued = "enterprise"
    objects = ScopedManager()
    audit_exclude = ("geometry", "min_lon", "min_lat", "max_lon", "max_lat", "created_at", "import_batch")

    class Meta:
        verbose_name = "建筑物"
        verbose_name_plural = "建筑物"
        ordering = ["parcel_id", "id"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="building_bbox_idx")]

    def __str__(self) -> str:
        return f"建筑物 {self.source_ref or self.pk}"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return (self.parcel.township_id if self.parcel_id else None), None


class StandardLandConditions(models.Model):
    """标准地 conditions written into the investment agreement (rules.md §3.2; R19)."""

    parcel = models.OneToOneField(Parcel, verbose_name="宗地", on_delete=models.CASCADE,
                                  related_name="standard_conditions")
    agreement_no = models.CharField("投资建设协议编号", max_length=60, blank=True)
    industry_access = models.CharField("产业准入（行业代码）", max_length=200, blank=True,
                                       help_text="GB/T 4754 行业代码，多个用逗号分隔")
    investment_intensity_wan_per_mu = models.DecimalField("投资强度（万元/亩）", max_digits=10, decimal_places=2,
                                                          null=True, blank=True, validators=POSITIVE)
    far_min = models.DecimalField("容积率下限", max_digits=6, decimal_places=2, null=True, blank=True,
                                  validators=POSITIVE)
    far_max = models.DecimalField("容积率上限", max_digits=6, decimal_places=2, null=True, blank=True,
                                  validators=POSITIVE)
    construction_months = models.PositiveSmallIntegerField("建设期限（月）", null=True, blank=True)
    tax_per_mu_wan = models.DecimalField("亩均税收（万元/亩）", max_digits=10, decimal_places=2, null=True,
                                         blank=True, validators=POSITIVE)
    output_per_mu_wan = models.DecimalField("亩均产出（万元/亩）", max_digits=10, decimal_places=2, null=True,
                                            blank=True, validators=POSITIVE)
    energy_per_unit = models.DecimalField("单位能耗增加值（万元/吨标煤）", max_digits=10, decimal_places=2,
                                          null=True, blank=True, validators=POSITIVE)
    emission_per_unit = models.DecimalField("单位排放增加值（万元/吨）", max_digits=10, decimal_places=2, null=True,
                                            blank=True, validators=POSITIVE)
    notes = models.TextField("备注", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_township_path = "parcel__township"
    scope_enterprise_path = "parcel__holdings__enterprise"
    scope_enterprise_extra = {"parcel__holdings__is_current": True}
    scope_multivalued = "enterprise"
    objects = ScopedManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = "标准地条件"
        verbose_name_plural = "标准地条件"
        constraints = [
            models.CheckConstraint(condition=Q(far_min__isnull=True) | Q(far_max__isnull=True)
                                   | Q(far_max__gte=models.F("far_min")), name="standard_far_order"),
        ]

    def __str__(self) -> str:
        return f"标准地条件 {self.parcel.key}"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.parcel.township_id, None

