"""Screening API: runs, lists, inventory entries and the work plan — scoped like the pages."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["排摸与清单"])
