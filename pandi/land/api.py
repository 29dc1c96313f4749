"""Land registry API (django-ninja): parcels, enterprises, supply contracts, construction facts,
imports. Scoped exactly like the pages (Model.objects.visible_to(user))."""

from ninja import Router

router = Router(tags=["土地与企业"])
