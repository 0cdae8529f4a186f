#!/usr/bin/env python3
"""Resident memory of the release server under a run of large messages:
sends emails whose personalisation is 600 KB (sanitised, so 900 KB bodies
and subjects), 40 at a time, and prints the server's RSS after each batch,
then three seconds after the last. A plateau is the allocators keeping
freed memory; a line that keeps rising is a leak.

    python3 bench/large-messages.py [batches]      (needs `make build`)
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hostile"))
import run  # noqa: E402  (the hostile suite's server and client)

batches = int(sys.argv[1]) if len(sys.argv) > 1 else 6
server = run.Server()
try:
    services = dict(line.split("\t")[2::-2] for line in server.cli("list-services").splitlines())
    live = services["Example live service"]
    api = run.Api(server, server.cli("create-api-key", "--service-id", live, "--name", "bench", "--type", "test"))
    templates = json.loads(api.get("/v2/templates?type=email")[1])["templates"]
    template = next(t["id"] for t in templates if "((name))" in t["body"])
    print(f"at the start: {server.rss_mb():.0f} MB")
    for batch in range(batches):
        for _ in range(40):
            run.email(api, template, {"name": "a-" * 300_000}, ["name"])
        print(f"after {(batch + 1) * 40} sends: {server.rss_mb():.0f} MB")
    time.sleep(3)
    print(f"3 seconds later: {server.rss_mb():.0f} MB")
finally:
    server.stop()
