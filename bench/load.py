"""Load generator: runs in its own process, drives the server on loopback.

Reads a JSON job on stdin: {"base": "http://127.0.0.1:PORT", "duration": s,
"concurrency": n, "requests": [[path, headers], ...]} and prints {"latencies_ms": [...],
"errors": n, "elapsed": s, "statuses": {...}}. Each of n threads sends requests back to
back (rotating through the list) for `duration` seconds, one connection per request as
gunicorn's sync workers close them.
"""

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlparse


def main() -> None:
    job = json.load(sys.stdin)
    target = urlparse(job["base"])
    requests = job["requests"]
    stop_at = time.perf_counter() + job["duration"]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = [0]
    lock = threading.Lock()

    def worker(offset: int) -> None:
        mine, count = [], offset
        seen: dict[str, int] = {}
        while time.perf_counter() < stop_at:
            path, headers = requests[count % len(requests)]
            count += 1
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except OSError:
                with lock:
                    errors[0] += 1
                continue
            mine.append((time.perf_counter() - start) * 1000)
            seen[str(response.status)] = seen.get(str(response.status), 0) + 1
        with lock:
            latencies.extend(mine)
            for code, n in seen.items():
                statuses[code] = statuses.get(code, 0) + n

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(job["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    json.dump({"latencies_ms": latencies, "errors": errors[0], "statuses": statuses,
               "elapsed": time.perf_counter() - started}, sys.stdout)  # fmt: skip


if __name__ == "__main__":
    main()
