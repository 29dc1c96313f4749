from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from pandi.core.scope import ScopedManager


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    EVENT = "event", "操作"


class AuditEntry(models.Model):
    """One write to a business record: who, when, from where, what changed (before and after).

    Scope references are plain integers, not foreign keys, so the history outlives the record.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("操作人姓名", max_length=150, blank=True)
    source = models.CharField("来源", max_length=20, default="system")
    request_id = models.CharField("请求编号", max_length=32, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    action = models.CharField("动作", max_length=10, choices=AuditAction.choices)
    event = models.CharField("事件", max_length=60, blank=True)
    content_type = models.ForeignKey(ContentType, verbose_name="记录类型", on_delete=models.PROTECT)
    object_id = models.CharField("记录编号", max_length=64)
    object_repr = models.CharField("记录", max_length=255)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    changes = models.JSONField("变更明细", default=list, blank=True)
    comment = models.TextField("说明", blank=True)
    township_ref = models.BigIntegerField("所属乡镇（编号）", null=True, blank=True, db_index=True)
    enterprise_ref = models.BigIntegerField("所属企业（编号）", null=True, blank=True, db_index=True)

    scope_township_path = "township_ref"
    scope_enterprise_path = "enterprise_ref"

    objects = ScopedManager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '系统'} {self.get_action_display()} {self.object_repr}"

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)


SOURCE_LABELS = {
    "web": "网页",
    "api": "接口",
    "cli": "命令行",
    "import": "导入",
    "seed": "演示数据",
    "system": "系统",
    "tick": "定时任务",
}
