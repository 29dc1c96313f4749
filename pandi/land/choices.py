from django.db import models

from pandi.domain.construction import STATE_LABELS, ConstructionState


class ParcelState(models.TextChoices):
    NO_SUPPLY = ConstructionState.NO_SUPPLY.value, STATE_LABELS[ConstructionState.NO_SUPPLY]
    NOT_DUE = ConstructionState.NOT_DUE.value, STATE_LABELS[ConstructionState.NOT_DUE]
    OVERDUE = ConstructionState.OVERDUE.value, STATE_LABELS[ConstructionState.OVERDUE]
    UNDER_CONSTRUCTION = ConstructionState.UNDER_CONSTRUCTION.value, STATE_LABELS[ConstructionState.UNDER_CONSTRUCTION]
    COMPLETED = ConstructionState.COMPLETED.value, STATE_LABELS[ConstructionState.COMPLETED]
    UNKNOWN = ConstructionState.UNKNOWN.value, STATE_LABELS[ConstructionState.UNKNOWN]


class HoldingRole(models.TextChoices):
    RIGHT_HOLDER = "right_holder", "土地使用权人"
    LESSEE = "lessee", "承租人"


class SupplyMethod(models.TextChoices):
    ALLOCATION = "划拨", "划拨"
    AGREEMENT = "协议出让", "协议出让"
    TENDER = "招标出让", "招标出让"
    AUCTION = "拍卖出让", "拍卖出让"
    LISTING = "挂牌出让", "挂牌出让"
    LEASE = "租赁", "租赁"
    OTHER = "其他", "其他"


class IdleCause(models.TextChoices):
    HOLDER = "holder", "企业原因"
    GOVERNMENT = "government", "政府原因"
    FORCE_MAJEURE = "force_majeure", "不可抗力"


class GovernmentCauseItem(models.IntegerChoices):
    """53号令 Art. 8 items (rules.md §1.2)."""

    ITEM1 = 1, "（一）未按约定期限、条件交付土地"
    ITEM2 = 2, "（二）规划修改致不能动工"
    ITEM3 = 3, "（三）国家出台政策致不能动工"
    ITEM4 = 4, "（四）军事管制、文物保护等致不能动工"
    ITEM5 = 5, "（五）政府、政府部门的其他行为"
    ITEM6 = 6, "（六）其他政府原因"


class ImportKind(models.TextChoices):
    SUPPLIES = "supplies", "供地台账"
    PARCELS = "parcels", "宗地边界"
    BUILDINGS = "buildings", "建筑物轮廓"


class ImportStatus(models.TextChoices):
    DRY_RUN = "dry_run", "试导入（未写入）"
    DONE = "done", "已导入"
    PARTIAL = "partial", "部分导入（仅有效行）"
    FAILED = "failed", "失败（未写入）"


class AreaSource(models.TextChoices):
    GEOMETRY = "geometry", "按边界计算"
    LEDGER = "ledger", "台账面积"
    MANUAL = "manual", "手工录入"
