-- The files of a version. A native or npm version has one archive, a Cargo version one
-- .crate, but a PyPI release holds an sdist and many wheels (and a model several weight
-- files), each with its own digest, size, upload time and metadata (wheel tags, the core
-- metadata of PEP 658…). Every existing version gets its archive as its one file.
CREATE TABLE version_files (
    id BIGSERIAL PRIMARY KEY,
    version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('archive', 'tarball', 'crate', 'sdist', 'wheel', 'other')),
    digest TEXT NOT NULL,
    size BIGINT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}' CHECK (metadata LIKE '{%'),
    uploaded_at BIGINT NOT NULL,
    UNIQUE (version_id, filename)
);
CREATE INDEX version_files_digest ON version_files (digest);
INSERT INTO version_files (version_id, filename, kind, digest, size, metadata, uploaded_at)
SELECT v.id, n.name || '-' || p.name || '-' || v.version || '.tar.gz', 'archive', v.digest, v.size, '{}', v.created_at
FROM versions v
JOIN packages p ON p.id = v.package_id
JOIN namespaces n ON n.id = p.namespace_id;
