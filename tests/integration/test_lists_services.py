"""The lists' services: proposing from a run (and again from a newer one), the review and numbering."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pandi.audit.models import AuditEntry
from pandi.screening import services
from pandi.screening.models import InventoryEntry, InventoryList
from tests.screening_world import accepted, screened

pytestmark = pytest.mark.django_db


def test_proposing_again_from_a_newer_run_refreshes_facts_and_keeps_the_review(world):
    ns = screened(world)
    lead = world.users["lead"]
    services.entry_exclude(user=world.users["town_a"], entry=ns.block_a, reason="planning", note="规划调整")
    old_days = ns.entry_a.days_past_start
    _o, newer = services.run_execute(user=lead, as_of=date(2021, 6, 30), values={}, campaign=world.campaign)
    services.lists_propose(run=newer, user=lead, campaign=world.campaign)
    assert InventoryEntry.objects.count() == 4  # no duplicates
    entry = InventoryEntry.objects.get(pk=ns.entry_a.pk)
    assert entry.days_past_start == old_days + 61
    block = InventoryEntry.objects.get(pk=ns.block_a.pk)
    assert block.included is False and block.exclusion_reason == "planning"
    assert set(block.parcels.values_list("code", flat=True)) == {"A-001"}
    assert AuditEntry.objects.filter(object_id=str(entry.pk), comment__contains="更新").exists()


def test_submitted_and_accepted_lists_are_not_touched_by_a_new_proposal(world):
    ns = accepted(world)
    lead = world.users["lead"]
    numbers = set(InventoryEntry.objects.values_list("number", flat=True))
    _o, newer = services.run_execute(user=lead, as_of=date(2021, 6, 30), values={}, campaign=world.campaign)
    assert services.lists_propose(run=newer, user=lead, campaign=world.campaign) == []
    assert set(InventoryEntry.objects.values_list("number", flat=True)) == numbers
    assert InventoryList.objects.get(pk=ns.list_a.pk).run_id == ns.run.pk


def test_only_the_district_lead_proposes_and_reviews(world):
    ns = screened(world)
    with pytest.raises(PermissionDenied):
        services.lists_propose(run=ns.run, user=world.users["town_a"], campaign=world.campaign)
    services.list_submit(user=world.users["town_a"], inventory_list=ns.list_a)
    with pytest.raises(PermissionDenied):
        services.list_review(user=world.users["town_a"], inventory_list=ns.list_a, accept=True)
    with pytest.raises(PermissionDenied):
        services.list_submit(user=world.users["town_b"], inventory_list=ns.list_a)


def test_a_submitted_list_cannot_be_edited_and_a_return_needs_a_comment(world):
    ns = screened(world)
    services.list_submit(user=world.users["town_a"], inventory_list=ns.list_a)
    with pytest.raises(ValidationError, match="不能修改"):
        services.entry_exclude(user=world.users["town_a"], entry=ns.block_a, reason="planning")
    with pytest.raises(ValidationError, match="审核意见"):
        services.list_review(user=world.users["lead"], inventory_list=ns.list_a, accept=False, comment=" ")
    lst = services.list_review(user=world.users["lead"], inventory_list=ns.list_a, accept=False, comment="请核实")
    assert lst.status == "returned"
    services.entry_exclude(user=world.users["town_a"], entry=ns.block_a, reason="planning")  # editable again


def test_numbers_are_stable_and_follow_area_order(world):
    ns = accepted(world)
    district = list(ns.district_list.entries.order_by("number").values_list("number", "area_m2"))
    assert [n for n, _a in district] == ["2021-QJ-001", "2021-QJ-002"]
    assert district[0][1] >= district[1][1]
    with pytest.raises(ValidationError):
        services.list_review(user=world.users["lead"], inventory_list=ns.list_a, accept=True)


def test_block_entries_carry_the_outline_of_their_block(world):
    from pandi.screening.models import VacantBlock

    ns = screened(world)
    block = VacantBlock.objects.get(run=ns.run, block_id=ns.block_a.block_id)
    entry = InventoryEntry.objects.get(pk=ns.block_a.pk)
    assert entry.geometry == block.geometry
    assert block.geometry["type"] in ("Polygon", "MultiPolygon")
