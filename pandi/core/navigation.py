"""The navigation, grouped by the areas of the plan. Each module adds its entries here; an entry
is shown only to users who hold its permission (None = everyone signed in)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django.urls import reverse
from django.utils.module_loading import import_string

from pandi.domain.access import Perm

from .scope import access_for


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: Perm | None = None
    exact: bool = False  # highlight only on this very page, not on pages below it
    internal: bool = False  # only for district-wide roles and township officers (not enterprise users)
    badge: str | None = None  # dotted path of a callable(user) -> int | None, drawn as a count next to the label


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
    NavSection("整改", (
        NavItem("整改方案", "rectification:plan_list", exact=True),
        NavItem("待办事项", "rectification:queue", badge="pandi.rectification.context_processors.queue_badge"),
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
            # called by the template only where the navigation is drawn (not for HTMX partials)
            badge = partial(import_string(item.badge), user) if item.badge else None
            items.append({"label": item.label, "url": url, "active": active, "badge": badge})
        if items:
            result.append({"label": section.label, "items": items})
    return result
