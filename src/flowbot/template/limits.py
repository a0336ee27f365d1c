"""The work one render may do: its output size and its `#each` iterations.

A template is the bot builder's, but the arrays it loops over and the text it
prints may come from the visitor (`params`, `message.payload`): three nested
`#each` over a 200-element array are 8 million iterations. A render stops,
with a `TemplateLimitError`, when it would

* run more than `MAX_ITERATIONS` `#each` iterations in all (nested ones count
  together; a loop is charged for all its elements before it starts; the
  copies a ranged array expansion `{{arr[0..n].x}}` makes count as well), or
* produce more than `MAX_OUTPUT` characters in one template (or the
  template's own length, if that is longer: a text the builder wrote is
  never refused), checked as each loop adds an iteration's output and at the
  end of the render.

The iterations are counted in a `Budget`, carried by the render's `Env`: one
per `Template.render`, and one for all the strings of a
`CompiledValue.render` (a message with its cards and their array-expanded
clones counts as one render). Renders without any loop share `UNCHARGED`,
which only loops would charge: making a budget for them would cost time for
nothing.
"""

from __future__ import annotations

from typing import Final

from flowbot.template.errors import TemplateLimitError

__all__ = [
    "MAX_ITERATIONS",
    "MAX_OUTPUT",
    "UNCHARGED",
    "Budget",
    "too_long",
    "too_many_copies",
    "too_many_iterations",
]

MAX_OUTPUT: Final = 100_000
MAX_ITERATIONS: Final = 10_000


class Budget:
    """What is left to one render: the `#each` iterations it may still run."""

    __slots__ = ("iterations",)

    def __init__(self, iterations: int = MAX_ITERATIONS) -> None:
        self.iterations = iterations


# The budget of every render that runs no loop: nothing charges it.
UNCHARGED: Final = Budget()


def too_long(limit: int) -> TemplateLimitError:
    return TemplateLimitError(f"template stopped: its output would be over {limit:,} characters")


def too_many_iterations() -> TemplateLimitError:
    return TemplateLimitError(
        f"template stopped: more than {MAX_ITERATIONS:,} #each iterations in one render "
        "(nested loops count together)"
    )


def too_many_copies() -> TemplateLimitError:
    return TemplateLimitError(
        f"template stopped: more than {MAX_ITERATIONS:,} #each iterations and array-expansion "
        "copies in one render"
    )
