"""The printable 地块分布图 (distribution map of the inventory): one A3 landscape page, PNG or PDF.

Pure Python (matplotlib Agg, shapely, Pillow) — no Django — so views and the CLI can both call
`render_distribution_map`. Every call builds its own `Figure` and `FigureCanvasAgg`; pyplot and
matplotlib's rcParams are never touched, so calls are independent and thread-safe.

Geometry arrives as GeoJSON in CGCS2000 lon/lat (EPSG:4490) and is drawn in the ground CRS
(EPSG:4549, metres) at a round map scale (1:n), so the scale bar is true on the printed page.

PDF: the page is rendered to a raster at ≥ 200 dpi and wrapped in a one-page PDF by Pillow (JPEG,
quality 92, no chroma subsampling), with the page size set to exactly A3 landscape
(1190.55 × 841.89 pt). CJK fonts are therefore never embedded in the PDF, and what prints is
exactly what the PNG shows.

Fonts: a CJK font is looked up once per process (see `find_cjk_font`): the file named by the
environment variable PANDI_MAP_FONT (a missing file or one without Chinese glyphs is an error, not
silently skipped; a "…Bold…" file beside a "…Regular…" one is used for the title); known system
fonts (Noto Sans CJK — the SC face of the .ttc is extracted once to $TMPDIR/pandi-map-fonts so
Simplified Chinese glyph forms are used —, Source Han Sans, WenQuanYi, Droid Sans Fallback);
`fc-list :lang=zh`; finally the npm package `node-source-han-sans-sc` under
frontend/node_modules. None found → `MapFontMissing`.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.patches import Circle, PathPatch, Polygon, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.patheffects import withStroke
from matplotlib.textpath import TextToPath
from matplotlib.transforms import Affine2D
from PIL import Image
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from pandi.domain.geo import to_ground

__all__ = [
    "CRS_NOTE",
    "MapEntry",
    "MapFont",
    "MapFontMissing",
    "find_cjk_font",
    "overflow_note",
    "render_distribution_map",
    "table_rows_that_fit",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
Box = tuple[float, float, float, float]   # x0, y0, x1, y1 in paper mm

# --------------------------------------------------------------------------------------- fonts

FONT_MISSING_MESSAGE = ("未找到中文字体，无法生成地块分布图：请安装 fonts-noto-cjk，"
                        "或设置 PANDI_MAP_FONT 指向一个中文字体文件")


class MapFontMissing(RuntimeError):
    """No usable CJK font: the map cannot be drawn without tofu boxes."""

    def __init__(self, message: str = FONT_MISSING_MESSAGE):
        super().__init__(message)


@dataclass(frozen=True)
class MapFont:
    regular: Path
    bold: Path          # the regular face again when no bold face is known
    family: str
    source: str         # "PANDI_MAP_FONT", "system", "fc-list" or "npm"


# (regular, bold or None, preferred family inside a collection) — first usable wins
SYSTEM_FONT_CANDIDATES: list[tuple[str, str | None]] = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
     "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
     "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf"),
    ("/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Regular.otf",
     "/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Bold.otf"),
    ("/usr/share/fonts/adobe-source-han-sans/SourceHanSansSC-Regular.otf",
     "/usr/share/fonts/adobe-source-han-sans/SourceHanSansSC-Bold.otf"),
    ("/usr/share/fonts/opentype/adobe-source-han-sans/SourceHanSans-Regular.ttc",
     "/usr/share/fonts/opentype/adobe-source-han-sans/SourceHanSans-Bold.ttc"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", None),
    ("/usr/share/fonts/truetype/droid/DroidSansFallback.ttf", None),
]
NPM_FONT_DIR = REPO_ROOT / "frontend" / "node_modules" / "node-source-han-sans-sc"
_PROBE = "地块分布图乡镇闲置亩"

_font_lock = threading.Lock()


def find_cjk_font() -> MapFont:
    """The CJK font for the map (cached per PANDI_MAP_FONT value); raises MapFontMissing."""
    return _find_cjk_font(os.environ.get("PANDI_MAP_FONT", "").strip())


@lru_cache(maxsize=4)
def _find_cjk_font(env_path: str) -> MapFont:
    with _font_lock:
        font = _lookup(env_path)
        for path in {font.regular, font.bold}:
            fontManager.addfont(str(path))
        return font


def _lookup(env_path: str) -> MapFont:
    if env_path:
        p = Path(env_path).expanduser()
        if not p.is_file():
            raise MapFontMissing(f"PANDI_MAP_FONT 指向的字体文件不存在：{p}。{FONT_MISSING_MESSAGE}")
        regular = _usable_face(p)
        if regular is None:
            raise MapFontMissing(f"PANDI_MAP_FONT 指向的字体文件不含中文字形：{p}。{FONT_MISSING_MESSAGE}")
        sibling = p.with_name(p.name.replace("Regular", "Bold")) if "Regular" in p.name else None
        bold = _usable_face(sibling) if sibling is not None and sibling.is_file() else None
        return _make_font(regular, bold, "PANDI_MAP_FONT")
    for reg, bold in SYSTEM_FONT_CANDIDATES:
        face = _usable_face(Path(reg)) if Path(reg).is_file() else None
        if face is not None:
            bold_face = _usable_face(Path(bold)) if bold and Path(bold).is_file() else None
            return _make_font(face, bold_face, "system")
    for path, index in _fc_list_fonts():
        face = _usable_face(Path(path), index)
        if face is not None:
            return _make_font(face, None, "fc-list")
    reg, bold = NPM_FONT_DIR / "SourceHanSansSC-Regular.otf", NPM_FONT_DIR / "SourceHanSansSC-Bold.otf"
    face = _usable_face(reg) if reg.is_file() else None
    if face is not None:
        return _make_font(face, _usable_face(bold) if bold.is_file() else None, "npm")
    raise MapFontMissing()


def _make_font(regular: Path, bold: Path | None, source: str) -> MapFont:
    from matplotlib.ft2font import FT2Font

    return MapFont(regular=regular, bold=bold or regular, family=FT2Font(str(regular)).family_name, source=source)


def _fc_list_fonts() -> list[tuple[str, int | None]]:
    """(file, face index) of the fonts fontconfig knows for Chinese, Simplified Chinese first."""
    exe = shutil.which("fc-list")
    if not exe:
        return []
    try:
        out = subprocess.run([exe, ":lang=zh", "file", "index", "family"], capture_output=True, text=True,
                             timeout=15, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found: list[tuple[int, str, int | None]] = []
    for line in out.splitlines():
        path, _, rest = line.partition(": ")
        family, _, idx = rest.partition(":index=")
        if not path:
            continue
        rank = 0 if any(t in family for t in (" SC", "CN", "Hans", "GB")) else 2 if "Mono" in family else 1
        found.append((rank, path.strip(), int(idx) if idx.strip().isdigit() else None))
    found.sort(key=lambda r: r[0])
    return [(p, i) for _, p, i in found]


def _usable_face(path: Path, index: int | None = None) -> Path | None:
    """A single-face font file with CJK glyphs: the file itself, or for a collection (.ttc/.otc) the
    wanted face (given index, else the Simplified Chinese one) extracted to a cache file."""
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            path = _collection_face(path, index)
        from matplotlib.ft2font import FT2Font

        font = FT2Font(str(path))
        if all(font.get_char_index(ord(c)) for c in _PROBE):
            return path
    except Exception:
        return None
    return None


def _collection_face(path: Path, index: int | None) -> Path:
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(path), lazy=True)
    if index is None:
        index = 0
        for i, face in enumerate(coll.fonts):
            name = face["name"]
            family = str(name.getDebugName(16) or name.getDebugName(1) or "")
            if family.endswith(" SC") or " SC " in family or family.endswith("GB"):
                index = i
                break
    if index == 0:
        return path  # FreeType opens face 0 of a collection by default
    stat = path.stat()
    cache = Path(tempfile.gettempdir()) / "pandi-map-fonts"
    flavour = ".ttf" if "glyf" in coll.fonts[index] else ".otf"
    out = cache / f"{path.stem}-{index}-{stat.st_size}-{int(stat.st_mtime)}{flavour}"
    if not out.is_file():
        tmp = out.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            cache.mkdir(parents=True, exist_ok=True)
            coll.fonts[index].save(str(tmp))
            os.replace(tmp, out)
        except OSError:
            tmp.unlink(missing_ok=True)
            return path  # no writable cache: face 0 of the collection will do
    return out


# ------------------------------------------------------------------------------------- the page

CRS_NOTE = "坐标系：CGCS2000 3度带高斯-克吕格投影 CM120°E"
NO_ENTRIES = "本次无清单地块"

PAGE_W, PAGE_H = 420.0, 297.0                 # A3 landscape, mm
FRAME = 8.0                                   # the outer neat line
MARGIN = 12.0
MAP_X0, MAP_TOP, MAP_BOTTOM = MARGIN, 40.0, 278.0
MAP_W = round(0.62 * (PAGE_W - 2 * MARGIN))  # 246 mm
GUTTER = 8.0
TABLE_X0 = MAP_X0 + MAP_W + GUTTER
TABLE_W = PAGE_W - MARGIN - TABLE_X0          # 142 mm
FOOTER_Y = 283.6

PARCEL_FILL, PARCEL_EDGE = "#e31a1c", "#7a0000"
BLOCK_FILL, BLOCK_EDGE = "#ff9f1c", "#8a4b00"
KIND_STYLE = {"parcel": (PARCEL_FILL, PARCEL_EDGE), "block": (BLOCK_FILL, BLOCK_EDGE)}
FILL_ALPHA = 0.65
KIND_LEGEND = {"parcel": "区级清单地块（≥20亩）", "block": "乡镇连片空闲地块（≥5亩）"}
INK, GREY = "#1a1a1a", "#5c5c5c"
TOWNSHIP_LINE = "#6b6b6b"
DISTRICT_FILL, FOCUS_FILL, OTHER_FILL = "#f5f3ec", "#fbf9f2", "#e9e9e9"

LABEL_PT = 6.8            # 清单编号 on the map
TOWNSHIP_PT = 11.0
TABLE_PT, TABLE_WRAP_PT, TABLE_HEADER_PT = 6.9, 6.2, 7.2
PT_MM = 25.4 / 72.0

# the table: heading, column header, rows, total row and its breakdown line
TABLE_HEAD_H = 9.0
TABLE_HEADER_H = 7.0
TABLE_ROW_H = 5.6
TABLE_TOTAL_H = 6.6
TABLE_BREAKDOWN_H = 5.6
TABLE_CAPACITY = int((MAP_BOTTOM - MAP_TOP - TABLE_HEAD_H - TABLE_HEADER_H - TABLE_TOTAL_H - TABLE_BREAKDOWN_H)
                     // TABLE_ROW_H)
COLUMNS: list[tuple[str, float, str]] = [   # header, width (mm), alignment
    ("序号", 10.0, "center"),
    ("清单编号", 20.0, "left"),
    ("乡镇街道", 13.0, "left"),
    ("地块", 30.0, "left"),
    ("权利人", 31.0, "left"),
    ("面积(亩)", 12.5, "right"),
    ("状态", 0.0, "left"),               # the rest
]

NICE_SCALES = [1, 1.1, 1.2, 1.25, 1.4, 1.5, 1.6, 1.75, 1.8, 2, 2.25, 2.5, 2.8, 3, 3.5, 4, 4.5, 5, 6, 7, 7.5, 8, 9]


@dataclass(frozen=True)
class MapEntry:
    number: str            # 清单编号 — the label on the map and the first table column
    township: str | None
    label: str             # 宗地编号 or the block's description
    holder: str            # 土地使用权人 (may be "")
    area_mu: float
    status_label: str
    kind: str              # "parcel" (区级清单) or "block" (乡镇连片空闲地块)
    geometry: dict         # GeoJSON geometry, lon/lat


def table_rows_that_fit(n: int, capacity: int = TABLE_CAPACITY) -> int:
    """How many entry rows the table shows: all of them when they fit, else one row fewer than the
    capacity so the last line can say where the rest are (see `overflow_note`)."""
    if n <= capacity:
        return n
    return max(capacity - 1, 0)


def overflow_note(n: int, capacity: int = TABLE_CAPACITY) -> str | None:
    return f"另见清单附表（共 {n} 条）" if table_rows_that_fit(n, capacity) < n else None


def nice_scale(m_per_mm: float) -> int:
    """The smallest round scale denominator (1:n) at which `m_per_mm` metres fit in a paper mm."""
    need = max(m_per_mm * 1000.0, 1.0)
    exp = math.floor(math.log10(need))
    for e in (exp, exp + 1):
        for s in NICE_SCALES:
            if s * 10 ** e >= need * (1 - 1e-9):
                return round(s * 10 ** e)
    return round(need)  # pragma: no cover


def scale_bar_length(m_per_mm: float, target_mm: float = 45.0) -> float:
    """A round length in metres (1, 2 or 5 × 10ᵏ) drawn about `target_mm` long."""
    want = m_per_mm * target_mm
    exp = math.floor(math.log10(want))
    best = min((s * 10 ** e for e in (exp - 1, exp, exp + 1) for s in (1, 2, 5)),
               key=lambda v: abs(math.log(v / want)))
    return float(best)


def render_distribution_map(*, title: str, subtitle: str, townships: list[tuple[str, dict]],
                            entries: list[MapEntry], focus_township: str | None = None,
                            fmt: str = "png", dpi: int = 150, footer: str = "") -> bytes:
    """The 地块分布图 as PNG or PDF bytes (A3 landscape). PDF pages are rasterised at ≥ 200 dpi."""
    fmt = fmt.lower()
    if fmt not in ("png", "pdf"):
        raise ValueError(f"不支持的格式：{fmt}（应为 png 或 pdf）")
    if dpi < 50 or dpi > 600:
        raise ValueError(f"分辨率 {dpi} dpi 超出范围（50～600）")
    font = find_cjk_font()
    render_dpi = max(dpi, 200) if fmt == "pdf" else dpi
    page = _Page(font, render_dpi)
    page.draw(title=title, subtitle=subtitle, townships=townships, entries=list(entries),
              focus_township=focus_township, footer=footer)
    image = page.to_image()
    out = io.BytesIO()
    w_in, h_in = PAGE_W / 25.4, PAGE_H / 25.4
    page_dpi = (image.width / w_in, image.height / h_in)
    if fmt == "png":
        image.save(out, "PNG", dpi=page_dpi, compress_level=6)
    else:
        image.save(out, "PDF", dpi=page_dpi, quality=92, subsampling=0, title=title, author="盘地 Pandi",
                   creator="盘地 Pandi 地块分布图")
    return out.getvalue()


# ------------------------------------------------------------------------------------ internals

@dataclass
class _Feature:
    index: int
    entry: MapEntry
    geom: BaseGeometry | None          # ground CRS
    anchor: tuple[float, float] | None  # paper mm within the map panel
    size_mm: float                     # the larger side of its paper bbox
    radius: float                      # the marker (or half-size) radius around the anchor, mm


class _Page:
    def __init__(self, font: MapFont, dpi: int):
        self.font = font
        self.dpi = dpi
        self.fig = Figure(figsize=(PAGE_W / 25.4, PAGE_H / 25.4), dpi=dpi, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        # figure mm, y measured from the top of the page
        self.mm = Affine2D().scale(1 / 25.4, -1 / 25.4).translate(0, PAGE_H / 25.4) + self.fig.dpi_scale_trans
        self.t2p = TextToPath()

    # -- text helpers
    def fp(self, size: float, bold: bool = False) -> FontProperties:
        return FontProperties(fname=str(self.font.bold if bold else self.font.regular), size=size)

    def width_mm(self, text: str, size: float, bold: bool = False) -> float:
        if not text:
            return 0.0
        w, _, _ = self.t2p.get_text_width_height_descent(text, self.fp(size, bold), ismath=False)
        return w * PT_MM

    def fit(self, text: str, width: float, size: float, min_size: float, bold: bool = False) -> tuple[str, float]:
        """Shrink to fit `width` mm down to `min_size`, then cut with an ellipsis."""
        s = size
        while s > min_size and self.width_mm(text, s, bold) > width:
            s = max(min_size, s - 0.3)
        if self.width_mm(text, s, bold) <= width:
            return text, s
        cut = text
        while cut and self.width_mm(cut + "…", s, bold) > width:
            cut = cut[:-1]
        return (cut + "…" if cut else ""), s

    def wrap(self, text: str, width: float, size: float, *, bold: bool = False, max_lines: int = 2) -> list[str]:
        """Greedy line breaks (CJK breaks anywhere); the last allowed line is cut with an ellipsis."""
        lines: list[str] = []
        rest = text
        while rest and len(lines) < max_lines:
            if len(lines) == max_lines - 1 or self.width_mm(rest, size, bold) <= width:
                lines.append(self.fit(rest, width, size, size, bold)[0])
                break
            k = 1
            while k < len(rest) and self.width_mm(rest[:k + 1], size, bold) <= width:
                k += 1
            k = _break_at(rest, k)
            lines.append(rest[:k])
            rest = rest[k:]
        return lines

    def text(self, x: float, y: float, s: str, size: float, *, bold: bool = False, color: str = INK,
             ha: str = "left", va: str = "center", **kw: Any) -> None:
        self.fig.text(x, y, s, transform=self.mm, fontproperties=self.fp(size, bold), color=color, ha=ha, va=va,
                      **kw)

    def rect(self, x: float, y: float, w: float, h: float, **kw: Any) -> None:
        self.fig.add_artist(Rectangle((x, y), w, h, transform=self.mm, **kw))

    def line(self, x0: float, y0: float, x1: float, y1: float, lw: float = 0.5, color: str = INK) -> None:
        self.fig.add_artist(Polygon([(x0, y0), (x1, y1)], closed=False, fill=False, transform=self.mm, lw=lw,
                                    edgecolor=color, capstyle="butt"))

    def to_image(self) -> Image.Image:
        self.canvas.draw()
        w, h = self.canvas.get_width_height()
        return Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")

    # -- the page
    def draw(self, *, title: str, subtitle: str, townships: list[tuple[str, dict]], entries: list[MapEntry],
             focus_township: str | None, footer: str) -> None:
        self.rect(FRAME, FRAME, PAGE_W - 2 * FRAME, PAGE_H - 2 * FRAME, fill=False, lw=1.2, edgecolor=INK)
        self.rect(FRAME + 1.2, FRAME + 1.2, PAGE_W - 2 * FRAME - 2.4, PAGE_H - 2 * FRAME - 2.4, fill=False, lw=0.4,
                  edgecolor=INK)
        t, size = self.fit(title, PAGE_W - 2 * MARGIN - 10, 24.0, 14.0, bold=True)
        self.text(PAGE_W / 2, 21.0, t, size, bold=True, ha="center")
        lines = [ln for ln in subtitle.splitlines() if ln.strip()][:2]
        for i, ln in enumerate(lines):
            s, sz = self.fit(ln, PAGE_W - 2 * MARGIN - 10, 10.5, 7.0)
            self.text(PAGE_W / 2, 30.5 + i * 4.6 - (len(lines) - 1) * 2.3, s, sz, color="#333333", ha="center")
        self.map_panel = MapPanel(self, townships, entries, focus_township)
        self.map_panel.draw()
        TablePanel(self, entries).draw()
        if footer:
            f, fsz = self.fit(footer, PAGE_W - 2 * MARGIN - 100, 8.5, 6.5)
            self.text(MARGIN, FOOTER_Y, f, fsz, color="#333333")
        self.text(PAGE_W - MARGIN, FOOTER_Y, CRS_NOTE, 8.5, color="#333333", ha="right")


def _polygons(geom: BaseGeometry | None) -> list[BaseGeometry]:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def _path(geoms: Iterable[BaseGeometry]) -> MplPath | None:
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for poly in (p for g in geoms for p in _polygons(g)):
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _line_path(geom: BaseGeometry) -> MplPath | None:
    verts: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for part in shapely.get_parts(shapely.line_merge(geom) if geom.geom_type == "MultiLineString" else geom):
        xy = shapely.get_coordinates(part)
        if len(xy) < 2:
            continue
        c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
        c[0] = MplPath.MOVETO
        verts.append(xy)
        codes.append(c)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _ground(geojson: dict | None) -> BaseGeometry | None:
    if not geojson:
        return None
    try:
        geom = shape(geojson)
    except Exception:
        return None
    if geom.is_empty:
        return None
    g = to_ground(geom)
    if not g.is_valid:
        g = shapely.make_valid(g)
    return g


class MapPanel:
    """The map on the left: townships, entries with their numbers, legend, north arrow, scale bar."""

    PAD_MM = 7.0

    def __init__(self, page: _Page, townships: Sequence[tuple[str, dict]], entries: list[MapEntry],
                 focus: str | None):
        self.page = page
        self.entries = entries
        self.focus = focus
        self.w, self.h = float(MAP_W), MAP_BOTTOM - MAP_TOP
        self.towns: list[tuple[str, BaseGeometry]] = [
            (name, g) for name, gj in townships if (g := _ground(gj)) is not None and not g.is_empty]
        names = [n for n, _ in self.towns]
        if focus is not None and focus not in names:
            raise ValueError(f"乡镇（街道）“{focus}”不在本区的乡镇边界中")
        self.features = [_Feature(i, e, _ground(e.geometry), None, 0.0, 0.0) for i, e in enumerate(entries)]
        self.obstacles: list[Box] = []   # paper boxes (x0, y0, x1, y1)

    # -- coordinates
    def _extent(self) -> tuple[BaseGeometry | None, Box]:
        focus_geom = None
        if self.focus is not None:
            focus_geom = next(g for n, g in self.towns if n == self.focus)
            bounds = focus_geom.bounds
        elif self.towns:
            focus_geom = shapely.union_all([g for _, g in self.towns])
            bounds = focus_geom.bounds
        else:
            geoms = [f.geom for f in self.features if f.geom is not None]
            bounds = shapely.union_all(geoms).bounds if geoms else (0.0, 0.0, 10_000.0, 10_000.0)
        if self.focus is None:
            geoms = [f.geom for f in self.features if f.geom is not None]
            if geoms:
                eb = shapely.union_all(geoms).bounds
                bounds = (min(bounds[0], eb[0]), min(bounds[1], eb[1]), max(bounds[2], eb[2]), max(bounds[3], eb[3]))
        return focus_geom, bounds

    def to_paper(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) / self.mpm, (y - self.y0) / self.mpm

    def to_ground(self, px: float, py: float) -> tuple[float, float]:
        return self.x0 + px * self.mpm, self.y0 + py * self.mpm

    def paper_box_ground(self, b: Box) -> BaseGeometry:
        x0, y0 = self.to_ground(b[0], b[1])
        x1, y1 = self.to_ground(b[2], b[3])
        return box(x0, y0, x1, y1)

    # -- drawing
    def draw(self) -> None:
        page = self.page
        fig = page.fig
        self.ax = ax = fig.add_axes((MAP_X0 / PAGE_W, 1 - MAP_BOTTOM / PAGE_H, self.w / PAGE_W, self.h / PAGE_H))
        ax.set_axis_off()
        focus_geom, (bx0, by0, bx1, by1) = self._extent()
        bw, bh = max(bx1 - bx0, 200.0), max(by1 - by0, 200.0)
        pad = self.PAD_MM * 2
        self.scale = nice_scale(max(bw / (self.w - pad), bh / (self.h - pad)))
        self.mpm = self.scale / 1000.0
        cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
        self.x0, self.y0 = cx - self.w * self.mpm / 2, cy - self.h * self.mpm / 2
        ax.set_xlim(self.x0, self.x0 + self.w * self.mpm)
        ax.set_ylim(self.y0, self.y0 + self.h * self.mpm)
        self.view = box(self.x0, self.y0, self.x0 + self.w * self.mpm, self.y0 + self.h * self.mpm)
        self.focus_geom = focus_geom

        self._draw_townships()
        self._measure_features()
        self._draw_features()
        widgets = self._place_widgets()
        self._draw_township_names()
        omitted = self._draw_labels()
        self._draw_widgets(widgets, omitted)
        # the neat line around the map
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False, lw=1.0, edgecolor=INK,
                               zorder=50, clip_on=False))

    def _draw_townships(self) -> None:
        ax = self.ax
        if not self.towns:
            return
        tol = self.mpm * 0.12
        geoms = np.array([g for _, g in self.towns], dtype=object)
        try:
            simple = list(shapely.coverage_simplify(geoms, tol))
        except Exception:
            simple = [g.simplify(tol, preserve_topology=True) for g in geoms]
        self.town_simple = simple
        for (name, _), g in zip(self.towns, simple, strict=True):
            fill = DISTRICT_FILL if self.focus is None else FOCUS_FILL if name == self.focus else OTHER_FILL
            path = _path([g])
            if path is not None:
                ax.add_patch(PathPatch(path, facecolor=fill, edgecolor="none", zorder=1))
        # shared boundaries once, dashed; the district outline solid on top
        lines = shapely.union_all([shapely.boundary(g) for g in simple])
        lp = _line_path(lines)
        if lp is not None:
            ax.add_patch(PathPatch(lp, fill=False, edgecolor=TOWNSHIP_LINE, lw=0.7, linestyle=(0, (6, 2, 1.2, 2)),
                                   zorder=3))
        district = shapely.union_all(simple).buffer(self.mpm * 0.05).buffer(-self.mpm * 0.05)
        outer = shapely.MultiLineString([p.exterior for p in _polygons(district)])
        op = _line_path(outer)
        if op is not None:
            ax.add_patch(PathPatch(op, fill=False, edgecolor="#333333", lw=1.6, zorder=4, joinstyle="round"))
        if self.focus is not None:
            fg = next(g for (n, _), g in zip(self.towns, simple, strict=True) if n == self.focus)
            fp = _line_path(shapely.MultiLineString([p.exterior for p in _polygons(fg)]))
            if fp is not None:
                ax.add_patch(PathPatch(fp, fill=False, edgecolor="#8a8a8a", lw=4.5, alpha=0.35, zorder=2,
                                       joinstyle="round"))
                ax.add_patch(PathPatch(fp, fill=False, edgecolor="#333333", lw=1.2, zorder=4,
                                       linestyle=(0, (6, 2, 1.2, 2))))

    def _measure_features(self) -> None:
        for f in self.features:
            if f.geom is None:
                continue
            polys = _polygons(f.geom)
            rep = (polylabel(max(polys, key=lambda p: p.area), tolerance=max(self.mpm * 0.2, 0.5)) if polys
                   else f.geom.representative_point())
            f.anchor = self.to_paper(rep.x, rep.y)
            b = f.geom.bounds
            f.size_mm = max(b[2] - b[0], b[3] - b[1]) / self.mpm
            f.radius = 1.15 if f.size_mm < DOT_BELOW_MM else min(f.size_mm / 2, 6.0)

    def _inside(self, f: _Feature) -> bool:
        if f.anchor is None:
            return False
        x, y = f.anchor
        return 0 <= x <= self.w and 0 <= y <= self.h

    def _draw_features(self) -> None:
        ax = self.ax
        for kind in ("block", "parcel"):   # district parcels on top
            fill, edge = KIND_STYLE.get(kind, KIND_STYLE["parcel"])
            geoms = [f.geom for f in self.features if f.geom is not None and _kind(f.entry) == kind]
            path = _path(geoms)
            if path is not None:
                ax.add_patch(PathPatch(path, facecolor=fill, alpha=FILL_ALPHA, edgecolor="none", zorder=6))
                ax.add_patch(PathPatch(path, fill=False, edgecolor=edge, lw=0.6, zorder=7))
            for f in self.features:
                if f.geom is not None and _kind(f.entry) == kind and f.size_mm < DOT_BELOW_MM and f.anchor is not None:
                    gx, gy = self.to_ground(*f.anchor)
                    ax.add_patch(Circle((gx, gy), 1.15 * self.mpm, facecolor=fill, edgecolor=edge, lw=0.6,
                                        zorder=8))

    # -- legend, north arrow, scale bar: sizes and corners
    def _legend_rows(self) -> list[tuple[str, str]]:
        rows = [("parcel", KIND_LEGEND["parcel"]), ("block", KIND_LEGEND["block"]),
                ("township", "乡镇（街道）界")]
        if len(self.towns) > 1:  # a single township's map has no district outline to speak of
            rows.append(("district", "区界"))
        return rows

    def _has_features(self) -> bool:
        return any(f.geom is not None for f in self.features)

    def _widget_sizes(self) -> dict[str, tuple[float, float]]:
        p = self.page
        rows = self._legend_rows()
        text_w = max(p.width_mm(t, 9.0) for _, t in rows)
        note_w = max(p.width_mm(NOTE_SMALL, 7.2), p.width_mm(note_omitted(999), 7.2))
        legend_w = max(3.5 + 10 + 3 + text_w + 3.5, note_w + 7)
        legend_h = 3.0 + 6.5 + len(rows) * 6.2 + 1.0 + 2 * 4.2 + 2.0
        bar_mm = scale_bar_length(self.mpm) / self.mpm
        sizes = {"legend": (legend_w, legend_h), "north": (15.0, 24.0), "scale": (max(bar_mm + 16.0, 44.0), 16.0)}
        if not self.entries:
            sizes["notice"] = (p.width_mm(NO_ENTRIES, 13.0, bold=True) + 14.0, 12.0)
        return sizes

    def _place_widgets(self) -> dict[str, Box]:
        """Legend, north arrow, scale bar (and the empty notice) in the map's corners, where they
        cover the least of the district (or the focus township) and no entry."""
        sizes = self._widget_sizes()
        names = list(sizes)
        inset = 3.0
        prefer = {"legend": ("bl", "br", "tl", "tr"), "north": ("tr", "tl"), "scale": ("br", "bl", "tr", "tl"),
                  "notice": ("tl", "bl", "tr", "br")}

        def at(name: str, corner: str) -> Box:
            w, h = sizes[name]
            x0 = inset if corner[1] == "l" else self.w - inset - w
            y0 = inset if corner[0] == "b" else self.h - inset - h
            return (x0, y0, x0 + w, y0 + h)

        anchors = np.array([f.anchor for f in self.features if f.anchor is not None] or np.zeros((0, 2)))
        important = self.focus_geom

        def cost(b: Box) -> float:
            c = 0.0
            if important is not None:
                covered = important.intersection(self.paper_box_ground(b)).area / (self.mpm ** 2)
                c += covered + (60.0 if covered > 0.5 else 0.0)
            if len(anchors):
                inside = ((anchors[:, 0] > b[0] - 2) & (anchors[:, 0] < b[2] + 2) & (anchors[:, 1] > b[1] - 2)
                          & (anchors[:, 1] < b[3] + 2))
                c += 400.0 * int(inside.sum())
            return c

        costs = {(n, c): cost(at(n, c)) for n in names for c in ("bl", "br", "tl", "tr")}
        best: tuple[float, tuple[str, ...]] | None = None
        for combo in permutations(("bl", "br", "tl", "tr"), len(names)):
            if any(c not in prefer[n] for n, c in zip(names, combo, strict=True)):
                continue
            total = sum(costs[(n, c)] + 25.0 * prefer[n].index(c) for n, c in zip(names, combo, strict=True))
            if best is None or total < best[0] - 1e-9:
                best = (total, combo)
        assert best is not None
        boxes = {n: at(n, c) for n, c in zip(names, best[1], strict=True)}
        for b in boxes.values():
            self.obstacles.append((b[0] - 0.8, b[1] - 0.8, b[2] + 0.8, b[3] + 0.8))
        return boxes

    def _draw_widgets(self, boxes: dict[str, Box], omitted: int) -> None:
        self._draw_legend(boxes["legend"], omitted)
        self._draw_north(boxes["north"])
        self._draw_scale(boxes["scale"])
        if "notice" in boxes:
            b = boxes["notice"]
            self._patch_box(b)
            self._t((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, NO_ENTRIES, 13.0, ha="center", bold=True)

    def _patch_box(self, b: Box, alpha: float = 0.93) -> None:
        x0, y0 = self.to_ground(b[0], b[1])
        self.ax.add_patch(Rectangle((x0, y0), (b[2] - b[0]) * self.mpm, (b[3] - b[1]) * self.mpm, facecolor="white",
                                    alpha=alpha, edgecolor="#444444", lw=0.6, zorder=30))

    def _t(self, px: float, py: float, s: str, size: float, **kw: Any) -> None:
        gx, gy = self.to_ground(px, py)
        kw.setdefault("color", INK)
        kw.setdefault("va", "center")
        kw.setdefault("ha", "left")
        bold = kw.pop("bold", False)
        self.ax.text(gx, gy, s, fontproperties=self.page.fp(size, bold), zorder=kw.pop("zorder", 32), **kw)

    def _draw_legend(self, b: Box, omitted: int) -> None:
        notes = ([NOTE_SMALL] if self._has_features() else []) + ([note_omitted(omitted)] if omitted else [])
        rows = self._legend_rows()
        h = 3.0 + 6.5 + len(rows) * 6.2 + 1.0 + len(notes) * 4.2 + 2.0
        b = (b[0], b[1], b[2], b[1] + h) if b[1] < self.h / 2 else (b[0], b[3] - h, b[2], b[3])
        self._patch_box(b)
        x, top = b[0] + 3.5, b[3]
        self._t(b[0] + (b[2] - b[0]) / 2, top - 5.5, "图　例", 11.0, ha="center", bold=True)
        y = top - 3.0 - 6.5 - 3.1
        ax = self.ax
        for key, label in rows:
            gx, gy = self.to_ground(x, y - 2.2)
            if key in KIND_STYLE:
                fill, edge = KIND_STYLE[key]
                ax.add_patch(Rectangle((gx, gy), 10 * self.mpm, 4.4 * self.mpm, facecolor=fill, alpha=FILL_ALPHA,
                                       edgecolor="none", zorder=31))
                ax.add_patch(Rectangle((gx, gy), 10 * self.mpm, 4.4 * self.mpm, fill=False, edgecolor=edge, lw=0.6,
                                       zorder=31))
            else:
                (lx0, ly), (lx1, _) = self.to_ground(x, y), self.to_ground(x + 10, y)
                if key == "township":
                    ax.plot([lx0, lx1], [ly, ly], color=TOWNSHIP_LINE, lw=0.7, linestyle=(0, (6, 2, 1.2, 2)),
                            zorder=31)
                else:
                    ax.plot([lx0, lx1], [ly, ly], color="#333333", lw=1.6, zorder=31, solid_capstyle="butt")
            self._t(x + 13.0, y, label, 9.0)
            y -= 6.2
        y -= 0.6
        for note in notes:
            self._t(x, y, note, 7.2, color=GREY)
            y -= 4.2

    def _draw_north(self, b: Box) -> None:
        self._patch_box(b, alpha=0.85)
        cx = (b[0] + b[2]) / 2
        top, bottom = b[3], b[1]
        self._t(cx, top - 5.0, "北", 11.0, ha="center", bold=True)
        tip = self.to_ground(cx, top - 9.0)
        left = self.to_ground(cx - 4.2, bottom + 2.5)
        right = self.to_ground(cx + 4.2, bottom + 2.5)
        notch = self.to_ground(cx, bottom + 6.0)
        self.ax.add_patch(Polygon([tip, left, notch], closed=True, facecolor=INK, edgecolor=INK, lw=0.6, zorder=31))
        self.ax.add_patch(Polygon([tip, notch, right], closed=True, facecolor="white", edgecolor=INK, lw=0.6,
                                  zorder=31))

    def _draw_scale(self, b: Box) -> None:
        self._patch_box(b, alpha=0.85)
        length = scale_bar_length(self.mpm)
        bar_mm = length / self.mpm
        lead = int(f"{length:e}"[0])
        nseg = {1: 4, 2: 4, 5: 5}.get(lead, 4)
        x0 = (b[0] + b[2]) / 2 - bar_mm / 2
        y0 = b[1] + 8.0
        seg = bar_mm / nseg
        for i in range(nseg):
            gx, gy = self.to_ground(x0 + i * seg, y0)
            self.ax.add_patch(Rectangle((gx, gy), seg * self.mpm, 1.6 * self.mpm, edgecolor=INK, lw=0.6, zorder=31,
                                        facecolor=INK if i % 2 == 0 else "white"))
        km = length >= 1000
        unit_div = 1000.0 if km else 1.0
        every = 1 if seg >= 9 else 2
        ticks = [i for i in range(nseg + 1) if i == nseg or (i % every == 0 and nseg - i >= every)]
        for i in ticks:
            self._t(x0 + i * seg, y0 + 4.4, f"{length * i / nseg / unit_div:g}", 7.5, ha="center")
        self._t(x0 + bar_mm + 1.5, y0 + 0.8, "km" if km else "m", 7.5)
        self._t((b[0] + b[2]) / 2, b[1] + 3.8, f"比例尺 1:{self.scale:,}".replace(",", " "), 8.0, ha="center",
                color="#333333")

    # -- names and labels
    def _draw_township_names(self) -> None:
        if not self.towns:
            return
        p = self.page
        view = self.view.buffer(-2 * self.mpm)
        for (name, _), g in zip(self.towns, self.town_simple, strict=True):
            vis = g.intersection(view)
            polys = _polygons(vis)
            if not polys:
                continue
            big = max(polys, key=lambda q: q.area)
            is_focus = name == self.focus
            size = 14.0 if is_focus else TOWNSHIP_PT
            w, h = p.width_mm(name, size, bold=is_focus) + 1.0, size * PT_MM * 1.25
            if big.area / self.mpm ** 2 < w * h * 2.5:
                continue
            spot = self._name_spot(big, w, h, force=is_focus)
            if spot is None:
                continue
            self.obstacles.append(spot)
            color = "#222222" if is_focus or self.focus is None else "#8a8a8a"
            self._t((spot[0] + spot[2]) / 2, (spot[1] + spot[3]) / 2, name, size, ha="center", color=color,
                    bold=is_focus, zorder=20, path_effects=[withStroke(linewidth=2.6, foreground="white")])

    def _name_spot(self, poly: BaseGeometry, w: float, h: float, force: bool) -> Box | None:
        """A free box of w × h mm for a township name inside `poly`, nearest its visual centre."""
        centre = polylabel(poly, tolerance=self.mpm * 0.5)
        cx, cy = self.to_paper(centre.x, centre.y)
        x0, y0, x1, y1 = (v / self.mpm for v in (poly.bounds[0] - self.x0, poly.bounds[1] - self.y0,
                                                  poly.bounds[2] - self.x0, poly.bounds[3] - self.y0))
        gx, gy = np.meshgrid(np.arange(x0 + w / 2, x1 - w / 2 + 1e-9, 3.0),
                             np.arange(y0 + h / 2, y1 - h / 2 + 1e-9, 2.0))
        pts = np.column_stack([np.concatenate([[cx], gx.ravel()]), np.concatenate([[cy], gy.ravel()])])
        pts = pts[np.argsort(np.hypot(pts[:, 0] - cx, pts[:, 1] - cy), kind="stable")]
        boxes = shapely.box(*self.to_ground(pts[:, 0] - w / 2, pts[:, 1] - h / 2),
                            *self.to_ground(pts[:, 0] + w / 2, pts[:, 1] + h / 2))
        shapely.prepare(poly)
        inside = shapely.contains(poly, boxes)
        for (px, py), ok in zip(pts, inside, strict=True):
            b = (px - w / 2, py - h / 2, px + w / 2, py + h / 2)
            if ok and not self._collides(b, pad=0.6, features=True):
                return b
        if force:
            return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        return None

    def _collides(self, b: Box, pad: float = 0.0, features: bool = False,
                  skip: int | None = None) -> bool:
        if b[0] < 1.0 or b[1] < 1.0 or b[2] > self.w - 1.0 or b[3] > self.h - 1.0:
            return True
        if self.obstacles and _any_overlap(np.asarray(self.obstacles), b, pad, pad):
            return True
        if features:
            for f in self.features:
                if f.anchor is None or f.index == skip:
                    continue
                x, y = f.anchor
                r = f.radius
                if x + r > b[0] - pad and x - r < b[2] + pad and y + r > b[1] - pad and y - r < b[3] + pad:
                    return True
        return False

    def _draw_labels(self) -> int:
        """Place every entry's 清单编号 without overlaps; far placements get a leader line. Returns how
        many could not be placed."""
        p = self.page
        feats = [f for f in self.features if self._inside(f)]
        if not feats:
            return 0
        marks = np.array([(f.anchor[0], f.anchor[1], f.radius) for f in feats])
        placed: list[Box] = []
        h = LABEL_PT * PT_MM * 1.18
        dirs = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
        more_dirs = dirs + [(math.cos(a), math.sin(a)) for a in np.radians([22.5, 67.5, 112.5, 157.5, 202.5, 247.5,
                                                                              292.5, 337.5])]
        # crowded entries first: they have the fewest free spots
        crowd = [int(((np.hypot(marks[:, 0] - f.anchor[0], marks[:, 1] - f.anchor[1])) < 15).sum()) for f in feats]
        order = sorted(range(len(feats)), key=lambda i: (-crowd[i], -feats[i].size_mm))
        omitted = 0
        fp = p.fp(LABEL_PT)
        for i in order:
            f = feats[i]
            text = f.entry.number or f.entry.label or str(f.index + 1)
            w = p.width_mm(text, LABEL_PT) + 0.8
            ax_, ay_ = f.anchor
            others = np.ones(len(feats), dtype=bool)
            others[i] = False
            spot = None
            leader = False
            if f.size_mm > DOT_BELOW_MM and f.size_mm > w * 1.4:
                spot = (ax_ - w / 2, ay_ - h / 2, ax_ + w / 2, ay_ + h / 2)   # inside a big polygon
                if self._box_hits(spot, placed, marks[others]):
                    spot = None
            if spot is None:
                for dist in (0.0, 2.5, 5.0, 8.0, 12.0, 17.0):
                    for ux, uy in (dirs if dist < 5 else more_dirs):
                        r = f.radius + 0.5 + dist
                        cx = ax_ + ux * r + (math.copysign(w / 2, ux) if abs(ux) > 0.3 else 0.0)
                        cy = ay_ + uy * r + (math.copysign(h / 2, uy) if abs(uy) > 0.3 else 0.0)
                        b = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                        if self._box_hits(b, placed, marks[others]):
                            continue
                        if dist > 0 and self._leader_hits((ax_, ay_), b, placed, marks[others]):
                            continue
                        spot, leader = b, dist > 0
                        break
                    if spot is not None:
                        break
            if spot is None:
                omitted += 1
                continue
            placed.append(spot)
            cx, cy = (spot[0] + spot[2]) / 2, (spot[1] + spot[3]) / 2
            if leader:
                ex, ey = _nearest_on_box((ax_, ay_), spot)
                sx, sy = ax_, ay_
                d = math.hypot(ex - sx, ey - sy)
                if d > 0:
                    sx += (ex - sx) / d * f.radius
                    sy += (ey - sy) / d * f.radius
                g0, g1 = self.to_ground(sx, sy), self.to_ground(ex, ey)
                self.ax.plot([g0[0], g1[0]], [g0[1], g1[1]], color="#333333", lw=0.45, zorder=9,
                             solid_capstyle="butt")
            gx, gy = self.to_ground(cx, cy)
            self.ax.text(gx, gy, text, fontproperties=fp, color=INK, ha="center", va="center", zorder=12,
                         path_effects=[withStroke(linewidth=2.2, foreground="white")])
        return omitted

    def _box_hits(self, b: Box, placed: list[Box],
                  marks: np.ndarray) -> bool:
        if self._collides(b, pad=0.4):
            return True
        if placed and _any_overlap(np.asarray(placed), b, 0.5, 0.3):
            return True
        if len(marks):
            x, y, r = marks[:, 0], marks[:, 1], marks[:, 2]
            return bool(np.any((x + r > b[0] - 0.3) & (x - r < b[2] + 0.3) & (y + r > b[1] - 0.3)
                               & (y - r < b[3] + 0.3) & (r < 6.0)))
        return False

    def _leader_hits(self, a: tuple[float, float], b: Box,
                     placed: list[Box], marks: np.ndarray) -> bool:
        ex, ey = _nearest_on_box(a, b)
        t = np.linspace(0.15, 0.95, 10)
        xs, ys = a[0] + (ex - a[0]) * t, a[1] + (ey - a[1]) * t
        boxes = list(placed) + list(self.obstacles)
        if boxes:
            o = np.asarray(boxes)
            hit = ((xs[:, None] > o[None, :, 0]) & (xs[:, None] < o[None, :, 2]) & (ys[:, None] > o[None, :, 1])
                   & (ys[:, None] < o[None, :, 3]))
            if hit.any():
                return True
        if len(marks):
            small = marks[marks[:, 2] < 6.0]
            d = np.hypot(xs[:, None] - small[None, :, 0], ys[:, None] - small[None, :, 1])
            if np.any(d < small[None, :, 2] + 0.2):
                return True
        return False


NOTE_SMALL = "注：图上过小的地块以圆点标示其位置。"
DOT_BELOW_MM = 3.0  # entries smaller than this on paper get a dot


def note_omitted(n: int) -> str:
    return f"另有 {n} 处因图面过密未注编号，见清单。"


def _any_overlap(boxes: np.ndarray, b: Box, pad_x: float, pad_y: float) -> bool:
    return bool(np.any((boxes[:, 0] < b[2] + pad_x) & (boxes[:, 2] > b[0] - pad_x) & (boxes[:, 1] < b[3] + pad_y)
                       & (boxes[:, 3] > b[1] - pad_y)))


def _nearest_on_box(a: tuple[float, float], b: Box) -> tuple[float, float]:
    return min(max(a[0], b[0]), b[2]), min(max(a[1], b[1]), b[3])


_NO_LINE_START = set("）)】》」』”’，、。；：！？…%")
_NO_LINE_END = set("（(【《「『“‘")


def _latin(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in ".-/_")


def _break_at(text: str, k: int) -> int:
    """Move a line break at `k` back so that closing punctuation does not start a line, opening
    punctuation does not end one, and a run of Latin letters or digits is not split."""
    j = k
    while 1 < j < len(text) and (text[j] in _NO_LINE_START or text[j - 1] in _NO_LINE_END):
        j -= 1
    while 1 < j < len(text) and _latin(text[j]) and _latin(text[j - 1]):
        j -= 1
    return j if j > 1 and j > k // 2 else k


def _kind(e: MapEntry) -> str:
    return e.kind if e.kind in KIND_STYLE else "parcel"


class TablePanel:
    """The entry table on the right, with its total row and, when it overflows, a pointer to the
    full list."""

    def __init__(self, page: _Page, entries: list[MapEntry]):
        self.page = page
        self.entries = entries

    def draw(self) -> None:
        p = self.page
        x0, y = TABLE_X0, MAP_TOP
        widths = [w for _, w, _ in COLUMNS]
        widths[-1] = TABLE_W - sum(widths[:-1])
        xs = [x0 + sum(widths[:i]) for i in range(len(widths) + 1)]
        p.text(x0, y + 3.6, "清单地块一览", 12.0, bold=True)
        n = len(self.entries)
        total_mu = sum(e.area_mu for e in self.entries)
        p.text(x0 + TABLE_W, y + 3.6, f"共 {n} 处", 9.0, color=GREY, ha="right")
        y += TABLE_HEAD_H
        # header
        p.rect(x0, y, TABLE_W, TABLE_HEADER_H, facecolor="#e4e4e4", edgecolor="none")
        p.line(x0, y, x0 + TABLE_W, y, lw=1.0)
        for (head, _, align), xa, xb in zip(COLUMNS, xs[:-1], xs[1:], strict=True):
            self._cell(head, xa, xb, y + TABLE_HEADER_H / 2, align if align != "right" else "center", header=True)
        y += TABLE_HEADER_H
        p.line(x0, y, x0 + TABLE_W, y, lw=0.6)
        shown = table_rows_that_fit(n)
        if n == 0:
            p.text(x0 + TABLE_W / 2, y + TABLE_ROW_H * 1.2, NO_ENTRIES, 9.0, color=GREY, ha="center")
            y += TABLE_ROW_H * 2.4
        for i, e in enumerate(self.entries[:shown]):
            if i % 2 == 1:
                p.rect(x0, y, TABLE_W, TABLE_ROW_H, facecolor="#f4f4f4", edgecolor="none")
            cy = y + TABLE_ROW_H / 2
            fill, edge = KIND_STYLE[_kind(e)]
            p.rect(xs[0] + 1.2, cy - 1.3, 2.6, 2.6, facecolor=fill, alpha=0.75, edgecolor=edge, lw=0.4)
            self._cell(str(i + 1), xs[0] + 3.2, xs[1], cy, "center")
            values = [e.number or "—", e.township or "—", e.label or "—", e.holder or "—", f"{e.area_mu:.2f}",
                      e.status_label or "—"]
            for v, (_, _, align), xa, xb in zip(values, COLUMNS[1:], xs[1:-1], xs[2:], strict=True):
                self._cell(v, xa, xb, cy, align)
            y += TABLE_ROW_H
            p.line(x0, y, x0 + TABLE_W, y, lw=0.2, color="#bdbdbd")
        note = overflow_note(n)
        if note:
            p.text(x0 + TABLE_W / 2, y + TABLE_ROW_H / 2, f"…… {note}", TABLE_PT, color="#333333", ha="center")
            y += TABLE_ROW_H
        # total
        p.line(x0, y, x0 + TABLE_W, y, lw=0.8)
        p.rect(x0, y, TABLE_W, TABLE_TOTAL_H, facecolor="#efefef", edgecolor="none")
        p.text(x0 + 2.0, y + TABLE_TOTAL_H / 2, f"合计 {n} 处 {total_mu:.2f} 亩", 8.6, bold=True)
        y += TABLE_TOTAL_H
        p.line(x0, y, x0 + TABLE_W, y, lw=1.0)
        parts = []
        for kind, name in (("parcel", "区级清单地块"), ("block", "乡镇连片空闲地块")):
            items = [e for e in self.entries if _kind(e) == kind]
            parts.append(f"{name} {len(items)} 处 {sum(e.area_mu for e in items):.2f} 亩")
        p.text(x0 + 2.0, y + TABLE_BREAKDOWN_H / 2 + 0.4, "其中：" + "；".join(parts), 7.4, color=GREY)
        # vertical rules of the column grid, header to total
        top = MAP_TOP + TABLE_HEAD_H
        for xv in xs[1:-1]:
            p.line(xv, top, xv, top + TABLE_HEADER_H + shown * TABLE_ROW_H, lw=0.2, color="#bdbdbd")

    def _cell(self, text: str, xa: float, xb: float, cy: float, align: str, header: bool = False) -> None:
        """One table cell: one line at the table size, else two lines at a smaller size, else cut."""
        p = self.page
        pad = 1.0
        width = xb - xa - 2 * pad
        if header:
            fitted, size = p.fit(text, width, TABLE_HEADER_PT, 5.5, bold=True)
            lines = [fitted]
        elif p.width_mm(text, TABLE_PT) <= width:
            lines, size = [text], TABLE_PT
        else:
            lines, size = p.wrap(text, width, TABLE_WRAP_PT, max_lines=2), TABLE_WRAP_PT
        step = size * PT_MM * 1.14
        for k, line in enumerate(lines):
            y = cy + (k - (len(lines) - 1) / 2) * step
            if align == "center":
                p.text((xa + xb) / 2, y, line, size, bold=header, ha="center")
            elif align == "right":
                p.text(xb - pad, y, line, size, bold=header, ha="right")
            else:
                p.text(xa + pad, y, line, size, bold=header)
