"""A WSGI app whose response streams for longer than gunicorn's worker timeout.

It stands in for a long export (the database building chunk after chunk) so that the server
configuration can be tested on its own, in a real gunicorn, in a few seconds.
"""

import os
import time
from collections.abc import Callable, Iterable, Iterator

CHUNKS = int(os.environ.get("SLOW_STREAM_CHUNKS", "8"))
PAUSE = float(os.environ.get("SLOW_STREAM_PAUSE", "0.5"))


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/quick":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    start_response("200 OK", [("Content-Type", "application/x-ndjson")])

    def body() -> Iterator[bytes]:
        for number in range(CHUNKS):
            time.sleep(PAUSE)
            yield b'{"chunk": %d}\n' % number
        yield b'{"complete": true}\n'

    return body()
