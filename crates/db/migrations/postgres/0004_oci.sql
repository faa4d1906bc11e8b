-- OCI distribution (/v2). Repositories are packages with ecosystem 'oci'; their content is
-- described here, while the bytes live once in the blob store under their sha256 digest.

-- Blobs by the digest clients name them with (sha256 or sha512). `storage_digest` is the
-- sha256 key of the bytes in the blob store, so the same content is stored once.
CREATE TABLE oci_blobs (
    digest TEXT PRIMARY KEY,
    storage_digest TEXT NOT NULL,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX oci_blobs_storage ON oci_blobs (storage_digest);

-- A blob is visible in a repository only once pushed or mounted there.
CREATE TABLE oci_repo_blobs (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    digest TEXT NOT NULL REFERENCES oci_blobs (digest),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (package_id, digest)
);
CREATE INDEX oci_repo_blobs_digest ON oci_repo_blobs (digest);

-- Manifests (image manifests and indexes, OCI and Docker schema 2) of a repository.
CREATE TABLE oci_manifests (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    storage_digest TEXT NOT NULL,
    media_type TEXT NOT NULL,
    artifact_type TEXT,
    subject TEXT,
    size BIGINT NOT NULL,
    annotations TEXT,
    pushed_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (package_id, digest)
);
CREATE INDEX oci_manifests_subject ON oci_manifests (package_id, subject);
CREATE INDEX oci_manifests_storage ON oci_manifests (storage_digest);

-- What each manifest references: config and layer blobs, child manifests of an index.
CREATE TABLE oci_manifest_refs (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    manifest_digest TEXT NOT NULL,
    ref_digest TEXT NOT NULL,
    PRIMARY KEY (package_id, manifest_digest, ref_digest)
);
CREATE INDEX oci_manifest_refs_ref ON oci_manifest_refs (package_id, ref_digest);

CREATE TABLE oci_tags (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    digest TEXT NOT NULL,
    pushed_by BIGINT REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (package_id, tag)
);
CREATE INDEX oci_tags_digest ON oci_tags (package_id, digest);

-- Blob uploads in progress. The state is here and the bytes are in the blob store (one
-- part per chunk), so any node can continue an upload another node started.
CREATE TABLE oci_uploads (
    id TEXT PRIMARY KEY,
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id),
    size BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX oci_uploads_updated ON oci_uploads (updated_at);

CREATE TABLE oci_upload_parts (
    upload_id TEXT NOT NULL REFERENCES oci_uploads (id) ON DELETE CASCADE,
    part_offset BIGINT NOT NULL,
    storage_digest TEXT NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_offset)
);
CREATE INDEX oci_upload_parts_storage ON oci_upload_parts (storage_digest);

-- Coordination between pushes and garbage collection on the blob store: a push holds the
-- blob it stores until its rows reference it; the collector marks a blob while deleting it.
CREATE TABLE oci_blob_holds (
    storage_digest TEXT PRIMARY KEY,
    holders BIGINT NOT NULL,
    held_until BIGINT NOT NULL,
    gc_since BIGINT
);

-- Small server-wide settings shared by every node (the registry token signing key).
CREATE TABLE oci_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
