"""`pandi create-admin USERNAME`: the first administrator of a new installation, made through the
services (password rules, audit) with the administrator role in the leading-group office."""

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction

from pandi.accounts import services
from pandi.accounts.models import OrgUnit
from pandi.core.management.base import PandiCommand
from pandi.domain.access import OrgKind, Role


class Command(PandiCommand):
    help = "创建系统管理员账号（先运行 pandi setup-district）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--full-name", default="系统管理员")
        parser.add_argument("--org", default="LDXZB", help="机构代码（默认 LDXZB 领导小组办公室）")
        parser.add_argument("--password", help="不提供时交互输入")

    def handle(self, *args, username, full_name, org, password, **options):
        unit = OrgUnit.objects.filter(code=org).first()
        if unit is None:
            raise CommandError(f"机构代码“{org}”不存在，请先运行 pandi setup-district")
        if password is None:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致")
        try:
            with transaction.atomic():
                account = services.user_create(user=None, check=False, data={"username": username,
                                               "full_name": full_name}, password=password,
                                               must_change_password=False)
                services.membership_add(user=None, check=False, account=account, role=Role.ADMIN, org_unit=unit)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        kind = "乡镇" if unit.kind == OrgKind.TOWNSHIP else "机构"
        self.stdout.write(self.style.SUCCESS(f"已创建系统管理员 {username}（{kind}：{unit.name}）"))
