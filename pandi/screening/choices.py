from django.db import models

from pandi.domain.idle import IDLE_STATUS_LABELS, IdleStatus


class ScreeningStatus(models.TextChoices):
    WITHIN_PERIOD = IdleStatus.WITHIN_PERIOD.value, IDLE_STATUS_LABELS[IdleStatus.WITHIN_PERIOD]
    OVERDUE_NOT_STARTED = IdleStatus.OVERDUE_NOT_STARTED.value, IDLE_STATUS_LABELS[IdleStatus.OVERDUE_NOT_STARTED]
    IDLE_NOT_STARTED = IdleStatus.IDLE_NOT_STARTED.value, IDLE_STATUS_LABELS[IdleStatus.IDLE_NOT_STARTED]
    STALLED_CANDIDATE = IdleStatus.STALLED_CANDIDATE.value, IDLE_STATUS_LABELS[IdleStatus.STALLED_CANDIDATE]
    UNDER_CONSTRUCTION = IdleStatus.UNDER_CONSTRUCTION.value, IDLE_STATUS_LABELS[IdleStatus.UNDER_CONSTRUCTION]
    COMPLETED = IdleStatus.COMPLETED.value, IDLE_STATUS_LABELS[IdleStatus.COMPLETED]
    UNKNOWN = IdleStatus.UNKNOWN.value, IDLE_STATUS_LABELS[IdleStatus.UNKNOWN]


# short labels for tables, badges and the printed map
STATUS_SHORT = {
    "within_period": "未到期",
    "overdue_not_started": "超期未动工",
    "idle_not_started": "闲置满一年",
    "stalled_candidate": "中止开发（待核定）",
    "under_construction": "在建",
    "completed": "已竣工",
    "unknown": "日期不详",
}


class ListKind(models.TextChoices):
    DISTRICT = "district", "区级清单（≥20亩）"
    TOWNSHIP = "township", "乡镇连片空闲地块清单（≥5亩）"


class ListStatus(models.TextChoices):
    DRAFT = "draft", "待核实"
    SUBMITTED = "submitted", "已报送"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已确认"


class EntryKind(models.TextChoices):
    PARCEL = "parcel", "宗地"
    BLOCK = "block", "连片地块"


class EntrySource(models.TextChoices):
    PROPOSED = "proposed", "系统初筛"
    ADDED = "added", "乡镇补充"


class ExclusionReason(models.TextChoices):
    UNDER_CONSTRUCTION = "under_construction", "已有在建项目"
    PLANNING = "planning", "规划调整"
    DATA_ERROR = "data_error", "数据错误"
    REVITALISED = "revitalised", "已盘活处置"
    GOVERNMENT = "government", "政府原因（第八条）"
    OTHER = "other", "其他"


class Route(models.TextChoices):
    """R8 disposal routes (处置路径)."""

    SELF = "self", "企业自行整改"
    ACQUISITION = "acquisition", "国企收购收储"
    LEASE = "lease", "国企承租"
    JUDICIAL = "judicial", "司法处置"
    RECOVERY = "recovery", "依法收回"
    ENFORCEMENT = "enforcement", "执法整治"
