"""Units (rules.md §0): 1 亩 = 10000/15 m²; 1 公顷 = 15 亩 = 10 000 m²."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

M2_PER_MU = Decimal(10000) / Decimal(15)
M2_PER_HA = Decimal(10000)


def m2_to_mu(m2: Decimal | float | int) -> Decimal:
    return Decimal(str(m2)) * Decimal(15) / Decimal(10000)


def mu_to_m2(mu: Decimal | float | int) -> Decimal:
    return Decimal(str(mu)) * Decimal(10000) / Decimal(15)


def ha_to_m2(ha: Decimal | float | int) -> Decimal:
    return Decimal(str(ha)) * M2_PER_HA


def round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
