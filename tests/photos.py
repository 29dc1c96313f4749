"""Small JPEGs for tests, made with Pillow, carrying the EXIF a phone camera writes: the time the
photo was taken (DateTimeOriginal) and where (the GPS IFD, degrees/minutes/seconds)."""

from __future__ import annotations

import io
from datetime import datetime

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return float(degrees), float(minutes), seconds


def jpeg(*, taken: datetime | None = None, lon: float | None = None, lat: float | None = None,
         size: tuple[int, int] = (64, 48), colour: tuple[int, int, int] = (90, 140, 200)) -> bytes:
    """A JPEG of `size` pixels; with EXIF DateTimeOriginal when `taken` is given and a GPS IFD when
    `lon` and `lat` are."""
    from PIL import Image

    img = Image.new("RGB", size, colour)
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if lon is not None and lat is not None:
        exif.get_ifd(GPS_IFD).update({1: "N" if lat >= 0 else "S", 2: _dms(lat),
                                      3: "E" if lon >= 0 else "W", 4: _dms(lon)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", **({"exif": exif.tobytes()} if taken is not None or lat is not None else {}))
    return buf.getvalue()
