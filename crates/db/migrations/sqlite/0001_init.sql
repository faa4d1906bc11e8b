CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT,
    is_admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

-- Users and organizations share one name space: every scope is a row here.
CREATE TABLE namespaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_norm TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    description TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX namespaces_user ON namespaces (user_id);

CREATE TABLE org_members (
    namespace_id INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (namespace_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    patterns TEXT,
    expires_at INTEGER,
    last_used_at INTEGER,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE packages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace_id INTEGER NOT NULL REFERENCES namespaces (id),
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
    downloads INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX packages_name ON packages (ecosystem, namespace_id, name_norm);

CREATE TABLE package_owners (
    package_id INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (package_id, user_id)
);
CREATE INDEX package_owners_user ON package_owners (user_id);

CREATE TABLE versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    version TEXT NOT NULL,
    version_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    manifest TEXT NOT NULL,
    dependencies TEXT NOT NULL DEFAULT '{}',
    readme TEXT,
    publisher_id INTEGER REFERENCES users (id),
    yanked INTEGER NOT NULL DEFAULT 0,
    yanked_at INTEGER,
    deprecated TEXT,
    deleted_at INTEGER,
    downloads INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX versions_key ON versions (package_id, version_key);
CREATE INDEX versions_digest ON versions (digest);

CREATE TABLE version_downloads (
    version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    day INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (version_id, day)
);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor_id INTEGER,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    namespace_id INTEGER,
    ip TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_namespace ON audit_events (namespace_id, at);
