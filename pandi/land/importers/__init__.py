"""Importers for the land registry (import-formats.md §1–4). One engine (`common.run_import`),
one module per kind of file: `supplies` (供地台账), `geo` (parcels and buildings)."""
