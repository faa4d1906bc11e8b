CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT,
    is_admin BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

-- Users and organizations share one name space: every scope is a row here.
CREATE TABLE namespaces (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    description TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX namespaces_user ON namespaces (user_id);

CREATE TABLE org_members (
    namespace_id BIGINT NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (namespace_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    patterns TEXT,
    expires_at BIGINT,
    last_used_at BIGINT,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE packages (
    id BIGSERIAL PRIMARY KEY,
    namespace_id BIGINT NOT NULL REFERENCES namespaces (id),
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    kind TEXT NOT NULL,
    visibility TEXT NOT NULL,
    description TEXT,
    license TEXT,
    keywords TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    homepage TEXT,
    repository TEXT,
    readme TEXT,
    latest_version TEXT,
    downloads BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX packages_name ON packages (ecosystem, namespace_id, name_norm);

CREATE TABLE package_owners (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (package_id, user_id)
);
CREATE INDEX package_owners_user ON package_owners (user_id);

CREATE TABLE versions (
    id BIGSERIAL PRIMARY KEY,
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    version_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    size BIGINT NOT NULL,
    manifest TEXT NOT NULL,
    dependencies TEXT NOT NULL DEFAULT '{}',
    readme TEXT,
    publisher_id BIGINT REFERENCES users (id),
    yanked BIGINT NOT NULL DEFAULT 0,
    yanked_at BIGINT,
    deprecated TEXT,
    deleted_at BIGINT,
    downloads BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX versions_key ON versions (package_id, version_key);
CREATE INDEX versions_digest ON versions (digest);

CREATE TABLE version_downloads (
    version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (version_id, day)
);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    namespace_id BIGINT,
    ip TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_namespace ON audit_events (namespace_id, at);
