"""The load of ``make bench``: Locust users against one server, one page at a time.

Reads a JSON plan on standard input — ``{"base", "users", "seconds", "warmup",
"targets": [{"name", "path", "headers", "status"}]}`` — and writes one JSON line per
target: requests, failures, median, p95 and p99 in ms, requests per second. Every user
asks again as soon as it has its answer (no wait), so the server is kept saturated.
Runs in its own virtualenv (``bench/load-requirements.txt``), never beside the app.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment


def measure(base: str, target: dict, users: int, seconds: float, warmup: float) -> dict:
    times: list[float] = []
    failures: list[str] = []

    class Visitor(FastHttpUser):
        host = base
        wait_time = constant(0)

        @task
        def visit(self) -> None:
            with self.client.get(
                target["path"], headers=target["headers"], name=target["name"],
                catch_response=True,
            ) as response:  # fmt: skip
                if response.status_code != target["status"]:
                    response.failure(f"{response.status_code}")

    def on_request(response_time, exception, **_kwargs) -> None:
        if recording:
            if exception:
                failures.append(str(exception)[:200])
            else:
                times.append(response_time)

    environment = Environment(user_classes=[Visitor])
    environment.events.request.add_listener(on_request)
    runner = environment.create_local_runner()
    recording = False
    runner.start(users, spawn_rate=users)
    gevent.sleep(warmup)  # every worker has built what it caches
    recording, began = True, time.perf_counter()
    gevent.sleep(seconds)
    recording, elapsed = False, time.perf_counter() - began
    runner.quit()
    quantiles = statistics.quantiles(times, n=100) if len(times) > 1 else [0.0] * 99
    return {
        "name": target["name"],
        "requests": len(times),
        "failures": len(failures),
        "failure_sample": failures[:3],
        "median_ms": statistics.median(times) if times else 0.0,
        "p95_ms": quantiles[94],
        "p99_ms": quantiles[98],
        "rps": len(times) / elapsed,
    }


def main() -> None:
    plan = json.load(sys.stdin)
    for target in plan["targets"]:
        result = measure(plan["base"], target, plan["users"], plan["seconds"], plan["warmup"])
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
