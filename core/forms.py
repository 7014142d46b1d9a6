"""Small pieces every form uses."""
from collections.abc import Iterable

from wtforms import SelectChoice


def options(pairs: Iterable[tuple]) -> list[SelectChoice]:
    """[(value, label), ...] as the option objects WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]
