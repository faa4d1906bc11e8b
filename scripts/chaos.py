#!/usr/bin/env python3
"""Chaos probes against a release `trove` binary; run through scripts/chaos.sh (see its header).

Every probe is a function `probe_N(ctx, backend)`: it starts throwaway `trove server`s on
127.0.0.1 (free ports, temporary data dirs, SQLite or a throwaway PostgreSQL database),
attacks them and adds rows (probe, expected, result, PASS/FAIL/SKIP) to the table printed
at the end. Python standard library only; all traffic goes to 127.0.0.1; every loop is
bounded in count and in time. Servers, tmpfs mounts and databases are recorded in
$WORK/state before they exist, so chaos.sh's trap can remove them even if this dies.
"""

import argparse
import hashlib
import http.client
import io
import json
import os
import re
import resource
import secrets
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
import traceback
from pathlib import Path

HOST = "127.0.0.1"
# Server timeouts for every probe: small, so that the run is quick.
HEADER_TIMEOUT = 3  # [server] header_read_timeout_secs (also idle keep-alive connections)
BODY_TIMEOUT = 3  # [server] body_timeout_secs
SEND_TIMEOUT = 5  # [server] send_timeout_secs
MIN_BODY_RATE = 2048  # [server] min_body_bytes_per_sec: a 1 KB/s upload is slower than this
BODY_GRACE = 10  # at most this long before the minimum body rate applies (issue: 10 s)
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
PASSWORD = "correct horse battery"


# --- HTTP ---------------------------------------------------------------------------------


class Resp:
    """One answer (or none: status None and `error`)."""

    def __init__(self, status, headers, body, elapsed, error=None):
        self.status, self.headers, self.body, self.elapsed, self.error = status, headers, body, elapsed, error

    def json(self):
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def code(self):
        """The error code of an API (`error.code`) or OCI (`errors[0].code`) error body."""
        v = self.json()
        if isinstance(v, dict):
            if isinstance(v.get("error"), dict):
                return v["error"].get("code")
            if isinstance(v.get("errors"), list) and v["errors"]:
                return v["errors"][0].get("code")
        return None

    def header(self, name):
        return self.headers.get(name, "") if self.headers is not None else ""

    def brief(self):
        if self.status is None:
            return f"no answer after {self.elapsed:.1f} s ({self.error})"
        c = self.code()
        return f"{self.status}{' ' + c if c else ''}"


def req(port, method, path, body=None, headers=None, timeout=20):
    """One request on a fresh connection; never raises."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.msg, data, time.monotonic() - t0)
    except Exception as e:  # timeouts, resets, refused connections
        return Resp(None, None, b"", time.monotonic() - t0, f"{type(e).__name__}: {e}")
    finally:
        conn.close()


def bearer(token):
    return {"authorization": f"Bearer {token}"}


def basic(user, secret):
    import base64

    return {"authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def raw_head(method, path, headers=None):
    """The bytes of a request head (request line and headers)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def status_of(data):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data or b"")
    return int(m.group(1)) if m else None


