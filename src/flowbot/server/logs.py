"""Log lines never carry a conversation token or an API key.

The widget's event stream takes its token in the query (`?token=`: an
EventSource cannot send headers), and uvicorn's access log prints the whole
request line; so does a Kakao or TalkTalk webhook's path, whose last segment
is the secret that stands in for a signature. `RedactSecrets` rewrites such
query values and path tokens to `***` in every
record that reaches the handlers it is attached to; `flowbot serve` attaches
it to the handlers of the root logger and of uvicorn's loggers, once uvicorn
has configured them, so that every line written is redacted.
"""

from __future__ import annotations

import logging
import re

__all__ = ["REDACTED_LOGGERS", "RedactSecrets", "redact", "redact_logs"]

# query parameters whose values are secrets
_SECRET_QUERY = re.compile(r"((?:^|[?&;])(?:token|key|api_key|access_token)=)[^&;#\s\"']*", re.I)
# /channels/<channel>/<bot>/<path token>: the token is the webhook's secret
_PATH_TOKEN = re.compile(r"(/channels/(?:kakao|navertalk)/[^/\s?#\"']+/)[^/\s?#\"']+")
REDACTED_LOGGERS = ("", "uvicorn", "uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    if "/channels/" in text:
        text = _PATH_TOKEN.sub(r"\1***", text)
    return _SECRET_QUERY.sub(r"\1***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def redact_logs(names: tuple[str, ...] = REDACTED_LOGGERS) -> RedactSecrets:
    """Attach one filter to each logger named and to each of its handlers; idempotent.

    A logger's own filter sees only the records logged on that logger; the
    records of `flowbot.server` and the others reach the root's handlers by
    propagation, so it is the handlers' filter that redacts them.
    """
    redactor = RedactSecrets()
    for name in names:
        target = logging.getLogger(name)
        for filtered in (target, *target.handlers):
            if not any(isinstance(f, RedactSecrets) for f in filtered.filters):
                filtered.addFilter(redactor)
    return redactor
