"""``{% load held_up %}``: ``seat|held_up:stage``, whether a panel waits for a seat's holder
who was deactivated (``panels.selectors.seat_held_up``: not submitted, not excused, the
panel scoring or at consensus), read from the seat and person already loaded: no query.
``seat|presiding:acting``, whether its holder chairs the panel now, given the panel's
acting chair (``panels.selectors.acting_chair``, or None), without loading its panel.
``{% seat_waits seat stage acting as waits %}``: ``held_up`` for a chair too, who holds the
panel up once deactivated even with their scores in (only the chair records consensus)."""

from django import template

from panels.selectors import seat_held_up

register = template.Library()


@register.filter
def held_up(seat, stage) -> bool:
    return seat is not None and seat_held_up(seat, stage)


@register.filter
def presiding(seat, acting) -> bool:
    if acting is not None:
        return seat.pk == acting.seat_id
    return seat.seat_type.is_chair


@register.simple_tag
def seat_waits(seat, stage, acting) -> bool:
    return seat is not None and seat_held_up(seat, stage, presides=presiding(seat, acting))