def connect(port, timeout=5, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


def readable(sock):
    """Whether a read would not block (data or EOF); poll, as descriptors may exceed 1024."""
    p = select.poll()
    p.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(p.poll(0))


class Peer:
    """A client connection left open on purpose; `poll` notices when the server closes it."""

    def __init__(self, sock):
        sock.setblocking(False)  # (MSG_DONTWAIT alone still waits on a socket with a timeout)
        self.sock, self.closed_at, self.first = sock, None, b""

    def poll(self, now):
        if self.closed_at is not None:
            return True
        for _ in range(64):  # bounded: a small error answer at most
            try:
                d = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError:  # reset: closed too
                d = b""
            if not d:
                self.closed_at = now
                self.sock.close()
                return True
            if len(self.first) < 512:
                self.first += d[: 512 - len(self.first)]
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class SlowSender(threading.Thread):
    """Sends `head`, then `total` body bytes in `chunk`s every `interval` seconds, until the
    server answers or drops the connection, `stop` is set, or `max_secs` have passed."""

    def __init__(self, port, head, total, chunk, interval, max_secs):
        super().__init__(daemon=True)
        self.port, self.head, self.total, self.chunk, self.interval, self.max_secs = (
            port, head, total, chunk, interval, max_secs)
        self.stop = threading.Event()
        self.sent, self.response, self.error, self.ended_after = 0, b"", None, None
        self.t0 = time.monotonic()

    def run(self):
        s = None
        try:
            s = connect(self.port, timeout=5)
            s.sendall(self.head)
            pad = os.urandom(self.chunk)
            while self.sent < self.total and not self.stop.is_set() and time.monotonic() - self.t0 < self.max_secs:
                if readable(s):  # an answer (or EOF) before the body is complete
                    break
                n = min(self.chunk, self.total - self.sent)
                try:
                    s.sendall(pad[:n])
                except OSError as e:  # refused mid-body: the answer may still be readable
                    self.error = f"{type(e).__name__} while sending"
                    break
                self.sent += n
                self.stop.wait(self.interval)
            if not self.stop.is_set():
                # Read the answer (everything sent, refused, or time is up).
                s.settimeout(max(1.0, min(10.0, self.max_secs - (time.monotonic() - self.t0))))
                try:
                    self.response = s.recv(4096)
                    if not self.response and not self.error:
                        self.error = "connection closed without an answer"
                except OSError as e:
                    self.error = (self.error + "; " if self.error else "") + type(e).__name__
        except OSError as e:
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.ended_after = time.monotonic() - self.t0
            if s:
                s.close()

    def status(self):
        return status_of(self.response)


class LiveMonitor:
    """Polls /health/live on fresh connections in the background; records the latencies."""

    def __init__(self, port, interval=0.2, timeout=3):
        self.port, self.interval, self.timeout = port, interval, timeout
        self.latencies, self.failures = [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        for _ in range(3000):  # bounded; stopped long before
            if self._stop.is_set():
                return
            r = req(self.port, "GET", "/health/live", timeout=self.timeout)
            self.latencies.append(r.elapsed)
            if r.status != 200:
                self.failures.append(r.brief())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(self.timeout + 2)

    def max(self):
        return max(self.latencies, default=0.0)

    def ok(self, limit=1.0):
        return bool(self.latencies) and not self.failures and self.max() < limit

    def summary(self):
        s = f"max {self.max():.2f} s over {len(self.latencies)} polls"
        if self.failures:
            s += f", {len(self.failures)} failed (first: {self.failures[0]})"
        return s


def wait_for(cond, timeout, step=0.2):
    """Calls `cond` until it is true or `timeout` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


# --- packages and OCI ---------------------------------------------------------------------


def archive(full, version, payload=None, level=6):
    """A package .tar.gz: trove.toml at the root, a README, optionally data.bin."""
    manifest = (f'[package]\nname = "{full}"\nversion = "{version}"\nkind = "library"\n'
                f'description = "chaos probe package"\nlicense = "MIT"\nreadme = "README.md"\n')
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=level) as tar:
        files = [("trove.toml", manifest.encode()), ("README.md", f"# {full}\n".encode())]
        if payload is not None:
            files.append(("data.bin", payload))
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def publish(srv, token, full, version, data, query="", timeout=60):
    return req(srv.port, "PUT", f"/api/v1/packages/{full}/versions/{version}{query}", data,
               {**bearer(token), "content-type": "application/gzip"}, timeout=timeout)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def oci_push_blob(srv, auth, repo, data):
    return req(srv.port, "POST", f"/v2/{repo}/blobs/uploads/?digest={sha256(data)}", data,
               {**auth, "content-type": "application/octet-stream"})


def image_manifest(config, layers, sizes=None):
    """An OCI image manifest for a config blob and layer blobs (declared sizes overridable)."""
    sizes = sizes or [len(x) for x in layers]
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(x), "size": s}
                   for x, s in zip(layers, sizes)],
    }).encode()


def oci_put_manifest(srv, auth, repo, ref, body):
    return req(srv.port, "PUT", f"/v2/{repo}/manifests/{ref}", body, {**auth, "content-type": OCI_MANIFEST})


def push_image(srv, auth, repo, tag, layer):
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "tag": tag}).encode()
    for blob in (config, layer):
        r = oci_push_blob(srv, auth, repo, blob)
        if r.status != 201:
            return r
    return oci_put_manifest(srv, auth, repo, tag, image_manifest(config, [layer]))


# --- servers and users ---------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def toml(cfg):
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return json.dumps(str(v))

    out = [f"{k} = {value(v)}" for k, v in cfg.items() if not isinstance(v, dict)]
    for section, items in cfg.items():
        if isinstance(items, dict):
            out.append(f"\n[{section}]")
            out += [f"{k} = {value(v)}" for k, v in items.items()]
    return "\n".join(out) + "\n"


def server_env():
    # The server refuses unknown TROVE_* variables; the config file says everything.
    return {k: v for k, v in os.environ.items() if not k.startswith("TROVE_")}


class Server:
    """A throwaway `trove server` on 127.0.0.1."""

    def __init__(self, ctx, name, backend, server=None, storage=None, rate_limits=None, nofile=None):
        self.ctx, self.name, self.backend, self.nofile = ctx, name, backend, nofile
        self.data_dir = ctx.work / f"{name}-data"
        self.cfg_path = ctx.work / f"{name}.toml"
        self.log_path = ctx.work / f"{name}.log"
        self.proc, self.port = None, None
        self.cfg = {
            "data_dir": str(self.data_dir),
            "server": {"listen": "", "shutdown_timeout_secs": 5, "header_read_timeout_secs": HEADER_TIMEOUT,
                       "body_timeout_secs": BODY_TIMEOUT, "min_body_bytes_per_sec": MIN_BODY_RATE,
                       "send_timeout_secs": SEND_TIMEOUT, **(server or {})},
            "database": {"max_connections": 16},
            "storage": {"stale_upload_secs": 3600, **(storage or {})},
            "auth": {"registration_open": True, "argon2_memory_kib": 1024},
            "log": {"format": "text", "level": "warn"},
            "stats": {"flush_interval_ms": 1000},
            "rate_limits": {"enabled": False, **(rate_limits or {})},
            "webhooks": {"deliver": False},
        }
        if backend == "postgres":
            self.cfg["database"]["url"] = ctx.create_db(name)

    def write_config(self):
        self.cfg_path.write_text(toml(self.cfg))

    def start(self, timeout=30):
        self.port = free_port()
        self.cfg["server"]["listen"] = f"{HOST}:{self.port}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        cmd = [str(self.ctx.bin), "--config", str(self.cfg_path), "server"]
        if self.nofile:
            cmd = ["sh", "-c", f'ulimit -n {int(self.nofile)} && exec "$0" "$@"'] + cmd
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== start {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=server_env(), start_new_session=True)
        self.ctx.record("pid", self.proc.pid)
        if self not in self.ctx.servers:
            self.ctx.servers.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            if req(self.port, "GET", "/health/ready", timeout=3).status == 200:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"server {self.name} not ready after {timeout} s:\n{self.tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after `timeout`; returns (seconds to exit, exit code)."""
        if not self.alive():
            return 0.0, self.proc.returncode if self.proc else None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        return time.monotonic() - t0, self.proc.returncode

    def kill9(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)

    def restart(self, server=None, storage=None):
        self.stop()
        self.cfg["server"].update(server or {})
        self.cfg["storage"].update(storage or {})
        return self.start()

    def tail(self, n=25):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def log_count(self, pattern):
        try:
            return len(re.findall(pattern, self.log_path.read_text(errors="replace")))
        except OSError:
            return 0

    def get(self, path, **kw):
        return req(self.port, "GET", path, **kw)

    def user(self, name):
        return User(self, name).register().login()


class User:
    def __init__(self, srv, name):
        self.srv, self.name = srv, name
        self.cookie = self.csrf = self.token = None

    def _json(self, method, path, body, headers=None, timeout=20):
        return req(self.srv.port, method, path, json.dumps(body).encode(),
                   {"content-type": "application/json", **(headers or {})}, timeout=timeout)

    def register(self):
        r = self._json("POST", "/api/v1/users",
                       {"username": self.name, "email": f"{self.name}@example.com", "password": PASSWORD})
        if r.status != 201:
            raise RuntimeError(f"register {self.name}: {r.brief()} {r.body[:300]!r}")
        return self

    def login(self):
        r = self._json("POST", "/api/v1/session", {"username": self.name, "password": PASSWORD})
        if r.status != 200:
            raise RuntimeError(f"login {self.name}: {r.brief()} {r.body[:300]!r}")
        cookies = r.headers.get_all("set-cookie") or []
        self.cookie = cookies[0].split(";")[0]
        self.csrf = r.json()["csrf_token"]
        r = self.create_token({"name": "all", "scopes": ["admin"]})
        if r.status != 201:
            raise RuntimeError(f"token for {self.name}: {r.brief()} {r.body[:300]!r}")
        self.token = r.json()["token"]
        return self

    def create_token(self, body, timeout=20):
        """POST /api/v1/tokens with the session cookie and CSRF token."""
        return self._json("POST", "/api/v1/tokens", body, {"cookie": self.cookie, "x-csrf-token": self.csrf},
                          timeout=timeout)


# --- the run --------------------------------------------------------------------------------


class Ctx:
    def __init__(self, args):
        self.bin = Path(args.bin)
        self.work = Path(args.work)
        self.pg_base = args.pg_url.rstrip("/")
        self.rows, self.servers, self.mounts, self.dbs = [], [], [], []
        self._pg_ok = None

    def record(self, kind, value):
        """Writes what must be cleaned up to $WORK/state, for chaos.sh's trap."""
        with open(self.work / "state", "a") as f:
            f.write(f"{kind} {value}\n")

    def row(self, probe, expected, result, ok):
        status = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
        self.rows.append((probe, expected, result, status))
        print(f"   {status}  {probe}: {result}", flush=True)

    # PostgreSQL
    def psql(self, sql):
        return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{self.pg_base}/postgres", "-c", sql],
                              capture_output=True, text=True, timeout=60)

    def pg_ok(self):
        if self._pg_ok is None:
            try:
                self._pg_ok = self.psql("select 1").returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                self._pg_ok = False
        return self._pg_ok

    def create_db(self, label):
        name = f"trove_chaos_{secrets.token_hex(4)}_{re.sub(r'[^a-z0-9]', '_', label.lower())}"
        self.record("db", name)
        self.dbs.append(name)
        r = self.psql(f"CREATE DATABASE {name}")
        if r.returncode != 0:
            raise RuntimeError(f"CREATE DATABASE {name}: {r.stderr.strip()}")
        return f"{self.pg_base}/{name}"

    # tmpfs
    def mount_tmpfs(self, path, size):
        path.mkdir(parents=True, exist_ok=True)
        self.record("mount", path)
        self.mounts.append(path)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True,
                       capture_output=True, timeout=30)

    def release(self):
        """Stops this probe's servers, unmounts its tmpfs, drops its databases."""
        for s in self.servers:
            s.stop(timeout=5)
        self.servers = []
        for m in self.mounts:
            if subprocess.run(["mountpoint", "-q", str(m)], timeout=10).returncode == 0:
                if subprocess.run(["umount", str(m)], capture_output=True, timeout=30).returncode != 0:
                    subprocess.run(["umount", "-l", str(m)], capture_output=True, timeout=30)
        self.mounts = []
        for d in self.dbs:
            self.psql(f"DROP DATABASE IF EXISTS {d} WITH (FORCE)")
        self.dbs = []


