from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q

from pandi.core.scope import ScopedManager, ScopedQuerySet
from pandi.domain.access import OrgKind, Scope

from .choices import OrgKindChoice, RoleChoice, TownshipType


class OrgUnitQuerySet(ScopedQuerySet):
    def townships(self) -> OrgUnitQuerySet:
        return self.filter(kind=OrgKind.TOWNSHIP, is_active=True)


class OrgUnit(models.Model):
    """An organisation taking part in the drive: a township/subdistrict, a district department,
    a state-owned company, the court liaison, the supervision office or the leading group."""

    code = models.CharField("机构代码", max_length=20, unique=True,
                            help_text="乡镇（街道）用国家统计局 9 位区划代码；部门用简码，如 JSJ")
    name = models.CharField("名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True)
    kind = models.CharField("机构类型", max_length=20, choices=OrgKindChoice.choices)
    township_type = models.CharField("乡镇类型", max_length=4, choices=TownshipType.choices, blank=True)
    area_km2 = models.DecimalField("面积（平方千米）", max_digits=9, decimal_places=2, null=True, blank=True)
    boundary_geojson = models.JSONField("边界（GeoJSON，CGCS2000 经纬度）", null=True, blank=True)
    boundary_source = models.CharField("边界来源", max_length=200, blank=True)
    contact_person = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    duties = models.TextField("职责", blank=True)
    sort_order = models.PositiveIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ScopedManager.from_queryset(OrgUnitQuerySet)()
    audit_exclude = ("created_at", "updated_at")

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=OrgKind.TOWNSHIP) | Q(township_type=""),
                name="orgunit_township_type_only_for_townships",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("accounts:org_detail", args=[self.pk])

    @property
    def is_township(self) -> bool:
        return self.kind == OrgKind.TOWNSHIP

    @classmethod
    def scope_filter(cls, scope: Scope, user: Any) -> Q | None:
        """Departments and other district units are reference data; a township is visible only
        to its own officers (and to district-wide users)."""
        if scope.district:
            return None
        return ~Q(kind=OrgKind.TOWNSHIP) | Q(pk__in=sorted(scope.township_ids))

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        return (self.pk if self.is_township else None), None


class UserQuerySet(ScopedQuerySet):
    pass


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in. What they see and do comes from their memberships."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects = UserManager()
    audit_exclude = ("password", "last_login", "first_name", "last_name", "date_joined")

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("accounts:user_detail", args=[self.pk])

    @classmethod
    def scope_filter(cls, scope: Scope, user: Any) -> Q | None:
        """District-wide users see all accounts; a township officer sees the accounts of their
        township; everyone sees their own account."""
        if scope.district:
            return None
        q = Q(pk=user.pk)
        if scope.township_ids:
            q |= Q(memberships__org_unit_id__in=sorted(scope.township_ids), memberships__is_active=True)
        if scope.enterprise_ids:
            q |= Q(memberships__enterprise_id__in=sorted(scope.enterprise_ids), memberships__is_active=True)
        return q

    scope_multivalued = True

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        m = self.memberships.filter(is_active=True).order_by("id").first() if self.pk else None
        if m is None:
            return None, None
        township = m.org_unit_id if m.org_unit_id and m.org_unit.kind == OrgKind.TOWNSHIP else None
        return township, m.enterprise_id


class Membership(models.Model):
    """A user's role in an organisation (or, for enterprise users, in an enterprise)."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=30, choices=RoleChoice.choices)
    org_unit = models.ForeignKey(OrgUnit, verbose_name="所属机构", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="memberships")
    enterprise = models.ForeignKey("land.Enterprise", verbose_name="所属企业", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="memberships")
    title = models.CharField("职务", max_length=50, blank=True)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_township_path = "org_unit"
    scope_enterprise_path = "enterprise"
    objects = ScopedManager()
    audit_exclude = ("created_at",)

    class Meta:
        verbose_name = "岗位"
        verbose_name_plural = "岗位"
        ordering = ["user_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org_unit"], condition=Q(enterprise__isnull=True),
                                    name="membership_unique_org_role"),
            models.UniqueConstraint(fields=["user", "role", "enterprise"], condition=Q(enterprise__isnull=False),
                                    name="membership_unique_enterprise_role"),
            models.CheckConstraint(condition=Q(org_unit__isnull=False) | Q(enterprise__isnull=False),
                                   name="membership_has_org_or_enterprise"),
        ]

    def __str__(self) -> str:
        where = self.org_unit or self.enterprise
        return f"{self.user.username} · {self.get_role_display()} · {where}"

    def audit_scope_refs(self) -> tuple[int | None, int | None]:
        township = self.org_unit_id if self.org_unit_id and self.org_unit.kind == OrgKind.TOWNSHIP else None
        return township, self.enterprise_id


class LoginFailure(models.Model):
    """A failed login, kept to lock out guessing (per user name and per address)."""

    username = models.CharField("用户名", max_length=150, db_index=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True, db_index=True)
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "登录失败记录"
        verbose_name_plural = "登录失败记录"

    def __str__(self) -> str:
        return f"{self.username} @ {self.ip} {self.at:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A bearer token for machine clients of the API; only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField("前缀", max_length=12, db_index=True)
    key_hash = models.CharField("摘要", max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    is_active = models.BooleanField("有效", default=True)

    scope_township_path = None
    objects = ScopedManager()
    audit_exclude = ("key_hash", "last_used_at", "created_at")

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def scope_filter(cls, scope: Scope, user: Any) -> Q | None:
        return Q(user_id=user.pk)
