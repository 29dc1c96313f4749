from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils import timezone

from pandi.land.models import Enterprise

from .choices import RoleChoice
from .models import OrgUnit, User


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label="密码", strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache: User | None = None
        self.locked = False
        super().__init__(*args, **kwargs)

    def clean(self):
        from .services import login_failed, login_locked_until

        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        ip = getattr(self.request, "client_ip", None) if self.request else None
        until = login_locked_until(username=username, ip=ip)
        if until is not None:
            self.locked = True
            local = timezone.localtime(until)
            raise forms.ValidationError(f"登录失败次数过多，账号已临时锁定，请于 {local:%H:%M} 后再试或联系管理员。",
                                        code="locked")
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            login_failed(username=username, ip=ip)
            raise forms.ValidationError("用户名或密码不正确。", code="invalid_login")
        return self.cleaned_data

    def get_user(self) -> User | None:
        return self.user_cache


class OwnPasswordForm(forms.Form):
    old_password = forms.CharField(label="原密码", strip=False, widget=forms.PasswordInput)
    new_password1 = forms.CharField(label="新密码", strip=False, widget=forms.PasswordInput,
                                    help_text=password_validators_help_text_html())
    new_password2 = forms.CharField(label="确认新密码", strip=False, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class ResetPasswordForm(forms.Form):
    password1 = forms.CharField(label="新密码", strip=False, widget=forms.PasswordInput,
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label="确认新密码", strip=False, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data


class OrgUnitForm(forms.ModelForm):
    boundary_file = forms.FileField(
        label="边界文件（GeoJSON）", required=False,
        help_text="可选。CGCS2000/WGS84 经纬度的 Polygon 或 MultiPolygon"
                  "（也可是只含一个要素的 Feature/FeatureCollection），上传后替换现有边界。",
    )

    def clean_boundary_file(self):
        import json

        from pandi.domain.geometry import boundary_problems, extract_geometry

        upload = self.cleaned_data.get("boundary_file")
        if not upload:
            return None
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("边界文件不能超过 5 MB")
        try:
            geometry = extract_geometry(json.loads(upload.read().decode("utf-8-sig")))
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("边界文件应为 UTF-8 编码的 GeoJSON") from exc
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"边界文件不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列") from exc
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        problems = boundary_problems(geometry)
        if problems:
            raise forms.ValidationError(problems)
        return {"geometry": geometry, "name": upload.name}

    class Meta:
        model = OrgUnit
        fields = ["code", "name", "short_name", "kind", "township_type", "area_km2", "contact_person",
                  "contact_phone", "duties", "sort_order", "is_active"]
        widgets = {"duties": forms.Textarea(attrs={"rows": 3})}


class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "full_name", "phone", "email", "is_active"]


class UserCreateForm(UserForm):
    password1 = forms.CharField(label="初始密码", strip=False, widget=forms.PasswordInput,
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label="确认初始密码", strip=False, widget=forms.PasswordInput)
    role = forms.ChoiceField(label="岗位角色", choices=RoleChoice.choices)
    org_unit = forms.ModelChoiceField(label="所属机构", queryset=OrgUnit.objects.filter(is_active=True),
                                      required=False, empty_label="（不选）")
    enterprise = forms.ModelChoiceField(label="所属企业（企业用户）", queryset=Enterprise.objects.all(),
                                        required=False, empty_label="（不选）")
    title = forms.CharField(label="职务", required=False, max_length=50)

    class Meta(UserForm.Meta):
        fields = ["username", "full_name", "phone", "email"]

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data


class MembershipForm(forms.Form):
    role = forms.ChoiceField(label="岗位角色", choices=RoleChoice.choices)
    org_unit = forms.ModelChoiceField(label="所属机构", queryset=OrgUnit.objects.filter(is_active=True),
                                      required=False, empty_label="（不选）")
    enterprise = forms.ModelChoiceField(label="所属企业（企业用户）", queryset=Enterprise.objects.all(),
                                        required=False, empty_label="（不选）")
    title = forms.CharField(label="职务", required=False, max_length=50)


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="用途", max_length=100, help_text="例如：数据交换平台同步")
    days = forms.IntegerField(label="有效期（天）", min_value=1, max_value=3650, initial=365)