def sfx(backend):
    return " [pg]" if backend == "postgres" else ""


# --- probe 1: wildcard tokens ------------------------------------------------------------------


def probe_1(ctx, backend):
    """Token package patterns that make the `*` matcher backtrack exponentially."""
    p = "1 wildcard tokens" + sfx(backend)
    srv = Server(ctx, f"p1-{backend}", backend).start()
    alice = srv.user("alice")

    r = alice.create_token({"name": "stars", "scopes": ["publish"], "packages": ["alice/" + "*" * 120]})
    ctx.row(f"{p}: pattern of 120 `*`", "refused: 422", r.brief(), r.status == 422)

    many = [f"alice/p{i}" for i in range(50_000)]  # ~650 KB of JSON, under max_json_bytes
    r = alice.create_token({"name": "many", "scopes": ["publish"], "packages": many}, timeout=60)
    ctx.row(f"{p}: 50,000 patterns", "refused: 422", f"{r.brief()} in {r.elapsed:.1f} s", r.status == 422)

    # The pattern with the most stars still accepted (at most 32: with a 64-character name,
    # k stars cost about C(64, k) steps to a backtracking matcher, worst near k = 32).
    chosen, tried = None, []
    for k in (32, 24, 20, 16, 12, 10, 8, 6, 5, 4, 3, 2):
        pattern = "alice/" + "*a" * (k - 1) + "*b"  # never matches alice/aaa…a: worst case
        r = alice.create_token({"name": f"k{k}", "scopes": ["publish"], "packages": [pattern, "alice/*"]})
        tried.append(f"{k}:{r.status}")
        if r.status == 201:
            chosen = (k, r.json()["token"])
            break
    if not chosen:
        ctx.row(f"{p}: most-stars token, 2 publishes", "some `*a*…*b` pattern accepted",
                f"none accepted ({', '.join(tried)})", False)
        return
    k, token = chosen
    name = "alice/" + "a" * 64
    results = {}

    def one(version):
        results[version] = publish(srv, token, name, version, archive(name, version), timeout=30)

    with LiveMonitor(srv.port, interval=0.1) as mon:
        t0 = time.monotonic()
        threads = [threading.Thread(target=one, args=(v,), daemon=True) for v in ("1.0.0", "1.0.1")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(35)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))  # at least a second of polls
    got = [results.get(v) for v in ("1.0.0", "1.0.1")]
    ok = all(x is not None and x.status == 201 and x.elapsed < 5 for x in got) and mon.ok(1.0)
    shown = ", ".join(f"{x.brief()} in {x.elapsed:.2f} s" if x else "no result" for x in got)
    ctx.row(f"{p}: {k}-star pattern token, 2 concurrent publishes of a 64-char name",
            "both 201 in < 5 s; /health/live < 1 s throughout",
            f"{shown}; live {mon.summary()}; server {'up' if srv.alive() else 'DIED'}", ok)


# --- probe 2: disk full -----------------------------------------------------------------------


