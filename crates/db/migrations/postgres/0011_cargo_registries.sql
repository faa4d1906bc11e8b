-- Every namespace is a Cargo registry; this row holds its settings once they differ from
-- the defaults. `auth_required`: cargo must send its token for the index and downloads too
-- (config.json says `auth-required: true`), and new crates are published private.
CREATE TABLE cargo_registries (
    namespace_id BIGINT PRIMARY KEY REFERENCES namespaces (id) ON DELETE CASCADE,
    auth_required BIGINT NOT NULL DEFAULT 0 CHECK (auth_required IN (0, 1)),
    updated_at BIGINT NOT NULL
);
