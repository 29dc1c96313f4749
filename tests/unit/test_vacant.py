"""Vacant land and vacant blocks (screening.md §5): pure geometry in metres, no Django."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

import pytest
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from pandi.domain.vacant import M2_PER_MU, VacantParams, VacantResult, block_id, mu, vacant_blocks

X0, Y0 = 500000.0, 3300000.0  # somewhere in Jinhua, EPSG:4549 metres
FIVE_MU_M2 = 5 * 10000 / 15


def box(x: float, y: float, w: float, h: float | None = None) -> BaseGeometry:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


@dataclass
class P:
    key: str
    geom: BaseGeometry
    township: str | None = "多湖街道"
    holders: tuple[str, ...] = ("甲公司",)
    needs_survey: bool = False
    surveyed: bool = False


def run(parcels: list[P], footprints: list[tuple[str, BaseGeometry]] = (), **params) -> VacantResult:
    return vacant_blocks(
        keys=[p.key for p in parcels], geometries=[p.geom for p in parcels],
        townships=[p.township for p in parcels], holders=[p.holders for p in parcels],
        needs_survey=[p.needs_survey for p in parcels], surveyed=[p.surveyed for p in parcels],
        footprint_keys=[k for k, _ in footprints], footprint_geometries=[g for _, g in footprints],
        params=VacantParams(**params))


# --- the 5 mu threshold ---------------------------------------------------------------------------

@pytest.mark.parametrize(("height_m", "listed", "area_mu"), [
    (200 / 3, True, 5.0),  # exactly 5 mu (3333.33… m²); shapely gives 3333.33333332557 at these coordinates
    (66.6667, True, 5.0),
    (70.0, True, 5.25),
    (66.5, False, 4.99),  # 3325 m² = 4.9875 mu
    (66.0, False, 4.95),
])
def test_blocks_of_five_mu_or_more_are_listed(height_m, listed, area_mu):
    result = run([P("A", box(0, 0, 50, height_m))])
    [block] = result.blocks
    assert block.listed is listed
    assert block.area_mu == area_mu
    assert block.area_m2 == pytest.approx(50 * height_m, abs=0.01)


def test_min_mu_can_be_changed():
    result = run([P("A", box(0, 0, 50, 66.0))], min_mu=4.9)
    assert result.blocks[0].listed


def test_mu_and_constant():
    assert round(M2_PER_MU, 4) == 666.6667
    assert mu(FIVE_MU_M2) == pytest.approx(5.0)
    assert mu(10000) == pytest.approx(15.0)


# --- contiguity --------------------------------------------------------------------------------

@pytest.mark.parametrize(("gap_m", "tolerance_m", "joined"), [
    (0.0, 1.0, True),  # touching parcels
    (0.5, 1.0, True),
    (1.0, 1.0, True),  # exactly at the tolerance
    (1.01, 1.0, False),
    (15.0, 1.0, False),  # a road between parcels separates them
    (0.0, 0.0, True),  # touching joins even without tolerance
    (0.5, 0.0, False),
    (15.0, 20.0, True),
])
def test_pieces_join_when_within_the_tolerance(gap_m, tolerance_m, joined):
    result = run([P("A", box(0, 0, 60)), P("B", box(60 + gap_m, 0, 60))], tolerance_m=tolerance_m)
    if joined:
        [block] = result.blocks
        assert block.parcel_keys == ["A", "B"]
        assert block.area_m2 == 7200.0  # the gap is not counted
        assert block.listed
    else:
        assert [b.parcel_keys for b in result.blocks] == [["A"], ["B"]]
        assert all(b.area_m2 == 3600.0 and b.listed for b in result.blocks)


def test_parcels_touching_at_a_corner_join():
    result = run([P("A", box(0, 0, 60)), P("B", box(60, 60, 60))])
    assert [b.parcel_keys for b in result.blocks] == [["A", "B"]]


def test_two_small_parcels_together_make_a_listed_block():
    result = run([P("A", box(0, 0, 40)), P("B", box(40.5, 0, 40))])
    [block] = result.blocks
    assert block.area_m2 == 3200.0 and block.area_mu == 4.8 and not block.listed
    result = run([P("A", box(0, 0, 40, 45)), P("B", box(40.5, 0, 40, 45))])
    assert result.blocks[0].area_mu == 5.4 and result.blocks[0].listed


def test_chain_of_parcels_is_one_block():
    parcels = [P(f"K{i:02d}", box(i * 30.5, 0, 30)) for i in range(20)]
    random.Random(1).shuffle(parcels)
    [block] = run(parcels).blocks
    assert block.parcel_keys == [f"K{i:02d}" for i in range(20)]
    assert block.area_m2 == 20 * 900.0


# --- holders, townships --------------------------------------------------------------------------

def test_block_across_holders_and_townships_goes_to_the_larger_share():
    result = run([
        P("A", box(0, 0, 60), township="东孝街道", holders=("乙公司",)),
        P("B", box(60, 0, 40, 60), township="多湖街道", holders=("甲公司", "乙公司")),
        P("C", box(100, 0, 40, 60), township="多湖街道", holders=("丙公司",)),
    ])
    [block] = result.blocks
    assert block.township == "多湖街道"  # 4800 m² against 3600 m²
    assert block.township_shares == {"东孝街道": 3600.0, "多湖街道": 4800.0}
    assert block.holders == sorted({"甲公司", "乙公司", "丙公司"})
    assert block.parcel_keys == ["A", "B", "C"]


@pytest.mark.parametrize("order", [("B镇", "A镇"), ("A镇", "B镇")])
def test_township_tie_goes_to_the_alphabetically_first(order):
    result = run([P("A", box(0, 0, 60), township=order[0]), P("B", box(60, 0, 60), township=order[1])])
    assert result.blocks[0].township == "A镇"


def test_pieces_without_township_do_not_take_the_block():
    result = run([P("A", box(0, 0, 80), township=None), P("B", box(80, 0, 20), township="多湖街道")])
    [block] = result.blocks
    assert block.township == "多湖街道"
    assert block.township_shares == {"多湖街道": 400.0}
    assert run([P("A", box(0, 0, 80), township=None)]).blocks[0].township is None


# --- footprints and surveys ----------------------------------------------------------------------

@pytest.mark.parametrize(("footprints", "vacant_m2"), [
    ([], 10000.0),
    ([box(10, 10, 20)], 9600.0),
    ([box(90, 40, 20)], 9800.0),  # overhangs the parcel by half: only the half on it counts
    ([box(10, 10, 20), box(20, 20, 20)], 10000.0 - 700.0),  # overlapping footprints: their union
    ([box(-10, -10, 200)], 0.0),  # built over entirely
])
def test_footprints_are_subtracted(footprints, vacant_m2):
    result = run([P("A", box(0, 0, 100))], [("A", g) for g in footprints])
    assert result.vacant_m2_by_key == {"A": vacant_m2}
    assert sum(b.area_m2 for b in result.blocks) == vacant_m2


def test_footprints_of_another_parcel_are_not_subtracted():
    result = run([P("A", box(0, 0, 100)), P("B", box(200, 0, 100))], [("B", box(10, 10, 20)), ("Z", box(210, 10, 20))])
    assert result.vacant_m2_by_key == {"A": 10000.0, "B": 10000.0}


def test_started_parcel_without_survey_is_unknown_and_not_counted():
    result = run([
        P("A", box(0, 0, 60)),
        P("U", box(60, 0, 60), needs_survey=True),
        P("B", box(120, 0, 60)),
    ])
    assert result.unknown_keys == ["U"]
    assert "U" not in result.vacant_m2_by_key
    assert [b.parcel_keys for b in result.blocks] == [["A"], ["B"]]  # U does not bridge A and B


@pytest.mark.parametrize(("surveyed", "footprints", "vacant_m2"), [
    (False, [box(70, 10, 20)], 3200.0),  # has footprints: surveyed, whatever the flag says
    (True, [box(70, 10, 20)], 3200.0),
    (True, [], 3600.0),  # surveyed and nothing built
])
def test_started_parcel_with_a_survey_is_counted(surveyed, footprints, vacant_m2):
    result = run([P("A", box(0, 0, 60)), P("S", box(60, 0, 60), needs_survey=True, surveyed=surveyed)],
                 [("S", g) for g in footprints])
    assert result.unknown_keys == []
    assert result.vacant_m2_by_key["S"] == vacant_m2
    [block] = result.blocks
    assert block.parcel_keys == ["A", "S"] and block.area_m2 == 3600.0 + vacant_m2


def test_not_started_parcel_is_vacant_except_its_footprints():
    result = run([P("A", box(0, 0, 60), surveyed=False)], [("A", box(0, 0, 30, 60))])
    assert result.unknown_keys == []
    assert result.vacant_m2_by_key == {"A": 1800.0}


def test_building_across_a_parcel_splits_its_vacant_land():
    result = run([P("A", box(0, 0, 200, 60))], [("A", box(80, -5, 40, 70))])
    assert [b.area_m2 for b in result.blocks] == [4800.0, 4800.0]
    ids = [b.block_id for b in result.blocks]
    assert len(set(ids)) == 2 and ids[0] == block_id(["A"]) and ids[1] == block_id(["A"]) + "-2"
    assert result.vacant_m2_by_key == {"A": 9600.0}


def test_narrow_strips_beside_a_building_keep_the_vacant_land_in_one_piece():
    # built from wall to wall but for 0.5 m strips: the strips are vacant and join both sides
    result = run([P("A", box(0, 0, 200, 60))], [("A", box(80, 0.5, 40, 59))])
    assert len(result.blocks) == 1


# --- minimum width ---------------------------------------------------------------------------------

def test_min_width_drops_a_sliver_and_keeps_a_square():
    parcels = [P("SQ", box(0, 0, 40)), P("SL", box(100, 0, 3, 200))]
    without = run(parcels)
    assert sorted(b.area_m2 for b in without.blocks) == [600.0, 1600.0]
    with_width = run(parcels, min_width_m=5.0)
    [block] = with_width.blocks
    assert block.parcel_keys == ["SQ"] and block.area_m2 == 1600.0  # square corners are kept
    assert with_width.vacant_m2_by_key == {"SQ": 1600.0, "SL": 0.0}


def test_min_width_cuts_a_sliver_bridge_between_squares():
    parcels = [P("L", box(0, 0, 40)), P("BR", box(40, 18, 100, 3)), P("R", box(140, 0, 40))]
    assert len(run(parcels).blocks) == 1
    assert sorted(b.parcel_keys for b in run(parcels, min_width_m=5.0).blocks) == [["L"], ["R"]]


def test_min_width_trims_narrow_leftovers_beside_buildings():
    # a 2 m strip left between the building and the boundary is no building land
    result = run([P("A", box(0, 0, 60))], [("A", box(2, 0, 58, 30))], min_width_m=5.0)
    assert result.vacant_m2_by_key == {"A": 1800.0}


# --- ids, order, union ---------------------------------------------------------------------------

def test_block_id_is_stable_regardless_of_input_order():
    parcels = [P(f"P{i}", box((i % 5) * 60.5, (i // 5) * 80, 60)) for i in range(25)]
    footprints = [(f"P{i}", box((i % 5) * 60.5 + 10, (i // 5) * 80 + 10, 20)) for i in range(0, 25, 3)]
    first = run(parcels, footprints)
    shuffled, fp_shuffled = parcels[:], footprints[:]
    random.Random(7).shuffle(shuffled)
    random.Random(8).shuffle(fp_shuffled)
    second = run(shuffled, fp_shuffled)
    assert [(b.block_id, b.area_m2, b.parcel_keys) for b in first.blocks] == \
           [(b.block_id, b.area_m2, b.parcel_keys) for b in second.blocks]
    assert first.vacant_m2_by_key == second.vacant_m2_by_key
    for b in first.blocks:
        assert re.fullmatch(r"VB-[0-9a-f]{10}", b.block_id)
        assert b.block_id == "VB-" + hashlib.sha1("|".join(b.parcel_keys).encode()).hexdigest()[:10]


def test_blocks_are_listed_largest_first():
    result = run([P("S", box(0, 0, 30)), P("L", box(100, 0, 80)), P("M", box(300, 0, 50))])
    assert [b.parcel_keys for b in result.blocks] == [["L"], ["M"], ["S"]]
    assert [b.listed for b in result.blocks] == [True, False, False]


def test_union_area_does_not_double_count_overlapping_pieces():
    result = run([P("A", box(0, 0, 60), township="甲镇"), P("B", box(50, 0, 60), township="乙镇")])
    [block] = result.blocks
    assert block.area_m2 == 110 * 60.0
    assert block.geometry.area == pytest.approx(6600.0)
    assert block.township_shares == {"甲镇": 3600.0, "乙镇": 3600.0}  # each piece's own area
    assert result.vacant_m2_by_key == {"A": 3600.0, "B": 3600.0}


def test_invalid_geometry_is_made_valid():
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    assert not bowtie.is_valid
    result = run([P("A", bowtie)])
    assert result.vacant_m2_by_key == {"A": 5000.0}


def test_empty_input_and_empty_geometries():
    assert run([]) == VacantResult(blocks=[], unknown_keys=[], vacant_m2_by_key={})
    result = run([P("E", Polygon()), P("A", box(0, 0, 10))])
    assert result.vacant_m2_by_key == {"E": 0.0, "A": 100.0}
    assert [b.parcel_keys for b in result.blocks] == [["A"]]


@pytest.mark.parametrize("kwargs", [
    {"townships": ["x"]},
    {"footprint_keys": ["A"]},
    {"keys": ["A", "A"]},
])
def test_bad_input_is_refused(kwargs):
    base = {"keys": ["A", "B"], "geometries": [box(0, 0, 10), box(20, 0, 10)], "townships": [None, None],
            "holders": [(), ()], "needs_survey": [False, False], "surveyed": [False, False],
            "footprint_keys": [], "footprint_geometries": []}
    with pytest.raises(ValueError):
        vacant_blocks(**{**base, **kwargs})


def test_negative_tolerance_is_refused():
    with pytest.raises(ValueError):
        run([P("A", box(0, 0, 10))], tolerance_m=-1)


# --- scale ---------------------------------------------------------------------------------------

def test_five_thousand_parcels_in_clusters_separated_by_roads():
    """100 × 50 parcels of 60 m in clusters of 5 × 5, 0.5 m apart inside a cluster and 15 m roads
    between clusters; a footprint on every third parcel, every 97th started and unsurveyed."""
    parcels, footprints = [], []
    for col in range(100):
        for row in range(50):
            i = col * 50 + row
            x = col * 60.5 + (col // 5) * 15
            y = row * 60.5 + (row // 5) * 15
            key = f"P{i:05d}"
            parcels.append(P(key, box(x, y, 60), township=f"T{col // 25}", holders=(f"H{i % 37}",),
                             needs_survey=i % 97 == 0))
            if i % 3 == 0:
                footprints.append((key, box(x + 10, y + 10, 30, 20)))
    result = run(parcels, footprints)
    unknown = {p.key for p in parcels if p.needs_survey and not any(k == p.key for k, _ in footprints)}
    assert set(result.unknown_keys) == unknown
    assert len(result.vacant_m2_by_key) == len(parcels) - len(unknown)
    assert len(result.blocks) == 20 * 10
    in_blocks = [k for b in result.blocks for k in b.parcel_keys]
    assert sorted(in_blocks) == sorted(result.vacant_m2_by_key)
    assert sum(b.area_m2 for b in result.blocks) == pytest.approx(sum(result.vacant_m2_by_key.values()))
    assert all(b.listed and b.township in {"T0", "T1", "T2", "T3"} for b in result.blocks)
    assert all(sum(b.township_shares.values()) == pytest.approx(b.area_m2) for b in result.blocks)