def probe_2(ctx, backend):
    """data_dir on a 64 MB tmpfs (SQLite + fs): fill it, write, free it, write again."""
    p = "2 disk full"
    if os.geteuid() != 0:
        ctx.row(p, "needs root (mount -t tmpfs)", "not root", None)
        return
    mnt = ctx.work / "p2-tmpfs"
    try:
        ctx.mount_tmpfs(mnt, "64m")
    except (subprocess.CalledProcessError, OSError) as e:
        ctx.row(p, "tmpfs mount", f"cannot mount: {getattr(e, 'stderr', e)!r}", None)
        return
    srv = Server(ctx, "p2-sqlite", "sqlite")
    srv.data_dir = mnt
    srv.cfg["data_dir"] = str(mnt)
    srv.start()
    alice = srv.user("alice")
    r = publish(srv, alice.token, "alice/before", "1.0.0", archive("alice/before", "1.0.0"))
    if r.status != 201:
        raise RuntimeError(f"setup publish: {r.brief()}")
    patterns = [f"alice/{'x' * 100}{i}" for i in range(8)]  # ~1 KB rows: the WAL must grow

    def make_token(i):
        return alice.create_token({"name": f"t{i}", "scopes": ["read"], "packages": patterns}, timeout=15)

    # Empty the WAL (a TRUNCATE checkpoint, as any SQLite client may do), so that the next
    # database write needs new space, then fill the file system to the last page.
    ckpt = "not run"
    try:
        with sqlite3.connect(mnt / "trove.db", timeout=5) as con:
            ckpt = "busy" if con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] else "ok"
        con.close()
    except sqlite3.Error as e:
        ckpt = f"failed: {e}"
    subprocess.run(["dd", "if=/dev/zero", f"of={mnt / 'filler'}", "bs=1M", "count=100"], capture_output=True,
                   timeout=120)
    with open(mnt / "filler2", "wb", buffering=0) as f:
        for _ in range(70_000):  # 4 KB at a time up to 64 MB: ends at ENOSPC
            try:
                f.write(b"\0" * 4096)
            except OSError:
                break
    free = os.statvfs(mnt)
    free_bytes = free.f_bavail * free.f_frsize

    # Writes while full: each must answer (no hang), with an error; the server must stay up.
    pub = publish(srv, alice.token, "alice/full", "1.0.0", archive("alice/full", "1.0.0"), timeout=15)
    toks, t0 = [], time.monotonic()
    for i in range(40):  # at most 40 attempts or 60 s
        toks.append(make_token(i))
        if time.monotonic() - t0 > 60:
            break
    ready_full = srv.get("/health/ready", timeout=10)
    live_full = srv.get("/health/live", timeout=5)
    hung = [t for t in toks + [pub] if t.status is None]
    failed = [t for t in toks if t.status != 201]
    statuses = {}
    for t in toks:
        statuses[t.brief()] = statuses.get(t.brief(), 0) + 1
    alive_full = srv.alive()
    ok = (not hung and pub.status is not None and pub.status >= 400 and all(t.status >= 400 for t in failed)
          and failed and alive_full and live_full.status == 200)
    ctx.row(f"{p}: writes while full",
            "publish + token creations answer 4xx/5xx (no hang), server up, /health/live 200",
            f"publish {pub.brief()} in {pub.elapsed:.1f} s; {len(toks)} token creations: "
            + ", ".join(f"{n}x {s}" for s, n in statuses.items())
            + f"; live {live_full.brief()}; server {'up' if alive_full else 'DIED'}"
            + f" (free {free_bytes} B, WAL checkpoint {ckpt})"
            + ("; NOTE: no database write failed" if not failed else ""), ok)
    ctx.row(f"{p}: /health/ready while full", "503", f"{ready_full.brief()} {ready_full.body[:160]!r}",
            ready_full.status == 503)
    if not alive_full:
        return

    # Free the space: ready again within seconds, and every write works (no broken pooled
    # connections: "cannot start a transaction within a transaction", "transaction depth").
    for f in ("filler", "filler2"):
        (mnt / f).unlink(missing_ok=True)
    t0 = time.monotonic()
    ready = wait_for(lambda: srv.get("/health/ready", timeout=5).status == 200, 10, 0.2)
    ready_after = time.monotonic() - t0
    after, bad, t0 = [], [], time.monotonic()
    for i in range(200):  # stops after 10 failures or 120 s
        after.append(make_token(100 + i))
        if after[-1].status != 201:
            bad.append(after[-1])
        if len(bad) >= 10 or time.monotonic() - t0 > 120:
            break
    n_ok = len(after) - len(bad)
    pub2 = publish(srv, alice.token, "alice/after", "1.0.0", archive("alice/after", "1.0.0"))
    txn = srv.log_count(r"within a transaction|transaction depth")
    first_bad = f"; first failure: {bad[0].brief()} {bad[0].body[:160]!r}" if bad else ""
    ctx.row(f"{p}: recovery after freeing space",
            "/health/ready 200 within 10 s; 200/200 token creations 201; publish 201",
            f"ready {'200' if ready else 'NOT 200'} after {ready_after:.1f} s; "
            f"{n_ok}/200 tokens 201 ({len(after)} tried){first_bad}; publish {pub2.brief()}; "
            f"log lines with transaction errors: {txn}",
            ready and n_ok == 200 and pub2.status == 201)


# --- probe 3: slow clients ---------------------------------------------------------------------


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def watch(groups, t_open, deadline):
    """Polls every group of Peers until all are closed or `deadline`; returns, per group,
    the seconds after `t_open` when its last connection was closed (None: some still open)."""
    done = {g: None for g in groups}
    while True:
        now = time.monotonic()
        for g, peers in groups.items():
            if done[g] is None and all([pe.poll(now) for pe in peers]):
                done[g] = max(pe.closed_at for pe in peers) - t_open
        if all(v is not None for v in done.values()) or now >= deadline:
            return done
        time.sleep(0.5)


def drain_download(sock, deadline):
    """Reads what a (stalled) download delivers; returns (body bytes, Content-Length, how it ended)."""
    data, end = b"", "timeout"
    sock.settimeout(2.0)
    head, body_len, length = None, 0, None
    for _ in range(200_000):
        if time.monotonic() > deadline:
            break
        try:
            d = sock.recv(262144)
        except socket.timeout:
            end = "stalled (no EOF)"
            break
        except OSError as e:
            end = f"reset ({type(e).__name__})"
            break
        if not d:
            end = "EOF"
            break
        if head is None:
            data += d
            if b"\r\n\r\n" in data:
                head, rest = data.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                length = int(m.group(1)) if m else None
                body_len = len(rest)
                data = b""
        else:
            body_len += len(d)
    return body_len, length, end


