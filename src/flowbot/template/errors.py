"""The exceptions of the template package."""

from __future__ import annotations

__all__ = ["TemplateError", "TemplateLimitError", "TemplateRenderError", "TemplateSyntaxError"]


class TemplateError(Exception):
    """Base class of every template failure."""


class TemplateSyntaxError(TemplateError):
    """A template that cannot be parsed or compiled.

    `line` and `column` are 1-based and point at the offending token; `path`
    names the JSON path of the string inside a compiled value ("" for a lone
    template).
    """

    def __init__(self, message: str, line: int = 1, column: int = 1, path: str = "") -> None:
        self.message = message
        self.line = line
        self.column = column
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{line}:{column}: {message}")

    def at_path(self, path: str) -> TemplateSyntaxError:
        """The same error, located inside a JSON value at `path`."""
        return TemplateSyntaxError(self.message, self.line, self.column, path)


class TemplateRenderError(TemplateError):
    """A template that failed while rendering (e.g. a helper rejected its arguments)."""


class TemplateLimitError(TemplateRenderError):
    """A render that went over its budget (output size, #each iterations; see `limits`)."""
