from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from pandi.core.scope import ScopedManager
from pandi.domain.uscc import uscc_problem


def validate_uscc(value: str) -> None:
    problem = uscc_problem(value)
    if problem:
        raise ValidationError(problem)


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

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return self.township_id, self.pk
