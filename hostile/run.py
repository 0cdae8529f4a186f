#!/usr/bin/env python3
"""Hostile inputs against the release server, as an attacker holding a test
key (or no account at all) would send them.

Starts `target/release/server` on a fresh demo database, then sends each
input below, again and again for at least two seconds, while a probe asks
`GET /_status` every 10 ms and samples the server's memory. Fails when, for
any input:
  - a request costs the server more than 1 second of CPU,
  - `/_status` answers slower than 50 ms at the 99th percentile,
  - the server's resident memory grows more than 300 MB over its start,
  - any answer is a 5xx, or the server stops or restarts.
Prints the worst figures per input (the README's "Attacked on purpose").

Python's standard library only; run by `make test` (`make hostile`).
"""

import base64
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import shutil
import tempfile
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER = os.path.join(ROOT, "target", "release", "server")
TICK = os.sysconf("SC_CLK_TCK")

MAX_CPU_SECONDS = 1.0
MAX_STATUS_P99_MS = 50.0
MAX_RSS_GROWTH_MB = 300.0
SUSTAIN = 2.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hostile-")
        self.port = free_port()
        self.env = dict(
            os.environ,
            NOTIFY_DATA_DIR=os.path.join(self.dir, "data"),
            NOTIFY_DEMO="true",
            NOTIFY_LISTEN_ADDR=f"127.0.0.1:{self.port}",
            LEPTOS_SITE_ROOT=os.path.join(ROOT, "target", "site"),
            RUST_LOG="warn",
        )
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen([SERVER], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.request("GET", "/_status", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("hostile: the server did not start (log: %s)" % self.log.name)

    def cli(self, *args):
        out = subprocess.run([SERVER, *args], env=self.env, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def request(self, method, path, body=None, headers=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def cpu(self):
        """(own CPU seconds, reaped children's CPU seconds)."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        return (utime + stime) / TICK, (cutime + cstime) / TICK

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Probe:
    """Asks /_status every 10 ms and samples the server's resident memory,
    from a process of its own: in this one, the sender's work (encoding
    megabytes of JSON and base64 holds Python's lock) would delay the
    probe's own clock and show as a slow server."""

    def __init__(self, server):
        self.server = server
        self.out = os.path.join(server.dir, "probe.tsv")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--probe", str(server.port), str(server.proc.pid), self.out])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    @property
    def samples(self):
        """(time, latency ms, rss MB), time on the system's monotonic clock."""
        out = []
        with open(self.out) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    out.append(tuple(float(x) for x in parts))
        return out

    def window(self, start, end):
        return [s for s in self.samples if start <= s[0] <= end]


def probe_main(port, pid, out):
    def rss():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    conn = None
    with open(out, "w", buffering=1) as f:
        while True:
            started = time.monotonic()
            latency = 5000.0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/_status")
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    latency = (time.monotonic() - started) * 1000
            except (OSError, http.client.HTTPException):
                conn = None
            f.write(f"{started:.6f} {latency:.3f} {rss():.1f}\n")
            time.sleep(0.01)


# --- what is sent -----------------------------------------------------------

class Api:
    def __init__(self, server, key):
        self.server = server
        self.key = key

    def headers(self, extra=None):
        h = {"Authorization": f"ApiKey-v1 {self.key}", "Content-Type": "application/json"}
        h.update(extra or {})
        return h

    def post(self, path, body, extra=None):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        return self.server.request("POST", path, data, self.headers(extra))

    def get(self, path):
        return self.server.request("GET", path, None, self.headers())

    def get_with(self, extra):
        """`GET /v2/notifications` with extra headers: its status, or how the
        connection closed."""
        try:
            return self.server.request("GET", "/v2/notifications", None, self.headers(extra))[0]
        except (OSError, http.client.HTTPException) as e:
            return f"closed ({type(e).__name__})"


def email(api, template, personalisation, sanitise=None):
    body = {"email_address": "someone@example.com", "template_id": template, "personalisation": personalisation}
    if sanitise is not None:
        body["sanitise_content_for"] = sanitise
    return [api.post("/v2/notifications/email", body)[0]]


def pdf(objects, extra_trailer=b""):
    """A PDF file of `objects` (bodies of objects 1..n) with a correct xref."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, extra_trailer, xref)
    return bytes(out)


def page_objects(kids=b"[3 0 R]", count=1):
    return [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids " + kids + b" /Count %d >>" % count,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>",
    ]


def stream(data, compress=True, extra=b""):
    body = zlib.compress(data, 9) if compress else data
    filt = b"/Filter /FlateDecode " if compress else b""
    return b"<< " + extra + filt + b"/Length %d >>\nstream\n" % len(body) + body + b"\nendstream"


def object_stream_bomb(megabytes):
    """One object stream that inflates to `megabytes` of array elements."""
    header = b"4 0 "
    array = b"[" + b"0 " * (megabytes * 1024 * 1024 // 2) + b"]"
    objstm = stream(header + array, extra=b"/Type /ObjStm /N 1 /First %d " % len(header))
    return pdf(page_objects() + [objstm])


def many_objects(n):
    return pdf(page_objects() + [b"[0]"] * n)


def deep_nesting(depth):
    return pdf(page_objects() + [b"[" * depth + b"]" * depth])


def compressed_nesting(depth):
    header = b"4 0 "
    body = b"[" * depth + b"]" * depth
    return pdf(page_objects() + [stream(header + body, extra=b"/Type /ObjStm /N 1 /First %d " % len(header))])


def page_tree_loop():
    # Pages whose kids are the page tree itself.
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R 2 0 R] /Count 3 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] >>",
    ]
    return pdf(objects)


def wide_page_tree(n):
    kids = b"[" + b"3 0 R " * n + b"]"
    return pdf(page_objects(kids, n))


def padded_letter(size):
    """A valid one-page letter padded to `size` bytes with an unused stream."""
    base = pdf(page_objects())
    pad = size - len(base) - 200
    return pdf(page_objects() + [stream(b"x" * max(pad, 0), compress=False)])


def letter(api, content):
    status, body = api.post("/v2/notifications/letter", {"reference": "hostile", "content": base64.b64encode(content).decode()})
    statuses = [status]
    if status == 201:
        # The check runs after the 201: wait for it, so its cost is counted.
        nid = json.loads(body)["id"]
        deadline = time.time() + 60
        while time.time() < deadline:
            s, b = api.get(f"/v2/notifications/{nid}")
            if s != 200 or json.loads(b)["status"] != "pending-virus-check":
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the letter was never checked")
        statuses.append(json.loads(b)["status"] if s == 200 else s)
    return statuses


def templated_letter_pdf(api, template, words):
    """A templated letter with a long body, then its PDF drawn."""
    personalisation = {"address_line_1": "A Person", "address_line_2": "1 Street", "postcode": "SW1A 1AA",
                       "name": "word " * words}
    status, body = api.post("/v2/notifications/letter", {"template_id": template, "personalisation": personalisation})
    if status != 201:
        return [status]
    return [status, api.get(f"/v2/notifications/{json.loads(body)['id']}/pdf")[0]]


def forged_keys(service_id, n):
    """`n` key strings with valid checksums, for keys that do not exist."""
    alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    keys = []
    for i in range(n):
        random = "".join(chr(alphabet[(i * 7 + j * 13) % 62]) for j in range(30))
        prefix = f"forged-{service_id}-{random}"
        crc = zlib.crc32(prefix.encode()) & 0xFFFFFFFF
        digits = []
        for _ in range(6):
            digits.append(chr(alphabet[crc % 62]))
            crc //= 62
        keys.append(prefix + "".join(reversed(digits)))
    return keys


def main():
    if not os.path.exists(SERVER):
        raise SystemExit("hostile: build the release server first (make build)")
    server = Server()
    passed = False
    try:
        result = attack(server)
        passed = not result
        return result
    finally:
        server.stop()
        # The data folder grows by hundreds of MB (letter files, the WAL);
        # a passing run leaves nothing behind, a failing one keeps the
        # server's log and data to look at.
        if passed:
            shutil.rmtree(server.dir, ignore_errors=True)
        else:
            print("hostile: the server's log and data are kept in %s" % server.dir, file=sys.stderr)


def attack(server):
    services = dict(line.split("\t")[2::-2] for line in server.cli("list-services").splitlines())
    live = services["Example live service"]
    api = Api(server, server.cli("create-api-key", "--service-id", live, "--name", "hostile", "--type", "test"))
    templates = json.loads(api.get("/v2/templates?type=email")[1])["templates"]
    template = next(t["id"] for t in templates if "((name))" in t["body"])
    sms_templates = json.loads(api.get("/v2/templates?type=sms")[1])["templates"]
    sms_template = sms_templates[0]["id"]
    letter_templates = json.loads(api.get("/v2/templates?type=letter")[1])["templates"]
    letter_template = next(t["id"] for t in letter_templates if "((name))" in t["body"])
    keys = forged_keys(live, 12000)
    # Files made before any window opens: making them is the client's work.
    files = {
        "bomb30": object_stream_bomb(30),
        "bomb100": object_stream_bomb(100),
        "objects": many_objects(60_000),
        "deep": deep_nesting(1_000_000),
        "cdeep": compressed_nesting(20_000_000),
        "loop": page_tree_loop(),
        "kids": wide_page_tree(300_000),
        "padded": base64.b64encode(padded_letter(2_900_000)).decode(),
    }

    inputs = [
        ("sanitise: 'a-' x 750 (the original)", lambda: email(api, template, {"name": "a-" * 750}, ["name"])),
        ("sanitise: 'a-' x 300,000 (sent)", lambda: email(api, template, {"name": "a-" * 300_000}, ["name"])),
        ("sanitise: 'a-' x 1,000,000 (2 MB)", lambda: email(api, template, {"name": "a-" * 1_000_000}, ["name"])),
        ("sanitise: 'a.' x 1,000,000", lambda: email(api, template, {"name": "a." * 1_000_000}, ["name"])),
        ("sanitise: 'http://a.' x 250,000", lambda: email(api, template, {"name": "http://a." * 250_000}, ["name"])),
        ("sanitise: '[(' x 1,000,000", lambda: email(api, template, {"name": "[(" * 1_000_000}, ["name"])),
        ("sanitise: 'a.1' x 600,000", lambda: email(api, template, {"name": "a.1" * 600_000}, ["name"])),
        ("many keys: 200,000 personalisation keys",
         lambda: email(api, template, {f"k{i}": "a-a" for i in range(200_000)}, [f"k{i}" for i in range(1000)])),
        ("many names: 250,000 in sanitise_content_for",
         lambda: email(api, template, {"name": "a-" * 1000}, [f"n{i}" for i in range(250_000)])),
        ("many placeholders: '((a))' x 500,000 as a value",
         lambda: email(api, template, {"name": "((a))" * 500_000}, ["name"])),
        ("preview: 3 MB value",
         lambda: [api.post(f"/v2/template/{template}/preview", {"personalisation": {"name": "a-" * 1_500_000}})[0]]),
        ("text message: 3 MB value", lambda: [api.post("/v2/notifications/sms", {
            "phone_number": "07700900123", "template_id": sms_template, "personalisation": {"name": "é" * 1_500_000}})[0]]),
        ("deep JSON nesting: 1,000,000 brackets", lambda: [api.post("/v2/notifications/email", b"[" * 1_000_000)[0]]),
        ("huge header: 20 KB x-request-id", lambda: [api.get_with({"x-request-id": "a" * 20_000})]),
        ("many headers: 90 of 4 KB", lambda: [api.get_with({f"x-h{i}": "a" * 4000 for i in range(90)})]),
        ("PDF: object stream inflating to 30 MB of array", lambda: letter(api, files["bomb30"])),
        ("PDF: object stream inflating to 100 MB of array", lambda: letter(api, files["bomb100"])),
        ("PDF: 60,000 objects", lambda: letter(api, files["objects"])),
        ("PDF: nesting 1,000,000 deep", lambda: letter(api, files["deep"])),
        ("PDF: compressed nesting 20,000,000 deep", lambda: letter(api, files["cdeep"])),
        ("PDF: page tree loop", lambda: letter(api, files["loop"])),
        ("PDF: 300,000 kids", lambda: letter(api, files["kids"])),
        ("letter PDF: a 1.9 MB templated letter drawn", lambda: templated_letter_pdf(api, letter_template, 380_000)),
        ("leak reports: 1 MB of forged keys x 10 (scanner)", lambda: [
            server.request("POST", "/secret-scanning/report",
                           json.dumps([{"token": " ".join(keys[j::10]), "type": "x", "url": ""} for j in range(10)]).encode(),
                           {"Content-Type": "application/json"})[0] for _ in range(10)]),
        ("leak reports: 64 KB of forged keys x 40 (form)", lambda: [
            server.request("POST", "/report-a-leaked-key",
                           ("text=" + "+".join(keys[:800])[:63_000]).encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})[0] for _ in range(40)]),
        ("test-key letters: 40 files of 2.9 MB", lambda: [
            api.post("/v2/notifications/letter",
                     {"reference": "disk", "content": files["padded"]})[0]
            for _ in range(40)]),
    ]

    probe = Probe(server)
    time.sleep(1.0)
    baseline_rss = max(s[2] for s in probe.samples)
    failures = []
    rows = []
    for name, send in inputs:
        cpu0, child0 = server.cpu()
        start = time.monotonic()
        # Each input is sent again and again for at least SUSTAIN seconds: an
        # attack is sustained, and the probe's 99th percentile then rests on
        # a couple of hundred answers, not on the one slowest.
        statuses = []
        while not statuses or time.monotonic() - start < SUSTAIN:
            try:
                statuses += send()
            except (OSError, http.client.HTTPException) as e:
                statuses.append(f"closed ({type(e).__name__})")
        took = time.monotonic() - start
        time.sleep(0.3)
        end = time.monotonic()
        cpu1, child1 = server.cpu()
        window = probe.window(start, end)
        latencies = sorted(s[1] for s in window) or [0.0]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        peak_rss = max((s[2] for s in window), default=0.0)
        growth = peak_rss - baseline_rss
        per_request = (cpu1 - cpu0) / max(1, len(statuses))
        rows.append((name, statuses, took, cpu1 - cpu0, per_request, child1 - child0, p99, len(latencies), growth))
        problems = []
        if per_request > MAX_CPU_SECONDS:
            problems.append(f"{per_request:.2f} s of server CPU a request")
        if p99 > MAX_STATUS_P99_MS:
            problems.append(f"/_status p99 {p99:.1f} ms")
        if growth > MAX_RSS_GROWTH_MB:
            problems.append(f"memory grew {growth:.0f} MB")
        if any(isinstance(s, int) and s >= 500 for s in statuses):
            problems.append(f"answered {statuses}")
        if not server.alive():
            problems.append("the server stopped")
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
        if not server.alive():
            break
    probe.stop()

    print(f"{'input':52} {'answers':>22} {'wall s':>7} {'CPU s':>6} {'/req':>6} {'child':>6} "
          f"{'p99 ms':>7} {'probes':>6} {'RSS +MB':>8}")
    for name, statuses, took, cpu, per, child, p99, n, growth in rows:
        summary = summarise(statuses)
        print(f"{name:52} {summary:>22} {took:7.2f} {cpu:6.2f} {per:6.2f} {child:6.2f} {p99:7.1f} {n:6d} {growth:8.0f}")
    print(f"server resident at the start: {baseline_rss:.0f} MB; alive at the end: {server.alive()}")
    if failures:
        print("\nhostile: FAILED")
        for f in failures:
            print("  " + f)
        return 1
    print("hostile: every input answered within the bounds")
    return 0


def summarise(items):
    counts = {}
    for s in items:
        counts[s] = counts.get(s, 0) + 1
    return " ".join(f"{k}x{v}" if v > 1 else str(k) for k, v in counts.items())


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--probe":
        probe_main(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    sys.exit(main())
