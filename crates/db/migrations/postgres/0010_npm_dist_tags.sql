-- npm dist-tags: named pointers (`latest`, `beta`, …) from a package to one of its versions.
-- `latest` is what `npm install <name>` resolves; the npm front-end keeps it pointing at a
-- live version. Deleting a version's row (never done: deletes keep a tombstone) would drop
-- its tags; soft deletes move or remove them in the same transaction.
CREATE TABLE dist_tags (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (package_id, tag)
);
CREATE INDEX dist_tags_version ON dist_tags (version_id);
