from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pandi.core.forms import apply_validation_error
from pandi.core.permissions import require
from pandi.core.scope import access_for, get_visible_or_404
from pandi.core.svg import svg_paths
from pandi.domain.access import Perm

from . import services
from .choices import OrgKindChoice, RoleChoice
from .forms import (
    ApiTokenForm,
    LoginForm,
    MembershipForm,
    OrgUnitForm,
    OwnPasswordForm,
    ResetPasswordForm,
    UserCreateForm,
    UserForm,
)
from .models import ApiToken, Membership, OrgUnit, User
from .selectors import org_list, org_members, township_list, user_list, user_memberships


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [("首页", reverse("core:home")), *items]


# --- authentication --------------------------------------------------------------------------

def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = form.get_user()
        login(request, account)
        services.login_succeeded(account=account, ip=getattr(request, "client_ip", None))
        target = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("core:home")
        return redirect(target)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")},
                  status=200 if not form.errors else 400 if not getattr(form, "locked", False) else 429)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("accounts:login")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = OwnPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_change_own_password(account=request.user, old_password=form.cleaned_data["old_password"],
                                              new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改。")
            return redirect("core:home")
    return render(request, "accounts/password_change.html", {
        "form": form, "breadcrumbs": _crumbs(("修改密码", None)),
    })


# --- organisations ---------------------------------------------------------------------------

@login_required
def org_list_view(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or None
    q = request.GET.get("q") or None
    orgs = org_list(user=request.user, kind=kind, q=q)
    ctx = {"orgs": orgs, "kind": kind or "", "q": q or "", "kinds": OrgKindChoice.choices,
           "can_manage": access_for(request.user).can(Perm.MANAGE_ORGS),
           "breadcrumbs": _crumbs(("组织机构", None))}
    if request.htmx:
        return render(request, "accounts/partials/_org_table.html", ctx)
    townships = [{"name": t.name, "url": reverse("accounts:org_detail", args=[t.pk]), "geometry": t.boundary_geojson}
                 for t in township_list(user=request.user) if t.boundary_geojson]
    ctx["district_map"] = svg_paths(townships, width=520, height=520) if townships else None
    return render(request, "accounts/org_list.html", ctx)


@login_required
def org_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_visible_or_404(OrgUnit.objects, request.user, pk=pk)
    shape = svg_paths([{"name": org.name, "geometry": org.boundary_geojson}], width=420, height=320) \
        if org.boundary_geojson else None
    return render(request, "accounts/org_detail.html", {
        "org": org, "members": org_members(user=request.user, org=org), "shape": shape,
        "can_manage": access_for(request.user).can(Perm.MANAGE_ORGS),
        "breadcrumbs": _crumbs(("组织机构", reverse("accounts:org_list")), (org.name, None)),
    })


def _org_form(request: HttpRequest, org: OrgUnit | None) -> HttpResponse:
    require(request.user, Perm.MANAGE_ORGS)
    form = OrgUnitForm(request.POST or None, request.FILES or None, instance=org)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if form.cleaned_data.get("boundary_file"):
            data["boundary_geojson"] = form.cleaned_data["boundary_file"]["geometry"]
            data["boundary_source"] = f"上传文件：{form.cleaned_data['boundary_file']['name']}"
        try:
            if org is None:
                org = services.orgunit_create(user=request.user, data=data)
            else:
                org = services.orgunit_update(user=request.user, org=OrgUnit.objects.get(pk=org.pk), data=data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"机构“{org.name}”已保存。")
            return redirect("accounts:org_detail", pk=org.pk)
    title = "新增机构" if org is None else f"编辑机构：{org.name}"
    crumbs = [("组织机构", reverse("accounts:org_list"))]
    if org is not None:
        crumbs.append((org.name, reverse("accounts:org_detail", args=[org.pk])))
    return render(request, "form_page.html", {"form": form, "title": title,
                                              "breadcrumbs": _crumbs(*crumbs, (title, None))})


@login_required
def org_create(request: HttpRequest) -> HttpResponse:
    return _org_form(request, None)


@login_required
def org_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_visible_or_404(OrgUnit.objects, request.user, pk=pk)
    return _org_form(request, org)


# --- users -----------------------------------------------------------------------------------

@login_required
def user_list_view(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.VIEW_USERS)
    params = {k: request.GET.get(k) or None for k in ("q", "role", "org", "active")}
    page = Paginator(user_list(user=request.user, **params), 50).get_page(request.GET.get("page"))
    ctx = {"page": page, "params": {k: v or "" for k, v in params.items()}, "roles": RoleChoice.choices,
           "orgs": org_list(user=request.user), "can_manage": access_for(request.user).can(Perm.MANAGE_USERS),
           "breadcrumbs": _crumbs(("用户与岗位", None))}
    if request.htmx:
        return render(request, "accounts/partials/_user_table.html", ctx)
    return render(request, "accounts/user_list.html", ctx)


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_visible_or_404(User.objects, request.user, pk=pk)
    access = access_for(request.user)
    return render(request, "accounts/user_detail.html", {
        "account": account, "memberships": user_memberships(account=account),
        "can_manage": access.can(Perm.MANAGE_USERS), "membership_form": MembershipForm(),
        "breadcrumbs": _crumbs(("用户与岗位", reverse("accounts:user_list") if access.can(Perm.VIEW_USERS) else None),
                               (str(account), None)),
    })


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Perm.MANAGE_USERS)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            with transaction.atomic():
                account = services.user_create(
                    user=request.user, password=cd["password1"],
                    data={k: cd[k] for k in ("username", "full_name", "phone", "email")},
                )
                services.membership_add(user=request.user, account=account, role=cd["role"],
                                        org_unit=cd["org_unit"], enterprise=cd["enterprise"], title=cd["title"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"用户“{account}”已创建，首次登录须修改密码。")
            return redirect("accounts:user_detail", pk=account.pk)
    return render(request, "form_page.html", {
        "form": form, "title": "新建用户",
        "breadcrumbs": _crumbs(("用户与岗位", reverse("accounts:user_list")), ("新建用户", None)),
    })


@login_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_visible_or_404(User.objects, request.user, pk=pk)
    require(request.user, Perm.MANAGE_USERS)
    form = UserForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(user=request.user, account=User.objects.get(pk=pk),
                                 data={k: form.cleaned_data[k] for k in UserForm.Meta.fields})
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "用户信息已保存。")
            return redirect("accounts:user_detail", pk=pk)
    return render(request, "form_page.html", {
        "form": form, "title": f"编辑用户：{account}",
        "breadcrumbs": _crumbs(("用户与岗位", reverse("accounts:user_list")),
                               (str(account), reverse("accounts:user_detail", args=[pk])), ("编辑", None)),
    })


@login_required
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_visible_or_404(User.objects, request.user, pk=pk)
    require(request.user, Perm.MANAGE_USERS)
    form = ResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_reset_password(user=request.user, account=account, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"已重置“{account}”的密码，该用户下次登录须修改密码。")
            return redirect("accounts:user_detail", pk=pk)
    return render(request, "form_page.html", {
        "form": form, "title": f"重置密码：{account}", "submit_label": "重置密码",
        "breadcrumbs": _crumbs(("用户与岗位", reverse("accounts:user_list")),
                               (str(account), reverse("accounts:user_detail", args=[pk])), ("重置密码", None)),
    })


@login_required
@require_POST
def membership_add(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_visible_or_404(User.objects, request.user, pk=pk)
    require(request.user, Perm.MANAGE_USERS)
    form = MembershipForm(request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.membership_add(user=request.user, account=account, role=cd["role"], org_unit=cd["org_unit"],
                                    enterprise=cd["enterprise"], title=cd["title"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "岗位已添加。")
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
    return redirect("accounts:user_detail", pk=pk)


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    account = get_visible_or_404(User.objects, request.user, pk=pk)
    membership = get_visible_or_404(Membership.objects.filter(user=account), request.user, pk=membership_pk)
    require(request.user, Perm.MANAGE_USERS)
    try:
        services.membership_deactivate(user=request.user, membership=membership)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "岗位已撤销。")
    return redirect("accounts:user_detail", pk=pk)


# --- API tokens (own) ------------------------------------------------------------------------

@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_token_create(user=request.user, name=form.cleaned_data["name"],
                                               days=form.cleaned_data["days"])
        form = ApiTokenForm()
    return render(request, "accounts/token_list.html", {
        "tokens": ApiToken.objects.visible_to(request.user), "form": form, "new_key": new_key,
        "breadcrumbs": _crumbs(("接口令牌", None)),
    })


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_visible_or_404(ApiToken.objects, request.user, pk=pk)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, f"令牌“{token.name}”已停用。")
    return redirect("accounts:token_list")
