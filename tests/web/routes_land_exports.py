"""Routes of the land registry exports: every signed-in role may export; what it gets is scoped
(a township officer's export holds only their township, an enterprise user's only their parcels)."""

from __future__ import annotations

from .routes import ALL, Route

LAND_EXPORT_ROUTES: list[Route] = [
    Route("land:parcel_export", lambda w: {"fmt": "geojson"}, visible=ALL, allowed=ALL),
    Route("land:parcel_export", lambda w: {"fmt": "xlsx"}, visible=ALL, allowed=ALL),
    Route("land:parcel_export", lambda w: {"fmt": "gpkg"}, visible=ALL, allowed=ALL),
    Route("land:parcel_export", lambda w: {"fmt": "shp"}, visible=ALL, allowed=ALL),
    Route("land:enterprise_export", visible=ALL, allowed=ALL),
]
