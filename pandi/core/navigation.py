"""The navigation, grouped by the areas of the plan. Each module adds its entries here; an entry
is shown only to users who hold its permission (None = everyone signed in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from pandi.domain.access import Perm

from .scope import access_for


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: Perm | None = None
    exact: bool = False  # highlight only on this very page, not on pages below it
    internal: bool = False  # only for district-wide roles and township officers (not enterprise users)


@dataclass(frozen=True)
class NavSection:
    label: str
    items: tuple[NavItem, ...]


SECTIONS: tuple[NavSection, ...] = (
    NavSection("行动总览", (
        NavItem("首页", "core:home"),
        NavItem("盘地行动", "supervision:campaign_list"),
    )),
    NavSection("土地台账与挂图", (
        NavItem("宗地", "land:parcel_list"),
        NavItem("企业", "land:enterprise_list"),
        NavItem("地图（挂图作战）", "land:map"),
        NavItem("数据导入", "land:import_list", Perm.IMPORT_LAND),
    )),
    NavSection("排摸与清单", (
        NavItem("排摸筛查", "screening:run_list", internal=True),
        NavItem("清单报送与审核", "screening:list_index", internal=True, exact=True),
        NavItem("正式清单", "screening:inventory", internal=True),
        NavItem("地块分布图", "screening:distribution_map", internal=True),
        NavItem("年度工作方案", "screening:workplan", internal=True, exact=True),
    )),
    NavSection("系统管理", (
        NavItem("组织机构", "accounts:org_list"),
        NavItem("用户与岗位", "accounts:user_list", Perm.VIEW_USERS),
        NavItem("审计日志", "audit:log", Perm.VIEW_AUDIT_LOG, exact=True),
    )),
)


def navigation_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    access = access_for(user)
    result = []
    for section in SECTIONS:
        items = []
        for item in section.items:
            if item.perm is not None and not access.can(item.perm):
                continue
            if item.internal and not (access.scope.district or access.scope.township_ids):
                continue
            url = reverse(item.url_name)
            active = current_path == url if url == "/" or item.exact else current_path.startswith(url)
            items.append({"label": item.label, "url": url, "active": active})
        if items:
            result.append({"label": section.label, "items": items})
    return result
