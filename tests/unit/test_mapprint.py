"""The printable 地块分布图 (pandi/screening/mapprint.py): page size, both formats, real township
boundaries, empty and very long inventories, and the CJK font lookup. No Django.

The district and township renders are also written to test-artifacts/mapprint/ for a person to look at.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image
from shapely.affinity import rotate
from shapely.geometry import Point, box, mapping, shape
from shapely.ops import polylabel

from pandi.domain.geo import from_ground, to_ground
from pandi.screening import mapprint
from pandi.screening.mapprint import (
    FONT_MISSING_MESSAGE,
    TABLE_CAPACITY,
    MapEntry,
    MapFontMissing,
    find_cjk_font,
    nice_scale,
    overflow_note,
    render_distribution_map,
    scale_bar_length,
    table_rows_that_fit,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
TOWNSHIPS_FILE = REPO_ROOT / "pandi" / "data" / "jindong_townships.geojson"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "mapprint"
A3_RATIO = 420 / 297
MU_M2 = 10000 / 15  # 1 亩 in m²

STATUSES = ["超过约定动工日期满一年未动工（闲置）", "超过约定动工日期未动工（未满一年）",
            "已动工但开发不足且中止满一年（可认定闲置，待核定）", "空闲"]
HOLDERS = ["金华市金东区兴达机械制造有限公司", "浙江宏图新材料科技股份有限公司", "金华市鑫源五金厂",
           "金东区国有资产经营有限公司", ""]


def load_townships() -> list[tuple[str, dict]]:
    data = json.loads(TOWNSHIPS_FILE.read_text(encoding="utf-8"))
    return [(f["properties"]["name"], f["geometry"]) for f in data["features"]]


def make_entries(townships: list[tuple[str, dict]], n: int, *, seed: int = 7,
                 only: str | None = None) -> list[MapEntry]:
    """`n` plausible inventory entries inside the real townships: parcels (20–150 亩) and vacant
    blocks (5–40 亩) clustered in a couple of industrial zones per township."""
    rnd = random.Random(seed)
    ground = [(name, to_ground(shape(g))) for name, g in townships if only is None or name == only]
    zones: list[tuple[str, object, Point]] = []
    for name, g in ground:
        core = g.buffer(-800) if not g.buffer(-800).is_empty else g
        centre = polylabel(max(getattr(core, "geoms", [core]), key=lambda p: p.area), tolerance=50)
        zones.append((name, g, centre))
        minx, miny, maxx, maxy = core.bounds
        for _ in range(2):
            while True:
                pt = Point(rnd.uniform(minx, maxx), rnd.uniform(miny, maxy))
                if core.contains(pt):
                    zones.append((name, g, pt))
                    break
    entries: list[MapEntry] = []
    counters = {"parcel": 0, "block": 0}
    attempts = 0
    while len(entries) < n and attempts < n * 50:
        attempts += 1
        name, g, centre = rnd.choice(zones)
        kind = "parcel" if rnd.random() < 0.55 else "block"
        mu = rnd.uniform(20, 150) if kind == "parcel" else rnd.uniform(5, 40)
        aspect = rnd.uniform(1.0, 2.4)
        w = math.sqrt(mu * MU_M2 * aspect)
        h = mu * MU_M2 / w
        spread = 2500 if n > 60 else 1800
        cx = centre.x + rnd.gauss(0, spread / 2)
        cy = centre.y + rnd.gauss(0, spread / 2)
        rect = rotate(box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), rnd.uniform(0, 90))
        if not g.contains(rect):
            continue
        counters[kind] += 1
        year = 2021
        if kind == "parcel":
            number = f"{year}-QJ-{counters['parcel']:03d}"
            label = f"330703{rnd.randint(100, 999)}{rnd.randint(1000, 9999)}"
            holder = rnd.choice(HOLDERS[:4])
        else:
            number = f"{year}-XZ-{counters['block']:03d}"
            label = f"{name[:2]}连片空闲地块（{rnd.randint(2, 6)} 宗）"
            holder = rnd.choice(HOLDERS)
        entries.append(MapEntry(number=number, township=name, label=label, holder=holder, area_mu=round(mu, 2),
                                status_label=rnd.choice(STATUSES) if kind == "parcel" else "空闲",
                                kind=kind, geometry=mapping(from_ground(rect))))
    assert len(entries) == n
    return entries


def png_size(data: bytes) -> tuple[int, int, tuple[float, float]]:
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.format == "PNG"
    return img.width, img.height, img.info.get("dpi", (0, 0))


def pdf_mediabox(data: bytes) -> tuple[float, float]:
    m = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert m, "no MediaBox in the PDF"
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    return x1 - x0, y1 - y0


@pytest.fixture(scope="module")
def townships() -> list[tuple[str, dict]]:
    return load_townships()


@pytest.fixture(scope="module")
def district_entries(townships) -> list[MapEntry]:
    return make_entries(townships, 36)


def save_artifact(name: str, data: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


TITLE = "金东区低效闲置工业用地地块分布图"
SUBTITLE = "2021年度盘地行动 · 截至 2021年6月30日 · 制图单位：金东区经济商务局 · 制图日期：2021年7月5日"
FOOTER = "资料来源：盘地 Pandi 系统第 3 次筛查（已核实）"


# ------------------------------------------------------------------------------------ the page

def test_png_is_a3_landscape_at_the_requested_dpi(townships, district_entries):
    for dpi in (72, 150):
        data = render_distribution_map(title=TITLE, subtitle=SUBTITLE, townships=townships,
                                       entries=district_entries, dpi=dpi, footer=FOOTER)
        w, h, file_dpi = png_size(data)
        assert abs((w / h) / A3_RATIO - 1) < 0.01
        assert abs(w - 420 / 25.4 * dpi) <= 1 and abs(h - 297 / 25.4 * dpi) <= 1
        assert file_dpi[0] == pytest.approx(dpi, rel=0.01)
        if dpi == 150:
            save_artifact("district.png", data)


def test_pdf_is_one_a3_landscape_page(townships, district_entries):
    data = render_distribution_map(title=TITLE, subtitle=SUBTITLE, townships=townships, entries=district_entries,
                                   fmt="pdf", footer=FOOTER)
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page\n") + data.count(b"/Type /Page ") + data.count(b"/Type/Page") >= 1
    width, height = pdf_mediabox(data)
    assert width == pytest.approx(1190.55, abs=0.5)
    assert height == pytest.approx(841.89, abs=0.5)
    save_artifact("district.pdf", data)
    if shutil.which("pdftoppm"):   # for a person to look at what the PDF shows
        subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(ARTIFACTS / "district.pdf"),
                        str(ARTIFACTS / "district-from-pdf")], check=True, timeout=120)
        png = Image.open(ARTIFACTS / "district-from-pdf.png")
        assert abs((png.width / png.height) / A3_RATIO - 1) < 0.01


def test_township_focus_map_renders(townships):
    entries = make_entries(townships, 24, seed=11, only="孝顺镇")
    data = render_distribution_map(title="孝顺镇低效闲置工业用地地块分布图", subtitle=SUBTITLE, townships=townships,
                                   entries=entries, focus_township="孝顺镇", footer=FOOTER)
    w, h, _ = png_size(data)
    assert abs((w / h) / A3_RATIO - 1) < 0.01
    save_artifact("township.png", data)


def test_township_focus_zooms_in(townships):
    entries = make_entries(townships, 8, seed=5, only="孝顺镇")
    district = draw_page(townships, entries)
    township = draw_page(townships, entries, focus_township="孝顺镇")
    assert township.map_panel.scale < district.map_panel.scale
    # the focus township fills most of the map: at least 60 % of the panel's width or height
    panel = township.map_panel
    x0, y0, x1, y1 = panel.focus_geom.bounds
    assert max((x1 - x0) / (panel.w * panel.mpm), (y1 - y0) / (panel.h * panel.mpm)) > 0.6


def test_focus_on_an_unknown_township_is_an_error(townships):
    with pytest.raises(ValueError, match="不在本区"):
        render_distribution_map(title=TITLE, subtitle="", townships=townships, entries=[], focus_township="火星镇")


def test_empty_inventory_still_renders_the_map(townships):
    data = render_distribution_map(title=TITLE, subtitle=SUBTITLE, townships=townships, entries=[], dpi=100)
    w, h, _ = png_size(data)
    assert abs((w / h) / A3_RATIO - 1) < 0.01
    save_artifact("empty.png", data)


def test_two_hundred_entries_render_and_the_table_says_where_the_rest_are(townships):
    entries = make_entries(townships, 200, seed=3)
    shown = table_rows_that_fit(200)
    assert shown == TABLE_CAPACITY - 1
    assert overflow_note(200) == "另见清单附表（共 200 条）"
    page = draw_page(townships, entries)
    texts = [t.get_text() for t in page.fig.texts]
    assert "…… 另见清单附表（共 200 条）" in texts
    assert str(shown) in texts and str(shown + 1) not in texts   # the 序号 column stops at `shown`
    assert "合计 200 处 " + f"{sum(e.area_mu for e in entries):.2f} 亩" in texts
    # the table ends above the map's bottom edge
    renderer = page.canvas.get_renderer()
    bottom = min(t.get_window_extent(renderer).y0 for t in page.fig.texts if t.get_text().startswith("其中："))
    assert bottom >= page.map_panel.ax.get_window_extent(renderer).y0 - 1


def test_table_layout_decision():
    assert TABLE_CAPACITY >= 30  # an A3 page holds a useful number of rows
    assert table_rows_that_fit(0) == 0
    assert table_rows_that_fit(TABLE_CAPACITY) == TABLE_CAPACITY
    assert overflow_note(TABLE_CAPACITY) is None
    assert table_rows_that_fit(TABLE_CAPACITY + 1) == TABLE_CAPACITY - 1
    assert overflow_note(TABLE_CAPACITY + 1) == f"另见清单附表（共 {TABLE_CAPACITY + 1} 条）"
    assert table_rows_that_fit(12, capacity=10) == 9


def test_unknown_format_is_refused(townships):
    with pytest.raises(ValueError, match="不支持的格式"):
        render_distribution_map(title=TITLE, subtitle="", townships=townships, entries=[], fmt="svg")


def draw_page(townships, entries, *, focus_township=None, dpi=72):
    page = mapprint._Page(find_cjk_font(), dpi)
    page.draw(title=TITLE, subtitle=SUBTITLE, townships=townships, entries=entries, focus_township=focus_township,
              footer=FOOTER)
    page.canvas.draw()
    return page


def text_boxes(texts, renderer):
    import numpy as np

    boxes = []
    for t in texts:
        if not t.get_visible() or not t.get_text():
            continue
        bb = t.get_window_extent(renderer)
        boxes.append((bb.x0, bb.y0, bb.x1, bb.y1, t.get_text()))
    arr = np.array([b[:4] for b in boxes], dtype=float).reshape(-1, 4)
    return arr, [b[4] for b in boxes]


def overlapping_pairs(arr, names, shrink=0.5):
    import numpy as np

    a = arr + np.array([shrink, shrink, -shrink, -shrink])
    hit = ((a[:, None, 0] < a[None, :, 2]) & (a[None, :, 0] < a[:, None, 2]) & (a[:, None, 1] < a[None, :, 3])
           & (a[None, :, 1] < a[:, None, 3]))
    i, j = np.nonzero(np.triu(hit, 1))
    return [(names[x], names[y]) for x, y in zip(i, j, strict=True)]


@pytest.mark.parametrize("case", ["district", "township", "empty", "dense"])
def test_no_text_overlaps_and_nothing_leaves_the_page(townships, district_entries, case):
    entries, focus = {
        "district": (district_entries, None),
        "township": (make_entries(townships, 24, seed=11, only="孝顺镇"), "孝顺镇"),
        "empty": ([], None),
        "dense": (make_entries(townships, 120, seed=3), None),
    }[case]
    page = draw_page(townships, entries, focus_township=focus)
    renderer = page.canvas.get_renderer()
    W, H = page.canvas.get_width_height()
    page_texts, page_names = text_boxes(page.fig.texts, renderer)
    map_texts, map_names = text_boxes(page.map_panel.ax.texts, renderer)
    assert len(map_names) >= 8 + len(entries) // 2  # township names, legend, scale, north, most labels
    assert not overlapping_pairs(page_texts, page_names)
    assert not overlapping_pairs(map_texts, map_names)
    # inside the page, and map texts inside the map frame
    assert (page_texts[:, 0] >= 0).all() and (page_texts[:, 2] <= W).all()
    assert (page_texts[:, 1] >= 0).all() and (page_texts[:, 3] <= H).all()
    frame = page.map_panel.ax.get_window_extent(renderer)
    assert (map_texts[:, 0] >= frame.x0).all() and (map_texts[:, 2] <= frame.x1).all()
    assert (map_texts[:, 1] >= frame.y0).all() and (map_texts[:, 3] <= frame.y1).all()
    # every entry inside the map has its number on it, unless the legend says how many do not
    labelled = set(map_names) & {e.number for e in entries}
    legend_note = [n for n in map_names if n.startswith("另有")]
    if legend_note:
        missing = int(re.search(r"另有 (\d+) 处", legend_note[0]).group(1))
        assert len(labelled) + missing == len(entries)
    else:
        assert labelled == {e.number for e in entries}


def test_every_fixed_text_has_glyphs_in_the_font(fresh_font_cache):
    from matplotlib.ft2font import FT2Font

    texts = [*mapprint.KIND_LEGEND.values(), mapprint.NOTE_SMALL, mapprint.note_omitted(12), mapprint.CRS_NOTE,
             mapprint.NO_ENTRIES, *(c[0] for c in mapprint.COLUMNS), "图例北比例尺合计处亩其中：；清单地块一览共",
             "乡镇（街道）界区界", overflow_note(999), TITLE, SUBTITLE, *STATUSES, *HOLDERS]
    font = FT2Font(str(find_cjk_font().regular))
    missing = {c for t in texts for c in t if not c.isspace() and font.get_char_index(ord(c)) == 0}
    assert not missing


def test_round_scale_and_scale_bar():
    assert nice_scale(140.0) == 140_000     # 140 m per paper mm → 1:140 000
    assert nice_scale(141.0) == 150_000
    assert nice_scale(100.0) == 100_000
    assert nice_scale(31.0) == 35_000
    assert nice_scale(9.2) == 10_000
    assert scale_bar_length(150.0) == 5000  # ≈ 45 mm at 1:150 000 → 5 km (33 mm)
    assert scale_bar_length(20.0) == 1000


def test_concurrent_renders_match_sequential_ones(townships, district_entries):
    from concurrent.futures import ThreadPoolExecutor

    jobs = [dict(entries=district_entries), dict(entries=district_entries[:5], focus_township="澧浦镇"),
            dict(entries=[])]

    def run(job):
        return render_distribution_map(title=TITLE, subtitle=SUBTITLE, townships=townships, dpi=60, **job)

    sequential = [run(j) for j in jobs]
    with ThreadPoolExecutor(max_workers=3) as pool:
        concurrent = list(pool.map(run, jobs))
    assert concurrent == sequential
    assert len(set(sequential)) == 3


def test_district_png_renders_quickly_enough(townships, district_entries):
    t = time.perf_counter()
    render_distribution_map(title=TITLE, subtitle=SUBTITLE, townships=townships, entries=district_entries)
    assert time.perf_counter() - t < 20


# ------------------------------------------------------------------------------------ the font

@pytest.fixture
def fresh_font_cache():
    mapprint._find_cjk_font.cache_clear()
    yield
    mapprint._find_cjk_font.cache_clear()


def test_a_cjk_font_is_found_on_this_machine(fresh_font_cache):
    font = find_cjk_font()
    assert font.regular.is_file()
    from matplotlib.ft2font import FT2Font

    ft = FT2Font(str(font.regular))
    assert all(ft.get_char_index(ord(c)) for c in "地块分布图闲置亩乡镇街道北")


def test_font_lookup_honours_PANDI_MAP_FONT(monkeypatch, fresh_font_cache):
    npm_font = mapprint.NPM_FONT_DIR / "SourceHanSansSC-Regular.otf"
    if not npm_font.is_file():
        pytest.skip("frontend/node_modules not installed (npm ci)")
    monkeypatch.setenv("PANDI_MAP_FONT", str(npm_font))
    font = find_cjk_font()
    assert font.regular == npm_font
    assert font.source == "PANDI_MAP_FONT"
    assert font.bold.name == "SourceHanSansSC-Bold.otf"   # the Bold file beside a …Regular one


def test_PANDI_MAP_FONT_pointing_nowhere_is_reported(monkeypatch, fresh_font_cache, tmp_path):
    monkeypatch.setenv("PANDI_MAP_FONT", str(tmp_path / "nope.otf"))
    with pytest.raises(MapFontMissing, match="PANDI_MAP_FONT"):
        find_cjk_font()


def test_noto_cjk_collection_gives_the_simplified_chinese_face(fresh_font_cache):
    ttc = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not ttc.is_file():
        pytest.skip("fonts-noto-cjk not installed")
    from matplotlib.ft2font import FT2Font

    face = mapprint._usable_face(ttc)
    assert face is not None
    assert FT2Font(str(face)).family_name == "Noto Sans CJK SC"


def test_npm_font_is_the_last_resort(monkeypatch, fresh_font_cache, tmp_path):
    npm_font = mapprint.NPM_FONT_DIR / "SourceHanSansSC-Regular.otf"
    if not npm_font.is_file():
        pytest.skip("frontend/node_modules not installed (npm ci)")
    monkeypatch.delenv("PANDI_MAP_FONT", raising=False)
    monkeypatch.setattr(mapprint, "SYSTEM_FONT_CANDIDATES", [(str(tmp_path / "none.ttc"), None)])
    monkeypatch.setattr(mapprint, "_fc_list_fonts", lambda: [])
    font = find_cjk_font()
    assert font.source == "npm"
    assert font.regular == npm_font
    assert font.bold.name == "SourceHanSansSC-Bold.otf"


def test_a_font_without_chinese_is_not_taken(monkeypatch, fresh_font_cache, tmp_path):
    import matplotlib

    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    monkeypatch.setenv("PANDI_MAP_FONT", str(dejavu))
    with pytest.raises(MapFontMissing, match="不含中文字形"):
        find_cjk_font()
    monkeypatch.delenv("PANDI_MAP_FONT")
    monkeypatch.setattr(mapprint, "SYSTEM_FONT_CANDIDATES", [(str(dejavu), None)])
    monkeypatch.setattr(mapprint, "_fc_list_fonts", lambda: [(str(dejavu), None)])
    monkeypatch.setattr(mapprint, "NPM_FONT_DIR", tmp_path)
    with pytest.raises(MapFontMissing):
        find_cjk_font()


def test_no_font_anywhere_raises_MapFontMissing_in_chinese(monkeypatch, fresh_font_cache, tmp_path):
    monkeypatch.delenv("PANDI_MAP_FONT", raising=False)
    monkeypatch.setattr(mapprint, "SYSTEM_FONT_CANDIDATES", [(str(tmp_path / "none.ttc"), None)])
    monkeypatch.setattr(mapprint, "_fc_list_fonts", lambda: [])
    monkeypatch.setattr(mapprint, "NPM_FONT_DIR", tmp_path / "node_modules" / "node-source-han-sans-sc")
    with pytest.raises(MapFontMissing) as err:
        find_cjk_font()
    assert str(err.value) == FONT_MISSING_MESSAGE
    assert "未找到中文字体" in FONT_MISSING_MESSAGE and "PANDI_MAP_FONT" in FONT_MISSING_MESSAGE
    with pytest.raises(MapFontMissing):
        render_distribution_map(title=TITLE, subtitle="", townships=[], entries=[])
