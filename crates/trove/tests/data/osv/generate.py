#!/usr/bin/env python3
"""Writes the synthetic OSV dump used by the advisory import tests: a few hundred records in
the shape of osv.dev's ecosystem exports (GitHub-reviewed GHSA records for npm, PyPI and
crates.io, PYSEC records with GIT ranges and version lists, RUSTSEC records, MAL- records of
malicious npm packages, withdrawn records). Package names, ids and CVE numbers are invented
(CVE-2099-…): these are not real vulnerabilities.

    python3 generate.py   # rewrites records/ deterministically
"""
import json
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "records")
rng = random.Random(20261206)
GHSA = "23456789cfghjmpqrvwx"
WORDS = ["acme", "tiny", "fast", "safe", "json", "yaml", "http", "url", "path", "auth", "jwt", "xml",
         "csv", "cache", "queue", "log", "color", "glob", "zip", "tar", "crypto", "hash", "image",
         "markdown", "template", "router", "cookie", "session", "proxy", "socket"]
SUFFIX = ["parser", "utils", "kit", "lite", "core", "helper", "client", "server", "stream", "plus"]
CWES = ["CWE-20", "CWE-22", "CWE-78", "CWE-79", "CWE-89", "CWE-94", "CWE-400", "CWE-502", "CWE-611",
        "CWE-770", "CWE-918", "CWE-1321"]
V3 = [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CRITICAL"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "HIGH"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "MODERATE"),
    ("CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N", "LOW"),
]
V4 = ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "CRITICAL")
TITLES = ["Prototype pollution in {n}", "Regular expression denial of service in {n}",
          "Path traversal in {n}", "Cross-site scripting in {n}", "Uncontrolled resource consumption in {n}",
          "Improper input validation in {n}", "Command injection in {n}", "Server-side request forgery in {n}",
          "Deserialization of untrusted data in {n}", "XML external entity expansion in {n}"]


def ghsa():
    return "GHSA-" + "-".join("".join(rng.choice(GHSA) for _ in range(4)) for _ in range(3))


def ts(year):
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (year, rng.randint(1, 12), rng.randint(1, 28),
                                                   rng.randint(0, 23), rng.randint(0, 59),
                                                   rng.randint(0, 59), rng.randint(0, 999999))


def name(eco, used):
    while True:
        n = rng.choice(WORDS) + "-" + rng.choice(SUFFIX)
        if eco == "crates.io":
            n = n.replace("-", "_") if rng.random() < 0.5 else n
        if eco == "npm" and rng.random() < 0.25:
            n = "@" + rng.choice(WORDS) + "/" + n
        if eco == "PyPI" and rng.random() < 0.3:
            n = n.title().replace("-", "_")
        if (eco, n.lower()) not in used:
            used.add((eco, n.lower()))
            return n


def semver():
    return "%d.%d.%d" % (rng.randint(0, 5), rng.randint(0, 20), rng.randint(0, 30))


def bump(v):
    a, b, c = map(int, v.split("."))
    return "%d.%d.%d" % (a, b, c + rng.randint(1, 9)) if rng.random() < 0.6 else "%d.%d.0" % (a, b + 1)


def pep440():
    return "%d.%d" % (rng.randint(0, 5), rng.randint(0, 20)) + (".%d" % rng.randint(1, 9) if rng.random() < 0.5 else "")


def purl(eco, n):
    if eco == "npm":
        return "pkg:npm/" + n.replace("@", "%40")
    if eco == "crates.io":
        return "pkg:cargo/" + n
    return "pkg:pypi/" + n.lower().replace("_", "-")


def ghsa_record(eco, used, year):
    n = name(eco, used)
    intro = "0" if rng.random() < 0.4 else (pep440() if eco == "PyPI" else semver())
    base = intro if intro != "0" else ("0.1" if eco == "PyPI" else "0.1.0")
    fixed = (base + ".post1" if rng.random() < 0.1 else base + "1") if eco == "PyPI" else bump(base)
    if eco == "PyPI":
        fixed = str(float(base.split(".")[0]) + 1).split(".")[0] + ".0"  # next major
        fixed = "%d.0" % (int(base.split(".")[0]) + 1)
    rid = ghsa()
    vec, sev = rng.choice(V3)
    events = [{"introduced": intro}]
    last = rng.random() < 0.12
    events.append({"last_affected": base} if last else {"fixed": fixed})
    published = ts(year)
    rec = {
        "schema_version": "1.7.3",
        "id": rid,
        "modified": ts(min(year + 1, 2026)),
        "published": published,
        "aliases": ["CVE-2099-%05d" % rng.randint(10000, 99999)],
        "summary": rng.choice(TITLES).format(n=n),
        "details": "### Impact\n`%s` before %s does not validate its input.\n\n### Patches\nUpgrade to %s.\n" % (n, fixed, fixed),
        "severity": [{"type": "CVSS_V3", "score": vec}],
        "affected": [{
            "package": {"ecosystem": eco, "name": n, "purl": purl(eco, n)},
            "ranges": [{"type": "ECOSYSTEM" if eco == "PyPI" else "SEMVER", "events": events}],
            "database_specific": {"source": "https://github.com/github/advisory-database/blob/main/advisories/github-reviewed/%d/01/%s/%s.json" % (year, rid, rid)},
        }],
        "references": [
            {"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/" + "CVE-2099-00000"},
            {"type": "PACKAGE", "url": "https://example.org/%s" % n.replace("@", "")},
        ],
        "database_specific": {"cwe_ids": [rng.choice(CWES)], "severity": sev, "github_reviewed": True,
                              "github_reviewed_at": published, "nvd_published_at": None},
    }
    rec["references"][0]["url"] = "https://nvd.nist.gov/vuln/detail/" + rec["aliases"][0]
    probe = {"hit": base if intro != "0" else ("0.1" if eco == "PyPI" else "0.1.0"),
             "miss": fixed if not last else None}
    if last:
        probe["miss"] = None
    return rec, (eco, n, probe)