def probe_3(ctx, backend):
    """Idle, half-sent and slow connections; a client that stops reading; fd exhaustion."""
    p = "3 slow clients"
    raise_nofile(8192)
    srv = Server(ctx, "p3-sqlite", backend, server={"shutdown_timeout_secs": 30}).start()
    alice = srv.user("alice")
    big = archive("alice/bigdl", "1.0.0", payload=os.urandom(16 << 20), level=1)
    r = publish(srv, alice.token, "alice/bigdl", "1.0.0", big)
    if r.status != 201:
        raise RuntimeError(f"setup publish of 16 MB: {r.brief()}")
    port = srv.port
    groups = {}
    with LiveMonitor(port, interval=0.2) as mon:
        # 500 idle connections, and one idle keep-alive connection after a request.
        groups["idle"] = [Peer(connect(port)) for _ in range(500)]
        ka = connect(port)
        ka.sendall(raw_head("GET", "/health/live"))
        first = ka.recv(4096)  # a small JSON answer, in one segment
        groups["idle"].append(Peer(ka))
        # 100 half-sent request heads.
        groups["half head"] = []
        for i in range(100):
            s = connect(port)
            s.sendall(f"GET /api/v1/search?q=x{i} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: chaos\r\nX-Half: ".encode())
            groups["half head"].append(Peer(s))
        # 50 with the head and half the body: streamed (publish) and buffered (JSON).
        groups["half body"] = []
        for i in range(25):
            s = connect(port)
            s.sendall(raw_head("PUT", f"/api/v1/packages/alice/half{i}/versions/1.0.0",
                               {**bearer(alice.token), "content-type": "application/gzip",
                                "content-length": 100_000}) + os.urandom(5_000))
            groups["half body"].append(Peer(s))
        for i in range(25):
            s = connect(port)
            s.sendall(raw_head("POST", "/api/v1/session", {"content-type": "application/json",
                                                           "content-length": 200}) + b'{"username": "alice", "pass')
            groups["half body"].append(Peer(s))
        # One upload at 1 KB/s (below min_body_bytes_per_sec).
        slow = SlowSender(port, raw_head("PUT", "/api/v1/packages/alice/slowup/versions/1.0.0",
                                         {**bearer(alice.token), "content-type": "application/gzip",
                                          "content-length": 200_000}),
                          total=200_000, chunk=1024, interval=1.0, max_secs=40)
        slow.start()
        # One download of 16 MB that is never read (small receive buffer).
        dl = connect(port, rcvbuf=4096)
        dl.sendall(raw_head("GET", "/api/v1/packages/alice/bigdl/versions/1.0.0/download",
                            {"connection": "close"}))
        t_open = time.monotonic()

        closed = watch(groups, t_open, t_open + max(HEADER_TIMEOUT, BODY_TIMEOUT) + 8)
        time.sleep(max(0.0, t_open + SEND_TIMEOUT + 4 - time.monotonic()))
        dl_body, dl_len, dl_end = drain_download(dl, time.monotonic() + 20)
        dl.close()
        slow.join(max(1.0, t_open + BODY_GRACE + 20 - time.monotonic()))
        slow.stop.set()
    for g in groups.values():
        for pe in g:
            pe.close()

    limit_h = HEADER_TIMEOUT + 3
    n_idle = len(groups["idle"])
    c = sum(pe.closed_at is not None for pe in groups["idle"])
    ctx.row(f"{p}: 500 idle + 1 idle keep-alive connections", f"all closed by the server within {limit_h} s",
            f"{c}/{n_idle} closed" + (f", the last after {closed['idle']:.1f} s" if closed["idle"] is not None else "")
            + f" (keep-alive request answered {status_of(first)})",
            closed["idle"] is not None and closed["idle"] <= limit_h)
    c = sum(pe.closed_at is not None for pe in groups["half head"])
    ctx.row(f"{p}: 100 half-sent request heads", f"all closed within {limit_h} s",
            f"{c}/100 closed" + (f", the last after {closed['half head']:.1f} s"
                                 if closed["half head"] is not None else ""),
            closed["half head"] is not None and closed["half head"] <= limit_h)
    hb = groups["half body"]
    c = sum(pe.closed_at is not None for pe in hb)
    answers = {}
    for pe in hb:
        k = str(status_of(pe.first) or "none")
        answers[k] = answers.get(k, 0) + 1
    limit_b = BODY_TIMEOUT + 3
    ctx.row(f"{p}: 50 half-sent bodies (25 publish, 25 JSON)", f"408 and closed within {limit_b} s",
            f"{c}/50 closed" + (f", the last after {closed['half body']:.1f} s"
                                if closed["half body"] is not None else "")
            + "; answers: " + ", ".join(f"{n}x {s}" for s, n in sorted(answers.items())),
            closed["half body"] is not None and closed["half body"] <= limit_b and answers.get("408") == 50)
    st = slow.status()
    ctx.row(f"{p}: 1 KB/s upload (min {MIN_BODY_RATE} B/s)",
            f"408 once past the grace (by {BODY_GRACE + 8} s)",
            f"{st or 'no answer'} after {slow.ended_after or 0:.1f} s, {slow.sent} B sent"
            + (f" ({slow.error})" if slow.error else ""),
            st == 408 and slow.ended_after is not None and slow.ended_after <= BODY_GRACE + 8)
    dropped = dl_end != "stalled (no EOF)" and (dl_len is None or dl_body < dl_len)
    ctx.row(f"{p}: client that stops reading a 16 MB download", f"dropped after send_timeout ({SEND_TIMEOUT} s)",
            f"{dl_end} after {dl_body} of {dl_len} body bytes", dropped)
    ctx.row(f"{p}: /health/live during all of the above", "< 1 s, never failing", mon.summary(), mon.ok(1.0))

    # Graceful shutdown with half-sent requests open (shutdown_timeout_secs = 30).
    held = []
    s = connect(port)
    s.sendall(f"GET /api/v1/packages HTTP/1.1\r\nHost: {HOST}\r\nX-Half: ".encode())
    held.append(s)
    s = connect(port)
    s.sendall(raw_head("PUT", "/api/v1/packages/alice/halfshut/versions/1.0.0",
                       {**bearer(alice.token), "content-type": "application/gzip", "content-length": 100_000})
              + os.urandom(5_000))
    held.append(s)
    time.sleep(0.5)
    took, code = srv.stop(timeout=40)
    for s in held:
        s.close()
    limit_s = max(HEADER_TIMEOUT, BODY_TIMEOUT) + 2.5
    ctx.row(f"{p}: SIGTERM with a half-sent head and body open",
            f"exits within {limit_s:.1f} s (not shutdown_timeout_secs = 30)",
            f"exited after {took:.1f} s with code {code}", took <= limit_s)

    # Under `ulimit -n 1024`, more idle connections than descriptors.
    srv2 = Server(ctx, "p3-nofile", backend, nofile=1024).start()
    try:  # the server may raise its soft limit, up to the hard one
        m = re.search(r"Max open files\s+(\d+)\s+(\d+)", Path(f"/proc/{srv2.proc.pid}/limits").read_text())
        limits = f"{m.group(1)}/{m.group(2)}" if m else "?"
    except OSError:
        limits = "?"
    socks = []
    for _ in range(1100):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((HOST, srv2.port))
        socks.append(s)
    time.sleep(1.0)
    fresh = srv2.get("/health/live", timeout=25)
    again = srv2.get("/health/live", timeout=10)
    for s in socks:
        s.close()
    alive = srv2.alive()
    emfile = srv2.log_count(r"(?i)too many open files")
    limit_f = HEADER_TIMEOUT + 6
    ctx.row(f"{p}: ulimit -n 1024 and 1,100 idle connections",
            f"a fresh client gets /health/live within {limit_f} s; server up",
            f"{fresh.brief()} after {fresh.elapsed:.1f} s (then {again.brief()} in {again.elapsed:.2f} s); "
            f"server {'up' if alive else 'DIED'} (open files soft/hard {limits}); "
            f"'too many open files' log lines: {emfile}",
            fresh.status == 200 and fresh.elapsed <= limit_f and alive)


