from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Enterprise


def enterprise_list(*, user: Any) -> QuerySet[Enterprise]:
    return Enterprise.objects.visible_to(user).select_related("township").order_by("name")