def pysec_record(used, year, k):
    n = name("PyPI", used)
    versions = ["%d.%d" % (1, i) for i in range(rng.randint(2, 6))]
    fixed = "1.%d" % len(versions)
    rid = "PYSEC-%d-%d" % (year, k)
    rec = {
        "schema_version": "1.7.3",
        "id": rid,
        "modified": ts(min(year + 1, 2026)),
        "published": ts(year),
        "aliases": ["CVE-2099-%05d" % rng.randint(10000, 99999), ghsa()],
        "details": "%s before %s allows remote attackers to cause a denial of service." % (n, fixed),
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": n.lower(), "purl": purl("PyPI", n)},
            "ranges": [
                {"type": "GIT", "repo": "https://example.org/%s" % n.lower(),
                 "events": [{"introduced": "0"}, {"fixed": "%040x" % rng.getrandbits(160)}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]},
            ],
            "versions": versions,
        }],
        "references": [{"type": "FIX", "url": "https://example.org/%s/commit/1" % n.lower()}],
    }
    return rec, ("PyPI", n, {"hit": versions[-1], "miss": fixed})


def rustsec_record(used, year, k):
    n = name("crates.io", used)
    intro = semver()
    fixed = bump(intro)
    rid = "RUSTSEC-%d-%04d" % (year, k)
    rec = {
        "schema_version": "1.7.3",
        "id": rid,
        "modified": ts(min(year + 1, 2026)),
        "published": ts(year),
        "aliases": ["CVE-2099-%05d" % rng.randint(10000, 99999)],
        "summary": "Memory corruption in `%s`" % n,
        "details": "Affected versions of `%s` read past the end of a buffer." % n,
        "severity": [{"type": "CVSS_V3", "score": rng.choice(V3)[0]}],
        "affected": [{
            "package": {"ecosystem": "crates.io", "name": n, "purl": purl("crates.io", n)},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": intro}, {"fixed": fixed}]}],
            "ecosystem_specific": {"affects": {"arch": [], "os": [], "functions": ["%s::parse" % n.replace("-", "_")]}},
            "database_specific": {"categories": ["memory-corruption"], "cvss": None, "informational": None},
        }],
        "references": [{"type": "PACKAGE", "url": "https://crates.io/crates/%s" % n},
                       {"type": "ADVISORY", "url": "https://rustsec.org/advisories/%s.html" % rid}],
        "database_specific": {"license": "CC0-1.0"},
    }
    return rec, ("crates.io", n, {"hit": intro, "miss": fixed})


def mal_record(used, year, k):
    n = name("npm", used)
    versions = [semver() for _ in range(rng.randint(1, 3))]
    rid = "MAL-%d-%d" % (year, k)
    rec = {
        "schema_version": "1.7.3",
        "id": rid,
        "modified": ts(min(year + 1, 2026)),
        "published": ts(year),
        "summary": "Malicious code in %s (npm)" % n,
        "details": "\n---\n_-= Per source details. Do not edit below this line.=-_\n\nThe package exfiltrates environment variables on install.\n",
        "affected": [{
            "package": {"ecosystem": "npm", "name": n},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
            "versions": versions,
            "database_specific": {"malicious-packages-origins": [{"source": "ghsa-malware", "sha256": "%064x" % rng.getrandbits(256)}]},
        }],
        "credits": [{"name": "Synthetic Research", "contact": ["https://example.org"], "type": "FINDER"}],
        "database_specific": {"malicious-packages-origins": [{"source": "ghsa-malware"}]},
    }
    return rec, ("npm", n, {"hit": versions[0], "miss": None})


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    used = set()
    probes = []
    counts = {"npm": 90, "PyPI": 60, "crates.io": 50}
    records = []
    for eco, count in counts.items():
        for _ in range(count):
            records.append(ghsa_record(eco, used, rng.randint(2019, 2025)))
    for k in range(40):
        records.append(pysec_record(used, rng.randint(2019, 2025), 100 + k))
    for k in range(40):
        records.append(rustsec_record(used, rng.randint(2019, 2025), 10 + k))
    for k in range(30):
        records.append(mal_record(used, rng.randint(2022, 2025), 1000 + k))
    # A few withdrawn ones: served, but matching nothing.
    for rec, probe in rng.sample(records, 6):
        rec["withdrawn"] = rec["modified"]
        probe[2]["withdrawn"] = True
    for rec, (eco, n, probe) in records:
        d = os.path.join(OUT, eco)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, rec["id"] + ".json"), "w") as f:
            json.dump(rec, f, indent=2)
            f.write("\n")
        probes.append({"id": rec["id"], "ecosystem": eco, "name": n, **probe})
    with open(os.path.join(HERE, "probes.json"), "w") as f:
        json.dump(probes, f, indent=1)
        f.write("\n")
    print("wrote %d records" % len(records))


if __name__ == "__main__":
    main()