# --- probe 4: kill -9 during uploads ---------------------------------------------------------


def uploads(staging):
    return sorted(staging.glob("upload-*")) if staging.is_dir() else []


def size_of(path):
    try:
        return path.stat().st_size
    except OSError:  # gone meanwhile
        return 0


def blob_dir(root):
    """The directory holding the two-hex-digit fan-out of sha256 blobs."""
    for dirpath, _, files in os.walk(root):
        for f in files:
            if re.fullmatch(r"[0-9a-f]{64}", f):
                return Path(dirpath).parent
    return root / "blobs" / "sha256"


def fake_partial(bdir, age=7200):
    """An interrupted object_store write: `<hex>#<n>` next to where the blob would go."""
    hexd = "ab" + secrets.token_hex(31)
    path = bdir / "ab" / f"{hexd}#1"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(4096))
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def probe_4(ctx, backend):
    """kill -9 during a slow publish and a slow OCI chunk; leftovers cleaned on restart and by gc."""
    p = "4 kill -9 mid-upload" + sfx(backend)
    srv = Server(ctx, f"p4-{backend}", backend).start()
    alice = srv.user("alice")
    staging = srv.data_dir / "staging"
    r = publish(srv, alice.token, "alice/small", "1.0.0", archive("alice/small", "1.0.0"))
    if r.status != 201:
        raise RuntimeError(f"setup publish: {r.brief()}")
    big = ctx.work / f"p4-{backend}-big.tar.gz"
    big.write_bytes(archive("alice/big", "1.0.0", payload=os.urandom(30 << 20), level=1))

    # A 30 MB publish at 1 MB/s ...
    curl = subprocess.Popen(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--limit-rate", "1M", "-m", "120", "-T", str(big),
         "-H", f"authorization: Bearer {alice.token}", "-H", "content-type: application/gzip",
         f"http://{HOST}:{srv.port}/api/v1/packages/alice/big/versions/1.0.0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # ... and an 8 MB OCI chunk at ~640 KB/s.
    r = req(srv.port, "POST", "/v2/alice/chunky/blobs/uploads/", b"", bearer(alice.token))
    loc = r.header("location")
    if r.status != 202 or not loc:
        curl.kill()
        raise RuntimeError(f"OCI upload start: {r.brief()}")
    n = 8 << 20
    patch = SlowSender(srv.port, raw_head("PATCH", loc, {**bearer(alice.token), "content-type": "application/octet-stream",
                                                           "content-range": f"0-{n - 1}", "content-length": n}),
                       total=n, chunk=65536, interval=0.1, max_secs=60)
    patch.start()
    wait_for(lambda: len([f for f in uploads(staging) if size_of(f) >= 256 << 10]) >= 2, 20)
    srv.kill9()
    left = uploads(staging)
    sizes = ", ".join(f"{size_of(f) >> 10} KB" for f in left)
    ctx.row(f"{p}: kill -9 during a publish and an OCI PATCH", "upload-* staging files left over (the setup)",
            f"{len(left)} left ({sizes})", len(left) >= 2)
    patch.stop.set()
    try:
        curl.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        curl.kill()
        curl.communicate()
    patch.join(10)

    # Restart with stale_upload_secs = 1, the leftovers and a fake partial blob older than that.
    bdir = blob_dir(srv.data_dir / "blobs")
    part1 = fake_partial(bdir)
    time.sleep(2.2)
    srv.restart(storage={"stale_upload_secs": 1})
    left_after = uploads(staging)
    ctx.row(f"{p}: restart with stale_upload_secs = 1", "old upload-* and blobs/**/*#* removed at start",
            f"{len(left_after)} upload-* left; fake partial {'still there' if part1.exists() else 'removed'}",
            not left_after and not part1.exists())

    # `trove admin gc` (server stopped) removes old staging files and partials too.
    srv.stop()
    part2 = fake_partial(bdir)
    stale = staging / "upload-chaosfake"
    stale.write_bytes(b"x" * 1000)
    old = time.time() - 60
    os.utime(stale, (old, old))
    gc = subprocess.run([str(ctx.bin), "--config", str(srv.cfg_path), "admin", "gc"], capture_output=True,
                        text=True, timeout=120, env=server_env())
    ctx.row(f"{p}: trove admin gc (stale_upload_secs = 1)", "exit 0; old upload-* and *#* removed",
            f"exit {gc.returncode}; upload-chaosfake {'still there' if stale.exists() else 'removed'}; "
            f"fake partial {'still there' if part2.exists() else 'removed'}"
            + (f"; stderr: {gc.stderr.strip()[:200]}" if gc.returncode else ""),
            gc.returncode == 0 and not stale.exists() and not part2.exists())

    # Everything still works: the interrupted version, a small one, an OCI chunked upload.
    srv.restart(storage={"stale_upload_secs": 3600})
    r1 = publish(srv, alice.token, "alice/big", "1.0.0", big.read_bytes(), timeout=120)
    r2 = publish(srv, alice.token, "alice/small", "1.0.1", archive("alice/small", "1.0.1"))
    data = os.urandom(3 << 20)
    r = req(srv.port, "POST", "/v2/alice/chunky/blobs/uploads/", b"", bearer(alice.token))
    loc = r.header("location")
    r3 = r
    if r.status == 202 and loc:
        r3 = req(srv.port, "PATCH", loc, data[: 1 << 20], {**bearer(alice.token), "content-range": f"0-{(1 << 20) - 1}",
                                                         "content-type": "application/octet-stream"})
        loc = r3.header("location") or loc
        if r3.status == 202:
            sep = "&" if "?" in loc else "?"
            r3 = req(srv.port, "PUT", f"{loc}{sep}digest={sha256(data)}", data[1 << 20:],
                     {**bearer(alice.token), "content-range": f"{1 << 20}-{len(data) - 1}",
                      "content-type": "application/octet-stream"})
    ctx.row(f"{p}: uploads after the restarts", "30 MB publish 201, publish 201, OCI chunked upload 201",
            f"{r1.brief()}, {r2.brief()}, {r3.brief()}", r1.status == 201 and r2.status == 201 and r3.status == 201)
    big.unlink(missing_ok=True)


# --- probe 5: privacy of writes -------------------------------------------------------------


def masked(r, word):
    return (r.status, r.body.replace(word.encode(), b"X"))


def probe_5(ctx, backend):
    """Writes by an outsider reveal nothing about private packages and repositories."""
    p = "5 privacy of writes" + sfx(backend)
    srv = Server(ctx, f"p5-{backend}", backend).start()
    alice, bob = srv.user("alice"), srv.user("bob")
    r = publish(srv, alice.token, "alice/secret", "1.0.0", archive("alice/secret", "1.0.0"), "?visibility=private")
    if r.status != 201:
        raise RuntimeError(f"setup private publish: {r.brief()}")
    a = publish(srv, bob.token, "alice/secret", "1.0.1", archive("alice/secret", "1.0.1"))
    b = publish(srv, bob.token, "alice/missing", "1.0.1", archive("alice/missing", "1.0.1"))
    same = masked(a, "secret") == masked(b, "missing")
    ctx.row(f"{p}: bob publishes to private alice/secret vs alice/missing",
            "same status and body (names masked)",
            f"{a.brief()} vs {b.brief()}" + ("" if same else f"; bodies: {a.body[:150]!r} vs {b.body[:150]!r}"),
            same and a.status is not None and a.status >= 400)

    layer = os.urandom(2048)
    r = push_image(srv, bearer(alice.token), "alice/secretimage", "v1", layer)
    r2 = req(srv.port, "PATCH", "/api/v1/packages/alice/secretimage", json.dumps({"visibility": "private"}).encode(),
             {**bearer(alice.token), "content-type": "application/json"})
    if r.status != 201 or r2.status != 200:
        raise RuntimeError(f"setup private image: push {r.brief()}, visibility {r2.brief()}")
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []},
                         "tag": "v1"}).encode()
    bob_auth = bearer(bob.token)
    checks = []
    for label, method, path, body, extra in [
        ("start upload", "POST", "/blobs/uploads/", b"", {}),
        ("monolithic blob", "POST", f"/blobs/uploads/?digest={sha256(layer)}", layer,
         {"content-type": "application/octet-stream"}),
        ("manifest", "PUT", "/manifests/v2", image_manifest(config, [layer]), {"content-type": OCI_MANIFEST}),
    ]:
        x = req(srv.port, method, "/v2/alice/secretimage" + path, body, {**bob_auth, **extra})
        y = req(srv.port, method, "/v2/alice/nothere" + path, body, {**bob_auth, **extra})
        checks.append((label, x, y, (x.status, x.code()) == (y.status, y.code()) and x.status is not None
                       and x.status >= 400))
    ctx.row(f"{p}: bob's OCI pushes to private alice/secretimage vs alice/nothere",
            "same status and error code (push refused)",
            "; ".join(f"{lab} {x.brief()} vs {y.brief()}" for lab, x, y, _ in checks),
            all(ok for *_, ok in checks))


