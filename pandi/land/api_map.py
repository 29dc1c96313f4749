"""Map data for the Leaflet island: parcels by bounding box, simplified by zoom, scoped."""

from ninja import Router

router = Router(tags=["地图数据"])
