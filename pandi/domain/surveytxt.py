"""勘测定界 coordinate files (import-formats.md §4): the text exchange format of Chinese land surveys.

    [属性描述]
    格式版本号=1.01版本
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=40
    [地块坐标]
    5,0.3512,JD-2021-01,某公司地块,面,H50G001001,工业用地,0601,@
    J1,1,3221000.000,40466000.000
    J2,1,3221000.000,40466100.000
    ...

A header line per parcel (界址点数,地块面积,地块编号,地块名称,图形属性,图幅号,地块用途,地类编码,@)
is followed by its points `点号,圈号,X,Y` where X is the NORTHING and Y the EASTING (with or
without the zone prefix). 圈号 1 is the outer ring; further rings are holes when they lie inside
a ring, else further parts. A ring is closed by repeating its first point. Files come in GBK
(most survey software) or UTF-8.

Pure: bytes in, plain data and shapely geometries (x = easting, y = northing) out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .crs import epsg_3deg_cm, epsg_3deg_zone, epsg_6deg_zone

HEADER_FIELDS = ("界址点数", "地块面积", "地块编号", "地块名称", "图形属性", "图幅号", "地块用途", "地类编码")
SEPARATORS = re.compile(r"\s*[,，]\s*")


class SurveyFileError(ValueError):
    """The file is not a 勘测定界 coordinate file at all."""


@dataclass
class SurveyParcel:
    line: int  # line number of the parcel's header line (1-based)
    point_count: int | None
    area: str  # 地块面积 as written (usually 公顷)
    code: str  # 地块编号
    name: str
    shape_kind: str  # 图形属性 (面/线/点)
    sheet: str  # 图幅号
    land_use: str  # 地块用途
    land_use_code: str  # 地类编码
    points: list[tuple[int, int, str, float, float]] = field(default_factory=list)  # (line, 圈号, 点号, X, Y)

    @property
    def area_value(self) -> float | None:
        try:
            return float(self.area)
        except ValueError:
            return None

    def rings(self) -> list[tuple[int, list[tuple[float, float]]]]:
        """Closed rings as (圈号, [(easting, northing), ...]). A ring ends when its first point
        repeats or the 圈号 changes (then it is closed)."""
        rings: list[tuple[int, list[tuple[float, float]]]] = []
        current: list[tuple[float, float]] = []
        current_no: int | None = None

        def close() -> None:
            if current:
                if current[0] != current[-1]:
                    current.append(current[0])
                rings.append((current_no or 1, list(current)))

        for _line, ring_no, _name, x, y in self.points:
            point = (y, x)  # X is northing, Y is easting
            if current_no is not None and ring_no != current_no:
                close()
                current = []
            current_no = ring_no
            current.append(point)
            if len(current) >= 4 and current[0] == current[-1]:
                close()
                current = []
        close()
        return rings

    def geometry(self) -> BaseGeometry | None:
        """The parcel as a shapely Polygon or MultiPolygon in (easting, northing); rings are nested
        even–odd: a ring inside one outer ring is its hole, a ring inside a hole is a new part."""
        rings = [(no, coords) for no, coords in self.rings() if len(coords) >= 4]
        if not rings:
            return None
        polys = [Polygon(coords) for _no, coords in rings]
        # largest first, so that every container comes before what it contains
        order = sorted(range(len(rings)), key=lambda i: (-abs(polys[i].area), rings[i][0]))
        shells: list[tuple[int, list[int]]] = []  # (shell index, [hole indexes])
        depth_parent: dict[int, int | None] = {}  # ring -> shell it is a hole of (None for shells)
        placed: list[int] = []
        for i in order:
            probe = polys[i].representative_point() if polys[i].area > 0 else shapely.Point(rings[i][1][0])
            containers = [j for j in placed if polys[j].contains(probe)]
            if len(containers) % 2 == 0:
                shells.append((i, []))
                depth_parent[i] = None
            else:
                # at odd depth the innermost (smallest) container is a shell: this ring is its hole
                shell = min(containers, key=lambda j: abs(polys[j].area))
                for s, holes in shells:
                    if s == shell:
                        holes.append(i)
                depth_parent[i] = shell
            placed.append(i)
        parts = [Polygon(rings[s][1], [rings[h][1] for h in holes]) for s, holes in shells]
        return parts[0] if len(parts) == 1 else MultiPolygon(parts)

    @property
    def ring_count(self) -> int:
        return len(self.rings())


@dataclass
class SurveyFile:
    attributes: dict[str, str]
    parcels: list[SurveyParcel]
    encoding: str
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message in Chinese)

    def eastings_prefixed(self) -> bool:
        """Whether the eastings (Y) carry the zone number in front (≥ 10 000 000)."""
        for parcel in self.parcels:
            for _line, _no, _name, _x, y in parcel.points:
                return y >= 1e7
        return False


def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding ("UTF-8" or "GBK"): UTF-8 when it decodes as such, else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "GBK"


def looks_like_survey_txt(data: bytes) -> bool:
    text, _ = decode(data[:4096])
    return "[属性描述]" in text or "[地块坐标]" in text


def parse(data: bytes) -> SurveyFile:
    """Read a 勘测定界 file. Problems with single lines are collected, not raised; a file without
    a [地块坐标] section raises SurveyFileError."""
    text, encoding = decode(data)
    attributes: dict[str, str] = {}
    parcels: list[SurveyParcel] = []
    problems: list[tuple[int, str]] = []
    section = ""
    seen_coordinates = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("\u3000", " ")
        if not line:
            continue
        if (line.startswith("[") and line.endswith("]")) or (line.startswith("【") and line.endswith("】")):
            section = line[1:-1].strip()
            seen_coordinates |= section == "地块坐标"
            continue
        if section == "属性描述":
            key, sep, value = line.replace("＝", "=").partition("=")
            if sep:
                attributes[key.strip()] = value.strip()
            continue
        if section != "地块坐标":
            continue
        fields = SEPARATORS.split(line.rstrip(","))
        if (fields and fields[-1].strip() == "@") or line.endswith("@"):
            values = [f.strip() for f in fields if f.strip() != "@"] + [""] * len(HEADER_FIELDS)
            count = None
            try:
                count = int(float(values[0]))
            except ValueError:
                problems.append((number, f"界址点数“{values[0]}”不是数字"))
            parcels.append(SurveyParcel(line=number, point_count=count, area=values[1], code=values[2],
                                        name=values[3], shape_kind=values[4], sheet=values[5],
                                        land_use=values[6], land_use_code=values[7]))
            continue
        if not parcels:
            problems.append((number, "坐标行出现在第一个地块标题行（以 @ 结尾）之前"))
            continue
        if len(fields) < 4:
            problems.append((number, "坐标行应为“点号,圈号,X,Y”"))
            continue
        name, ring, x, y = fields[0], fields[1], fields[2], fields[3]
        try:
            ring_no = int(float(ring))
        except ValueError:
            problems.append((number, f"圈号“{ring}”不是数字"))
            continue
        try:
            xv, yv = float(x), float(y)
        except ValueError:
            problems.append((number, f"坐标“{x}, {y}”不是数字"))
            continue
        parcels[-1].points.append((number, ring_no, name, xv, yv))
    if not seen_coordinates:
        raise SurveyFileError("不是勘测定界坐标文件：没有 [地块坐标] 部分")
    for parcel in parcels:
        if parcel.point_count is not None and parcel.points and parcel.point_count != len(parcel.points):
            problems.append((parcel.line, f"地块“{parcel.code}”标明界址点数 {parcel.point_count}，"
                                          f"实际有 {len(parcel.points)} 个坐标行"))
    return SurveyFile(attributes=attributes, parcels=parcels, encoding=encoding, problems=problems)


def _number(text: str) -> int | None:
    match = re.search(r"\d+", text or "")
    return int(match.group()) if match else None


def declared_epsg(survey: SurveyFile) -> tuple[int | None, str]:
    """The EPSG code the [属性描述] section describes (with the zone prefix as the coordinates show),
    or (None, why not). (None, "") when the section says too little: the ranges then decide."""
    attrs = survey.attributes
    system = attrs.get("坐标系", "")
    if system and not ("2000" in system or "CGCS" in system.upper()):
        if "80" in system or "西安" in system:
            name = "1980 西安坐标系"
        elif "54" in system or "北京" in system:
            name = "1954 北京坐标系"
        else:
            name = system
        return None, f"坐标系为“{name}”：请先转换为 2000 国家大地坐标系（CGCS2000）后再导入"
    units = attrs.get("计量单位", "")
    if units and "米" not in units and units.lower() not in ("m", "meter", "metre"):
        return None, f"计量单位为“{units}”，应为米"
    width = _number(attrs.get("几度分带", "")) or 3
    zone = _number(attrs.get("带号", ""))
    if zone is None:
        return None, ""
    prefixed = survey.eastings_prefixed()
    if width == 3 and 25 <= zone <= 45:
        return (epsg_3deg_zone(zone) if prefixed else epsg_3deg_cm(3 * zone)), ""
    if width == 6 and 13 <= zone <= 23:
        return (epsg_6deg_zone(zone) if prefixed else 4502 + (6 * zone - 3 - 75) // 6), ""
    return None, f"分带“{width} 度带、带号 {zone}”不是中国范围内的高斯投影分带"
