from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms, template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def history_url(obj: Any) -> str:
    meta = obj._meta
    return reverse("audit:history", args=[f"{meta.app_label}.{meta.model_name}", obj.pk])


@register.filter
def bs(field: forms.BoundField) -> str:
    """Render a form field's widget with Bootstrap classes (and is-invalid when it has errors)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def num(value: Any, places: int = 2) -> str:
    """A number with thousands separators and fixed decimals: 1600000 -> 1,600,000.00."""
    if value is None or value == "":
        return "—"
    try:
        d = Decimal(str(value))
    except Exception:
        return str(value)
    return f"{d:,.{int(places)}f}"


@register.filter
def days_left(days: int) -> str:
    if days > 0:
        return f"还剩 {days} 天"
    if days == 0:
        return "今天截止"
    return f"已过 {-days} 天"


@register.simple_tag
def badge(text: str, tone: str = "secondary") -> str:
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, text)


@register.filter
def mu(value: Any) -> str:
    """Square metres shown in 亩 (m² × 15 / 10 000), two decimals: 43117.5 -> 64.68."""
    from pandi.domain.units import m2_to_mu, round2

    if value is None or value == "":
        return "—"
    try:
        return f"{round2(m2_to_mu(Decimal(str(value)))):,.2f}"
    except Exception:
        return str(value)


@register.filter
def state_colour(state: str) -> str:
    """The map colour of a parcel state (pandi.domain.construction.STATE_COLOURS)."""
    from pandi.domain.construction import STATE_COLOURS, ConstructionState

    try:
        return STATE_COLOURS[ConstructionState(state)]
    except ValueError:
        return "#6b7280"


@register.simple_tag
def state_badge(state: str, label: str = "") -> str:
    """A parcel state as a badge with its map colour."""
    from pandi.domain.construction import STATE_LABELS, ConstructionState

    if not label:
        try:
            label = STATE_LABELS[ConstructionState(state)]
        except ValueError:
            label = state or "—"
    return format_html(
        '<span class="pd-state" data-state="{}" style="display:inline-flex;align-items:center;gap:.35em;'
        'white-space:nowrap"><span style="display:inline-block;width:.75em;height:.75em;border-radius:50%;'
        'background:{}" aria-hidden="true"></span>{}</span>', state, state_colour(state), label)
