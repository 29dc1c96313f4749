from django.conf import settings
from django.http import HttpRequest

from pandi.domain.access import ROLE_LABELS

from .navigation import navigation_for
from .scope import access_for


def pandi(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"district_name": settings.PANDI_DISTRICT_NAME}
    access = access_for(user)
    return {
        "district_name": settings.PANDI_DISTRICT_NAME,
        "nav_sections": navigation_for(user, request.path),
        "user_access": access,
        "user_role_labels": [ROLE_LABELS[r] for r in sorted(access.roles)],
    }
