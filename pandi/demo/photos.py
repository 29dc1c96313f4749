"""Site photos for the demo's progress reports: a drawn construction site (soil, a rising building,
a tower crane) with a camera-style date stamp and caption, saved as a JPEG whose EXIF carries the
time it was "taken" (DateTimeOriginal) and where (GPS), as a phone would write them.

Deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import io
import random
from datetime import datetime
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.TiffImagePlugin import IFDRational

WIDTH, HEIGHT = 640, 480
CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]


@lru_cache(maxsize=4)
def cjk_font(size: int) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, bool]:
    """A CJK font if the system has one (then captions may be Chinese), else Pillow's own."""
    for path in CJK_FONTS:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size), True
            except OSError:
                continue
    return ImageFont.load_default(size=size), False


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = Fraction((value - d - m / 60) * 3600).limit_denominator(10000)
    return IFDRational(d, 1), IFDRational(m, 1), IFDRational(s.numerator, s.denominator)


def _exif(taken: datetime | None, lon: float | None, lat: float | None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Pandi Demo"            # Make
    exif[0x0110] = "SiteCam"               # Model
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp               # DateTime
        exif[0x8769] = {0x9003: stamp, 0x9004: stamp}  # Exif IFD: DateTimeOriginal, DateTimeDigitized
    if lon is not None and lat is not None:
        exif[0x8825] = {                   # GPS IFD
            0: b"\x02\x03\x00\x00",
            1: "N" if lat >= 0 else "S", 2: _dms(lat),
            3: "E" if lon >= 0 else "W", 4: _dms(lon),
        }
    return exif


def site_photo(*, taken: datetime | None, lon: float | None, lat: float | None, stage: float = 0.5,
               caption: str = "", seed: str = "") -> bytes:
    """A JPEG of a construction site `stage` (0 = cleared ground, 1 = finished shell) of the way along,
    stamped with `taken` and `caption`; EXIF time and GPS as given (None leaves them out)."""
    rng = random.Random(f"{seed}|{taken}|{lon}|{lat}|{stage}")
    img = Image.new("RGB", (WIDTH, HEIGHT))
    d = ImageDraw.Draw(img)
    horizon = int(HEIGHT * rng.uniform(0.42, 0.5))
    haze = rng.randint(0, 25)
    for y in range(horizon):  # sky: deeper blue at the top, hazier near the horizon
        t = y / max(horizon, 1)
        d.line([(0, y), (WIDTH, y)], fill=(int(110 + 90 * t + haze), int(160 + 60 * t + haze), int(220 + 25 * t)))
    # distant hills and factory roofs
    for x0 in range(-40, WIDTH, rng.randint(90, 140)):
        h = rng.randint(20, 50)
        d.polygon([(x0, horizon), (x0 + 80, horizon - h), (x0 + 170, horizon)], fill=(120, 150, 130))
    for _ in range(4):
        x = rng.randint(0, WIDTH - 90)
        w, h = rng.randint(50, 90), rng.randint(14, 28)
        d.rectangle([x, horizon - h, x + w, horizon], fill=(200, 203, 208), outline=(160, 160, 165))
    # ground: soil with tyre tracks
    for y in range(horizon, HEIGHT):
        t = (y - horizon) / (HEIGHT - horizon)
        d.line([(0, y), (WIDTH, y)], fill=(int(150 - 30 * t), int(120 - 30 * t), int(85 - 25 * t)))
    for _ in range(6):
        x = rng.randint(0, WIDTH)
        d.line([(x, HEIGHT), (x + rng.randint(-200, 200), horizon + 10)], fill=(115, 92, 66), width=3)
    # the building: a pit, then columns, then floors and walls
    left, right = int(WIDTH * 0.22), int(WIDTH * 0.72)
    base = horizon + int((HEIGHT - horizon) * 0.45)
    stage = max(0.0, min(1.0, stage))
    if stage < 0.15:
        d.rectangle([left, base - 6, right, base + 20], fill=(95, 80, 62), outline=(70, 60, 50))
        for x in range(left + 10, right, 24):
            d.line([(x, base - 6), (x, base - 22)], fill=(90, 90, 95), width=3)  # piles
    else:
        storeys = max(1, round(stage * 5))
        top = base - storeys * 34
        if stage > 0.55:  # walls going up behind the frame
            walls = base - int((storeys * 34) * min(1.0, (stage - 0.45) * 1.8))
            d.rectangle([left, walls, right, base], fill=(214, 214, 206))
            for x in range(left + 14, right - 20, 38):
                for y in range(walls + 10, base - 20, 34):
                    d.rectangle([x, y, x + 18, y + 14], fill=(95, 125, 150))
        for x in range(left, right + 1, (right - left) // 6):
            d.line([(x, base), (x, top)], fill=(120, 122, 128), width=5)
        for y in range(base, top - 1, -34):
            d.line([(left, y), (right, y)], fill=(120, 122, 128), width=4)
        if stage >= 0.95:
            d.polygon([(left - 8, top), (right + 8, top), (right - 10, top - 18), (left + 10, top - 18)],
                      fill=(70, 110, 160))
    # a tower crane while building
    if stage < 0.95:
        cx = int(WIDTH * rng.uniform(0.76, 0.86))
        ctop = horizon - int(HEIGHT * 0.3)
        d.line([(cx, base + 10), (cx, ctop)], fill=(230, 180, 30), width=6)
        d.line([(cx - 190, ctop + 8), (cx + 50, ctop + 8)], fill=(230, 180, 30), width=5)
        hook = cx - rng.randint(60, 170)
        d.line([(hook, ctop + 8), (hook, ctop + rng.randint(60, 140))], fill=(60, 60, 60), width=1)
    # a pile of material and a site hoarding
    px = rng.randint(20, 120)
    d.polygon([(px, HEIGHT - 40), (px + 70, HEIGHT - 40), (px + 35, HEIGHT - 75)], fill=(170, 160, 140))
    d.rectangle([0, HEIGHT - 28, WIDTH, HEIGHT - 18], fill=(40, 110, 170))
    # the camera's stamp: date and time, place, caption
    stamp_font, _ = cjk_font(20)
    small, cjk = cjk_font(16)
    lines = []
    if taken is not None:
        lines.append((taken.strftime("%Y-%m-%d %H:%M"), stamp_font))
    if lon is not None and lat is not None:
        lines.append((f"N{lat:.5f}  E{lon:.5f}", small))
    if caption and (cjk or caption.isascii()):
        lines.append((caption, small))
    y = 12
    for text, font in lines:
        d.text((14, y), text, fill=(255, 210, 60), font=font, stroke_width=2, stroke_fill=(30, 30, 30))
        y += 26
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, exif=_exif(taken, lon, lat))
    return out.getvalue()
