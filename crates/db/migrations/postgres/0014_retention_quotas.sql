-- Retention policies and storage quotas, one row per namespace (user or organization) that
-- has one. A retention policy condemns a version (or OCI tag) only when every rule it sets
-- agrees: beyond the newest `keep_last` of its package, older than `max_age_days`, and its
-- name matching `pattern` (a glob with `*`). `delete_untagged`: OCI manifests that no tag,
-- index or subject keeps go too. The retention job claims a policy with a lease
-- (`lease_until`) so one node applies it at a time, and notes when it last ran.
CREATE TABLE retention_policies (
    namespace_id BIGINT PRIMARY KEY REFERENCES namespaces (id) ON DELETE CASCADE,
    keep_last BIGINT CHECK (keep_last IS NULL OR keep_last >= 1),
    max_age_days BIGINT CHECK (max_age_days IS NULL OR max_age_days >= 1),
    pattern TEXT,
    delete_untagged BIGINT NOT NULL DEFAULT 0 CHECK (delete_untagged IN (0, 1)),
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_run_at BIGINT,
    updated_at BIGINT NOT NULL
);

-- A storage quota set by a site admin: the bytes of blobs the namespace's live versions and
-- OCI repositories reference may not exceed `max_bytes`.
CREATE TABLE namespace_quotas (
    namespace_id BIGINT PRIMARY KEY REFERENCES namespaces (id) ON DELETE CASCADE,
    max_bytes BIGINT NOT NULL CHECK (max_bytes >= 0),
    updated_at BIGINT NOT NULL
);
