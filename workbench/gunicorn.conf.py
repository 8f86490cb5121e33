"""gunicorn's production settings, read by the image and compose (``gunicorn -c``).

Exports stream for as long as they need: under the default sync worker, ``timeout`` is the
longest a request may take, so a 1,000,000-claim export was cut at 30 s with nothing in the
body saying so. Threaded workers keep telling the arbiter they are alive from their main loop
while a request streams in a thread, so ``timeout`` only catches a worker that hangs. A slow
client holds one thread, not a whole process; with ``workers`` x ``threads`` slots, a handful
of slow downloads cannot take every one. Put a buffering proxy in front in production (see
README.md, "Production"), which also frees threads from slow clients.
"""

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = _env_int("WEB_CONCURRENCY", 3)
threads = _env_int("GUNICORN_THREADS", 8)
# A hung worker (its main loop silent this long) is restarted; a long stream is not affected.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections are closed soon, so that they do not hold threads.
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
accesslog = "-"
