"""`pandi tick`: the scheduler entry (cron or a systemd timer, e.g. every hour). Idempotent.

Each module adds its periodic work to TASKS (reminders, monthly snapshots, …).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from pandi.core.auditctx import audit_context
from pandi.core.management.base import PandiCommand


def purge_login_failures(now) -> str:
    from pandi.accounts.models import LoginFailure

    deleted, _ = LoginFailure.objects.filter(at__lt=now - timedelta(days=30)).delete()
    return f"清理 30 天前的登录失败记录 {deleted} 条"


def expire_api_tokens(now) -> str:
    from pandi.accounts.models import ApiToken

    count = ApiToken.objects.filter(is_active=True, expires_at__lt=now).update(is_active=False)
    return f"停用已过期的接口令牌 {count} 个"


def clear_expired_sessions(now) -> str:
    from django.contrib.sessions.models import Session

    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return f"清理过期会话 {deleted} 个"


def refresh_parcel_states(now) -> str:
    from pandi.land.services import parcels_refresh_states

    return f"更新宗地状态（约定开工日期已到等）{parcels_refresh_states()} 宗"


def refresh_rectification_queue(now) -> str:
    from pandi.rectification.services import queue_refresh

    c = queue_refresh(today=timezone.localdate(now))
    return (f"更新整改待办事项：新增 {c['opened']} 项，办结 {c['resolved']} 项；"
            f"方案转为整改中 {c['started']} 个，转为逾期 {c['overdue']} 个")


TASKS = [purge_login_failures, expire_api_tokens, clear_expired_sessions, refresh_parcel_states,
         refresh_rectification_queue]


class Command(PandiCommand):
    help = "定时任务入口（建议每小时运行一次），可安全重复运行"

    def handle(self, *args, **options):
        now = timezone.now()
        with audit_context("tick"):
            for task in TASKS:
                self.stdout.write(f"  · {task(now)}")
        self.stdout.write(self.style.SUCCESS("定时任务完成"))