# --- probe 6: concurrent publishes on PostgreSQL -------------------------------------------------


def probe_6(ctx, backend):
    p = "6 PostgreSQL: 50 concurrent publishes"
    srv = Server(ctx, "p6-postgres", "postgres").start()
    alice = srv.user("alice")
    archives = {f"1.0.{i}": archive("alice/crowd", f"1.0.{i}") for i in range(50)}
    results, barrier = {}, threading.Barrier(50, timeout=30)

    def one(version):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        results[version] = publish(srv, alice.token, "alice/crowd", version, archives[version], timeout=60)

    threads = [threading.Thread(target=one, args=(v,), daemon=True) for v in archives]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, 90 - (time.monotonic() - t0)))
    took = time.monotonic() - t0
    counts = {}
    for v in archives:
        k = results[v].brief() if v in results else "no result"
        counts[k] = counts.get(k, 0) + 1
    bad = [results[v] for v in archives if v in results and results[v].status != 201]
    listed = srv.get("/api/v1/packages/alice/crowd/versions").json()
    n_listed = len(listed) if isinstance(listed, list) else len((listed or {}).get("versions", []) or [])
    ctx.row(p, "all 50 get 201 (and 50 versions listed)",
            ", ".join(f"{n}x {s}" for s, n in counts.items()) + f" in {took:.1f} s; {n_listed} listed"
            + (f"; first failure: {bad[0].body[:160]!r}" if bad else ""),
            counts.get("201") == 50 and n_listed == 50)


# --- probe 7: rate limits ---------------------------------------------------------------------


