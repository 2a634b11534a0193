"""A latency probe in its own process (so the load generator's threads do not slow the probe
itself): ``python -m tests.resilience.probe URL CA_FILE SECONDS PATH...`` requests each path on a
fresh HTTPS connection every 0.2 s for SECONDS (or until killed) and prints one line per request,
``path status seconds``."""

from __future__ import annotations

import http.client
import ssl
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    url, ca_file, seconds, *paths = argv
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    context = ssl.create_default_context(cadata=Path(ca_file).read_text())
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        for path in paths:
            started = time.perf_counter()
            conn = http.client.HTTPSConnection(host, int(port), timeout=10, context=context)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
            finally:
                conn.close()
            print(f"{path} {status} {time.perf_counter() - started:.4f}", flush=True)
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
