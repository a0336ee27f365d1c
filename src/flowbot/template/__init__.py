"""The CLOSER dialect of Handlebars (SPEC §5): parsed once, compiled to closures.

PUBLIC API — other packages depend on exactly these names and signatures:

    compile_template(source: str) -> Template
        Parses once; raises TemplateSyntaxError(message, line, column).
    Template.render(context: Mapping[str, Any]) -> str
        Never re-parses. Raises TemplateRenderError for run-time failures,
        TemplateLimitError (a subclass) past the render budget (`limits`).
    Template.source: str ; Template.is_static: bool (no tags at all)
    compile_value(value: Any) -> CompiledValue
        Compiles every string inside a JSON-like value (dicts, lists, scalars);
        raises TemplateSyntaxError whose `.path` names the JSON path (e.g.
        "cards[0].title").
    CompiledValue.render(context) -> Any
        Renders the value, applying array expansion inside lists
        (`{{arr[i].x}}` / `{{arr[0..5].x}}` clone a list item per element).

Both compile functions also take `helpers=` (a name → function table, default
`helpers.HELPERS`) for an injected clock or random generator.

Semantics are handlebars.js 4.0.12 with `noEscape`: `{{x}}` and `{{{x}}}`
print the same, values print like JS `String()`, null and undefined print
nothing. CLOSER's additions: `a[0]` indexing, function-style helper calls
`NAME(arg, …)`, the `$eq $ne $lt $lte $gt $gte $and $or` helpers, top-level
names falling back to `params`, and array expansion in `compile_value`.
"""

from __future__ import annotations

from flowbot.template.errors import (
    TemplateError,
    TemplateLimitError,
    TemplateRenderError,
    TemplateSyntaxError,
)
from flowbot.template.expand import CompiledValue, compile_value
from flowbot.template.template import Template, compile_template

__all__ = [
    "CompiledValue",
    "Template",
    "TemplateError",
    "TemplateLimitError",
    "TemplateRenderError",
    "TemplateSyntaxError",
    "compile_template",
    "compile_value",
]