def probe_7(ctx, backend):
    p = "7 rate limits" + sfx(backend)
    srv = Server(ctx, f"p7-{backend}", backend, rate_limits={"enabled": True}).start()  # default limits
    alice = srv.user("alice")
    srv.user("bob")
    auth = basic("alice", alice.token)
    got = [req(srv.port, "GET", "/v2/token?service=trove&scope=repository:alice/app:pull,push", None, auth)
           for _ in range(40)]
    counts = {}
    for r in got:
        counts[r.brief()] = counts.get(r.brief(), 0) + 1
    ctx.row(f"{p}: 40 /v2/token with Basic alice:<API token>", "none 429 (all 200)",
            ", ".join(f"{n}x {s}" for s, n in counts.items()), counts.get("200") == 40)
    body = json.dumps({"username": "bob", "password": "not the password"}).encode()
    got = [req(srv.port, "POST", "/api/v1/session", body, {"content-type": "application/json"}) for _ in range(25)]
    counts = {}
    for r in got:
        counts[r.brief()] = counts.get(r.brief(), 0) + 1
    n429 = sum(r.status == 429 for r in got)
    ctx.row(f"{p}: 25 failed logins for bob", "some 429 (login limit 20/min), the rest 401",
            ", ".join(f"{n}x {s}" for s, n in counts.items()),
            n429 >= 1 and all(r.status in (401, 429) for r in got))


# --- probe 8: OCI manifest checks --------------------------------------------------------------


def probe_8(ctx, backend):
    p = "8 OCI manifests" + sfx(backend)
    srv = Server(ctx, f"p8-{backend}", backend).start()
    alice = srv.user("alice")
    auth = bearer(alice.token)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = os.urandom(1000)
    for blob in (config, layer):
        r = oci_push_blob(srv, auth, "alice/sizeapp", blob)
        if r.status != 201:
            raise RuntimeError(f"setup blob push: {r.brief()}")
    bad = image_manifest(config, [layer], sizes=[999])
    r = oci_put_manifest(srv, auth, "alice/sizeapp", "v1", bad)
    by_tag = srv.get("/v2/alice/sizeapp/manifests/v1", headers=auth)
    by_digest = srv.get(f"/v2/alice/sizeapp/manifests/{sha256(bad)}", headers=auth)
    tags = srv.get("/v2/alice/sizeapp/tags/list", headers=auth).json() or {}
    stored = by_tag.status == 200 or by_digest.status == 200 or "v1" in (tags.get("tags") or [])
    good = oci_put_manifest(srv, auth, "alice/sizeapp", "v2", image_manifest(config, [layer]))
    ctx.row(f"{p}: layer size 999 for a 1000-byte blob",
            "400 MANIFEST_INVALID or SIZE_INVALID; nothing stored (correct size: 201)",
            f"{r.brief()}; GET by tag {by_tag.status}, by digest {by_digest.status}, tags {tags.get('tags')}; "
            f"correct manifest {good.brief()}",
            r.status == 400 and r.code() in ("MANIFEST_INVALID", "SIZE_INVALID") and not stored
            and good.status == 201)
    x = oci_put_manifest(srv, {}, "alice/sizeapp", "v3", b"{not json")
    y = oci_put_manifest(srv, {}, "alice/brandnew", "v1", b"{not json")
    ctx.row(f"{p}: anonymous PUT of an invalid manifest", "401 (not 400)",
            f"existing repo {x.brief()}, new repo {y.brief()}", x.status == 401 and y.status == 401)


# --- main -------------------------------------------------------------------------------------

PROBES = {
    1: (probe_1, "wildcard tokens", ("sqlite", "postgres")),
    2: (probe_2, "disk full (tmpfs, SQLite + fs)", ("sqlite",)),
    3: (probe_3, "slow clients", ("sqlite",)),
    4: (probe_4, "kill -9 during uploads", ("sqlite", "postgres")),
    5: (probe_5, "privacy of writes", ("sqlite", "postgres")),
    6: (probe_6, "PostgreSQL concurrent publishes", ("postgres",)),
    7: (probe_7, "rate limits", ("sqlite", "postgres")),
    8: (probe_8, "OCI manifest checks", ("sqlite", "postgres")),
}


def print_table(rows):
    widths = (34, 40, 62, 4)
    head = ("probe", "expected", "result", "PASS/FAIL")
    sep = "+".join("-" * (w + 2) for w in widths[:3]) + "+" + "-" * 11

    def line(cells):
        wrapped = [textwrap.wrap(c, w) or [""] for c, w in zip(cells[:3], widths)]
        out = []
        for i in range(max(len(w) for w in wrapped)):
            parts = [(w[i] if i < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)]
            out.append(" " + " | ".join(parts) + " | " + (cells[3] if i == 0 else ""))
        return out

    print()
    print("\n".join(line(head)))
    print(sep)
    for r in rows:
        print("\n".join(line(r)))
    print(sep)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--postgres", action="store_true", help="also run probes 1, 4, 5, 7, 8 on PostgreSQL")
    ap.add_argument("--only", default="", help="comma-separated probe numbers")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    only = {int(x) for x in args.only.replace(" ", "").split(",") if x} or set(PROBES)
    unknown = only - set(PROBES)
    if unknown:
        sys.exit(f"unknown probe(s): {sorted(unknown)}; probes are 1-8")
    ctx = Ctx(args)
    t_start = time.monotonic()
    try:
        for n in sorted(only):
            fn, title, backends = PROBES[n]
            for backend in backends:
                if backend == "postgres" and n != 6 and not args.postgres:
                    continue
                print(f"== probe {n}: {title} ({backend})", flush=True)
                if backend == "postgres" and not ctx.pg_ok():
                    ctx.row(f"{n} {title}{sfx(backend)}", "PostgreSQL at " + args.pg_url,
                            "PostgreSQL does not answer", None if n == 6 and not args.postgres else False)
                    continue
                before = len(ctx.rows)
                t0 = time.monotonic()
                try:
                    fn(ctx, backend)
                except Exception as e:
                    traceback.print_exc()
                    lines = [x for x in f"probe error: {e}".splitlines() if x.strip()]
                    ctx.row(f"{n} {title}{sfx(backend)}", "the probe runs",
                            lines[0] + (f" … {lines[-1].strip()}" if len(lines) > 1 else ""), False)
                finally:
                    failed = any(r[3] == "FAIL" for r in ctx.rows[before:])
                    if failed:
                        for s in ctx.servers:
                            print(f"   --- last lines of {s.log_path.name}:\n"
                                  + textwrap.indent(s.tail(15), "   | "), flush=True)
                    ctx.release()
                    print(f"   ({time.monotonic() - t0:.0f} s)", flush=True)
    finally:
        ctx.release()
    print_table(ctx.rows)
    fails = sum(r[3] == "FAIL" for r in ctx.rows)
    skips = sum(r[3] == "SKIP" for r in ctx.rows)
    print(f"chaos: {len(ctx.rows) - fails - skips} passed, {fails} failed, {skips} skipped "
          f"in {time.monotonic() - t_start:.0f} s")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
