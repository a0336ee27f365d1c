"""`fetch`: an HTTP request through the injected `HttpPort`; the result lands in `fetch`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowbot.engine.compiling import NodeCompiler, Renderable
from flowbot.engine.errors import TurnError
from flowbot.engine.nodes.base import NodeHandler, NodeOutcome
from flowbot.engine.ports import HttpRequest
from flowbot.format.models import AnyNode, FetchNode
from flowbot.template.masking import mentions_mask, reveal_value

if TYPE_CHECKING:
    from flowbot.engine.program import CompiledNode
    from flowbot.engine.run import Run

__all__ = ["FetchHandler", "FetchSpec"]


class FetchSpec:
    __slots__ = ("content_type", "masked", "method", "parts")

    def __init__(
        self, method: str, content_type: str | None, parts: Renderable, *, masked: bool = False
    ) -> None:
        self.method = method
        self.content_type = content_type
        self.parts = parts  # renders to {"uri", "headers", "body"}
        self.masked = masked  # the parts may call MASK: the request carries the clear text


def _failure(uri: str, status_code: int | None, error: str, data: Any = None) -> dict[str, Any]:
    return {
        "uri": uri,
        "data": data,
        "statusCode": status_code,
        "status": "FAILED",
        "error": error,
    }


class FetchHandler(NodeHandler):
    type = "fetch"

    def compile(self, node: AnyNode, compiler: NodeCompiler) -> FetchSpec | None:
        assert isinstance(node, FetchNode)
        data = node.data
        source = {"uri": data.uri, "headers": dict(data.headers or {}), "body": data.body}
        parts = compiler.value(source, "data")
        if parts is None:
            return None
        return FetchSpec(
            data.method.upper(), data.content_type, parts, masked=mentions_mask(source)
        )

    async def execute(self, node: CompiledNode, run: Run) -> NodeOutcome:
        http = run.ports.http
        if http is None:
            raise TurnError("fetch is not available")
        spec: FetchSpec = node.data
        parts = spec.parts.render(run.context)
        if spec.masked:
            parts = reveal_value(parts)
        uri = str(parts["uri"]).strip()
        request = HttpRequest(
            method=spec.method,
            uri=uri,
            headers={str(k): str(v) for k, v in parts["headers"].items()},
            content_type=spec.content_type,
            body=parts["body"],
        )
        try:
            response = await http.request(request)
        except Exception as exc:  # a port reports any failure by raising: it becomes data
            result = _failure(uri, None, str(exc) or type(exc).__name__)
        else:
            # CLOSER: an answer is COMPLETED whatever its status; a non-2xx one
            # also carries a StatusCodeError, which edges may branch on
            ok = 200 <= response.status_code < 300
            result = {
                "uri": uri,
                "data": response.data,
                "statusCode": response.status_code,
                "status": "COMPLETED",
                "error": None if ok else f"StatusCodeError: {response.status_code}",
            }
        run.context["fetch"] = result
        # only a request that got no answer fails the turn (unless an edge handles it)
        failure = f"fetch {uri} failed: {result['error']}" if result["status"] == "FAILED" else None
        return NodeOutcome(
            "next",
            detail={"request": {"method": spec.method, "uri": uri}, "fetch": result},
            failure=failure,
        )
