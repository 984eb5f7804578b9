"""The base of every record class in the package: one readable `repr` for all of them.

The records are dataclasses declared with `repr=False`: generating a `__repr__` for each costs
about a quarter of a millisecond, paid at every start of cron's `run` (`bench/bench_import.py`
counts the package's imports), so `Record` supplies the same text, made only when asked for.
"""

from __future__ import annotations


class Record:
    """`Name(field=value, ...)` for a dataclass, as the generated `__repr__` writes it."""

    __slots__ = ()

    def __repr__(self) -> str:
        fields = getattr(self, "__dataclass_fields__", {})
        values = ", ".join(
            f"{name}={getattr(self, name)!r}" for name, spec in fields.items() if spec.repr
        )
        return f"{type(self).__qualname__}({values})"
