"""flowbot's sandbox bootstrap for the python runtime (see runner.py); never imported.

    python3 -I -S bootstrap.py RESULT_FD RESULT_LIMIT [EGRESS_SOCKET FORWARD_PORT]

Reads one JSON document {"script", "context"} on stdin, runs the script as a
module and calls its `handler(context)` (a plain function returning a dict,
or an `async def`), then writes ONE JSON line, {"result": ...} or
{"error": {"name", "message"}}, on RESULT_FD: a pipe of its own, never mixed
with what the script prints. Then it exits at once (threads the script left
are not waited for).

In bubblewrap mode the sandbox has no network: a forwarder on the sandbox's
own 127.0.0.1:FORWARD_PORT (where the proxy variables point) relays each
connection to the egress proxy's unix socket EGRESS_SOCKET.

It runs on the server's system python3, maybe older than flowbot's own:
standard library only, no syntax newer than 3.8.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import socket

# asyncio (40 ms), inspect, socket and threading are imported when needed only:
# every millisecond here is one more per script run.


def _pump(source: socket.socket, sink: socket.socket) -> None:
    import socket

    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            sink.sendall(chunk)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _forward(egress_socket: str, port: int) -> None:
    import socket
    import threading

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)

    def serve() -> None:
        while True:
            client, _ = server.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(egress_socket)
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


def _error(error: BaseException) -> dict[str, Any]:
    message = str(error)
    if isinstance(error, MemoryError) and not message:
        message = "out of memory"
    return {"error": {"name": type(error).__name__, "message": message}}


def _run(payload: dict[str, Any]) -> Any:
    module = type(sys)("script")
    module.__file__ = os.path.join(os.getcwd(), "script.py")
    sys.modules["script"] = module
    exec(compile(payload["script"], module.__file__, "exec"), module.__dict__)
    handler = module.__dict__.get("handler")
    if not callable(handler):
        raise TypeError("the script must define a handler: def handler(context): ...")
    value = handler(payload["context"])
    if hasattr(value, "__await__"):  # an async def handler
        import asyncio

        async def wait() -> Any:
            return await value

        value = asyncio.run(wait())
    return value


def main() -> None:
    result_fd = int(sys.argv[1])
    limit = int(sys.argv[2])
    if len(sys.argv) > 4:
        _forward(sys.argv[3], int(sys.argv[4]))
    del sys.argv[1:]
    answer: dict[str, Any]
    try:
        payload = json.loads(sys.stdin.buffer.read())
        answer = {"result": _run(payload)}
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the script's too
        answer = _error(error)
    try:
        line = json.dumps(answer, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        message = f"the result is not JSON: {error}"
        line = json.dumps({"error": {"name": "TypeError", "message": message}})
    data = line.encode("utf-8", "surrogatepass")
    if len(data) > limit + 64:
        data = json.dumps({"oversize": len(data)}).encode()
    data += b"\n"
    try:
        while data:
            data = data[os.write(result_fd, data) :]
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
