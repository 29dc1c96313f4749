"""Writes for organisations, users, memberships, log-ins and API tokens. Every one is audited."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pandi.audit.services import record_change, record_event, snapshot
from pandi.core.permissions import require
from pandi.core.scope import forget_access
from pandi.core.services import model_create, model_update
from pandi.domain.access import OrgKind, Perm, Role, membership_problems
from pandi.domain.lockout import locked_until

from .models import ApiToken, LoginFailure, Membership, OrgUnit, User

ORG_FIELDS = ("code", "name", "short_name", "kind", "township_type", "area_km2", "boundary_geojson",
              "boundary_source", "contact_person", "contact_phone", "duties", "sort_order", "is_active")
USER_FIELDS = ("username", "full_name", "phone", "email", "is_active")


def _pick(data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    return data


# --- organisations -------------------------------------------------------------------------

@transaction.atomic
def orgunit_create(*, user: Any, data: dict[str, Any], check: bool = True) -> OrgUnit:
    if check:
        require(user, Perm.MANAGE_ORGS)
    return model_create(model=OrgUnit, user=user, data=_pick(data, ORG_FIELDS))


@transaction.atomic
def orgunit_update(*, user: Any, org: OrgUnit, data: dict[str, Any], check: bool = True) -> OrgUnit:
    if check:
        require(user, Perm.MANAGE_ORGS)
    if "kind" in data and data["kind"] != org.kind and org.memberships.filter(is_active=True).exists():
        raise ValidationError({"kind": "该机构下已有用户岗位，不能修改机构类型"})
    return model_update(obj=org, user=user, data=_pick(data, ORG_FIELDS))


# --- users and memberships ------------------------------------------------------------------

@transaction.atomic
def user_create(*, user: Any, data: dict[str, Any], password: str, must_change_password: bool = True,
                check: bool = True) -> User:
    """Create an account with an initial password (validated against the password rules)."""
    if check:
        require(user, Perm.MANAGE_USERS)
    data = _pick(data, USER_FIELDS)
    if User.objects.filter(username__iexact=data.get("username", "")).exists():
        raise ValidationError({"username": f"用户名“{data.get('username')}”已存在"})
    account = User(**data, must_change_password=must_change_password)
    validate_password(password, account)
    account.set_password(password)
    account.full_clean()
    account.save()
    record_change(obj=account, user=user, before=None)
    return account


@transaction.atomic
def user_update(*, user: Any, account: User, data: dict[str, Any], check: bool = True) -> User:
    if check:
        require(user, Perm.MANAGE_USERS)
    data = _pick(data, USER_FIELDS)
    if account.pk == getattr(user, "pk", None) and data.get("is_active") is False:
        raise ValidationError({"is_active": "不能停用自己的账号"})
    return model_update(obj=account, user=user, data=data)


@transaction.atomic
def user_reset_password(*, user: Any, account: User, password: str, check: bool = True) -> User:
    """An administrator sets a new password; the holder must change it at the next log-in."""
    if check:
        require(user, Perm.MANAGE_USERS)
    validate_password(password, account)
    account.set_password(password)
    account.must_change_password = True
    account.save(update_fields=["password", "must_change_password"])
    LoginFailure.objects.filter(username__iexact=account.username).delete()
    record_event(obj=account, user=user, event="password_reset", comment="管理员重置密码，下次登录须修改")
    return account


@transaction.atomic
def user_change_own_password(*, account: User, old_password: str, new_password: str) -> User:
    if not account.check_password(old_password):
        raise ValidationError({"old_password": "原密码不正确"})
    if old_password == new_password:
        raise ValidationError({"new_password1": "新密码不能与原密码相同"})
    validate_password(new_password, account)
    account.set_password(new_password)
    account.must_change_password = False
    account.save(update_fields=["password", "must_change_password"])
    record_event(obj=account, user=account, event="password_changed", comment="用户修改了自己的密码")
    return account


@transaction.atomic
def membership_add(*, user: Any, account: User, role: str, org_unit: OrgUnit | None = None,
                   enterprise: Any = None, title: str = "", check: bool = True) -> Membership:
    if check:
        require(user, Perm.MANAGE_USERS)
    role_enum = Role(role)
    problems = membership_problems(role_enum, OrgKind(org_unit.kind) if org_unit else None, enterprise is not None)
    if problems:
        raise ValidationError({"role": problems})
    existing = Membership.objects.filter(user=account, role=role, org_unit=org_unit, enterprise=enterprise).first()
    if existing is not None:
        if existing.is_active:
            raise ValidationError({"role": "该用户已有相同的岗位"})
        model_update(obj=existing, user=user, data={"is_active": True, "title": title})
        forget_access(account)
        return existing
    membership = model_create(model=Membership, user=user, data={
        "user": account, "role": role, "org_unit": org_unit, "enterprise": enterprise, "title": title,
    })
    forget_access(account)
    return membership


@transaction.atomic
def membership_deactivate(*, user: Any, membership: Membership, check: bool = True) -> Membership:
    if check:
        require(user, Perm.MANAGE_USERS)
    if membership.user_id == getattr(user, "pk", None) and membership.role == Role.ADMIN:
        raise ValidationError("不能撤销自己的系统管理员岗位")
    model_update(obj=membership, user=user, data={"is_active": False})
    forget_access(membership.user)
    return membership


# --- log-in lock-out -------------------------------------------------------------------------

def _window() -> timedelta:
    return timedelta(minutes=settings.PANDI_LOGIN_LOCK_MINUTES)


def login_locked_until(*, username: str, ip: str | None) -> Any:
    """When the lock on this user name (or this address) ends, or None."""
    now = timezone.now()
    since = now - _window()
    by_name = LoginFailure.objects.filter(username__iexact=username, at__gt=since).values_list("at", flat=True)
    until = locked_until(list(by_name), now=now, max_failures=settings.PANDI_LOGIN_MAX_FAILURES, window=_window())
    if ip:
        by_ip = LoginFailure.objects.filter(ip=ip, at__gt=since).values_list("at", flat=True)
        # an address gets more tries than one user name (a whole office may sit behind one gateway)
        until_ip = locked_until(list(by_ip), now=now, max_failures=settings.PANDI_LOGIN_MAX_FAILURES_PER_IP,
                                window=_window())
        until = max(filter(None, [until, until_ip]), default=None)
    return until


@transaction.atomic
def login_failed(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], ip=ip)
    account = User.objects.filter(username__iexact=username).first()
    if account is not None:
        record_event(obj=account, user=None, event="login_failed", comment=f"登录失败（来自 {ip or '未知地址'}）")


@transaction.atomic
def login_succeeded(*, account: User, ip: str | None) -> None:
    LoginFailure.objects.filter(username__iexact=account.username).delete()
    record_event(obj=account, user=account, event="login", comment=f"登录（来自 {ip or '未知地址'}）")


# --- API tokens ------------------------------------------------------------------------------

@transaction.atomic
def api_token_create(*, user: Any, name: str, days: int | None = 365) -> tuple[ApiToken, str]:
    """A new token for `user`. The key is returned once and only its hash is stored."""
    key = "pandi_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name, prefix=key[:12], key_hash=ApiToken.hash_key(key),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    token.full_clean()
    token.save()
    record_change(obj=token, user=user, before=None)
    return token, key


@transaction.atomic
def api_token_revoke(*, user: Any, token: ApiToken) -> ApiToken:
    before = snapshot(token)
    token.is_active = False
    token.save(update_fields=["is_active"])
    record_change(obj=token, user=user, before=before)
    return token


def api_token_user(key: str) -> User | None:
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=ApiToken.hash_key(key), is_active=True, user__is_active=True).first())
    if token is None or (token.expires_at and token.expires_at <= timezone.now()):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
