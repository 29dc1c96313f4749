"""Base for Pandi's own commands: messages (including Django's validators) in Chinese."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


class PandiCommand(BaseCommand):
    def execute(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            return super().execute(*args, **options)

    def acting_user(self, username: str | None, *, who: str):
        """The user a command acts as: --user, or the only active administrator if there is exactly one.
        `who` names the role in the message (导入人, 发起人)."""
        from django.core.management.base import CommandError

        from pandi.accounts.models import User

        if username:
            account = User.objects.filter(username=username, is_active=True).first()
            if account is None:
                raise CommandError(f"用户“{username}”不存在或已停用")
            return account
        admins = list(User.objects.filter(is_active=True, memberships__role="admin", memberships__is_active=True)
                      .distinct()[:2])
        if len(admins) != 1:
            raise CommandError(f"请用 --user 指定{who}（系统中不止一名管理员或没有管理员）")
        return admins[0]
