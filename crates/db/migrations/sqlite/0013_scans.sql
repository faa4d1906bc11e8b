-- Publish-time scans ([scan] command): one row per scanned version (native, npm, Cargo,
-- PyPI) or OCI manifest (its layer set), inserted in the publishing transaction. The row is
-- both the job (claimed with a lease, `locked_until`, like webhook deliveries, so no two
-- nodes run it and it survives restarts) and its result. `status`: pending (queued or
-- waiting for a retry), passed (exit 0), failed (exit 1: findings), error (crashed or timed
-- out on every attempt).
CREATE TABLE scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version_id INTEGER REFERENCES versions (id) ON DELETE CASCADE,
    manifest_digest TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'passed', 'failed', 'error')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until INTEGER,
    exit_code INTEGER,
    findings TEXT,
    output TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    CHECK ((version_id IS NULL) <> (manifest_digest IS NULL))
);
CREATE UNIQUE INDEX scans_version ON scans (version_id) WHERE version_id IS NOT NULL;
CREATE UNIQUE INDEX scans_manifest ON scans (package_id, manifest_digest) WHERE manifest_digest IS NOT NULL;
CREATE INDEX scans_due ON scans (status, next_attempt_at);
-- Every install-facing read of a package looks up its scans (quarantine).
CREATE INDEX scans_package ON scans (package_id);
