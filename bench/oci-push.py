#!/usr/bin/env python3
"""Pushes one blob to an OCI registry the way Go clients (containerd, oras, skopeo) do: every
request of the upload on one keep-alive connection, no `Expect: 100-continue`, TCP_NODELAY.
Used by bench/oci.sh for both Trove and CNCF distribution, so both get the same client.

    oci-push.py BASE REPOSITORY DIGEST AUTHORIZATION FILE...

One FILE: a PATCH with the whole body, then an empty closing PUT (one stream). Several FILEs:
one PATCH with `Content-Range` each, in order, then an empty closing PUT (chunked). Each body
is sent from its file with sendfile. AUTHORIZATION is an `Authorization` header value, or ''
for none. Prints the seconds from the POST to the closing PUT's answer and the seconds of the
closing PUT, measured here (the interpreter's start is not counted).
"""

import http.client
import os
import socket
import sys
import time
from urllib.parse import urlsplit


def main():
    base, repo, digest, auth, *files = sys.argv[1:]
    if not files:
        sys.exit(__doc__)
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    common = {"Authorization": auth} if auth else {}

    def request(method, path, headers, file=None, size=0):
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in {**common, **headers, "Content-Length": str(size)}.items():
            conn.putheader(k, v)
        conn.endheaders()
        if file is not None:
            with open(file, "rb") as f:
                sent = conn.sock.sendfile(f)
            if sent != size:
                sys.exit(f"sent {sent} of the {size} bytes of {file}")
        res = conn.getresponse()
        res.read()
        if res.status >= 300:
            sys.exit(f"{method} {path}: {res.status} {res.reason}")
        if res.getheader("Connection", "").lower() == "close":
            sys.exit(f"{method} {path}: the server closed the connection")
        return res

    def location(res):
        loc = urlsplit(res.getheader("Location"))
        return loc.path + ("?" + loc.query if loc.query else "")

    t0 = time.monotonic()
    loc = location(request("POST", f"/v2/{repo}/blobs/uploads/", {}))
    start = 0
    for file in files:
        size = os.stat(file).st_size
        headers = {"Content-Type": "application/octet-stream"}
        if len(files) > 1:
            headers["Content-Range"] = f"{start}-{start + size - 1}"
        loc = location(request("PATCH", loc, headers, file, size))
        start += size
    t1 = time.monotonic()
    sep = "&" if "?" in loc else "?"
    request("PUT", f"{loc}{sep}digest={digest}", {})
    t2 = time.monotonic()
    print(f"{t2 - t0:.3f} {t2 - t1:.3f}")


if __name__ == "__main__":
    main()
