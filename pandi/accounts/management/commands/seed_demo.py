"""`pandi seed-demo`: the demo district of 金东区, built through the services (validated, audited).

Deterministic and re-runnable: a second run changes nothing (and writes no audit rows) unless
someone edited the demo records in between, in which case it puts them back.
"""

from __future__ import annotations

from pandi.core.auditctx import audit_context
from pandi.core.management.base import PandiCommand
from pandi.demo.seed import DEMO_PASSWORD, seed_demo


class Command(PandiCommand):
    help = "载入金东区演示数据（机构、每个角色的用户、当前盘地行动），可重复运行"

    def add_arguments(self, parser):
        parser.add_argument("--skip-land", action="store_true", help="只载入机构、用户和行动，不生成宗地")

    def handle(self, *args, skip_land=False, **options):
        with audit_context("seed"):
            result = seed_demo(progress=lambda msg: self.stdout.write(f"  · {msg}"), with_land=not skip_land)
        self.stdout.write(self.style.SUCCESS(
            f"演示数据就绪：{result.orgs} 个机构，{result.users} 个用户，当前行动“{result.campaign}”。"))
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        width = max(len(a.username) for a in result.accounts) + 2
        self.stdout.write(f"  {'用户名'.ljust(width - 2)}  角色 · 机构")
        for a in result.accounts:
            self.stdout.write(f"  {a.username.ljust(width)}{a.role_label} · {a.where}")
        self.stdout.write("")
        self.stdout.write("打开 http://127.0.0.1:8000 用上述任一账号登录。")
