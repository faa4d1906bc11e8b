-- CLI login by the device-code flow (RFC 8628). Both codes are stored only as SHA-256 hashes.
CREATE TABLE device_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code_hash TEXT NOT NULL UNIQUE,
    client_name TEXT,
    user_id INTEGER REFERENCES users (id),
    approved_at INTEGER,
    denied_at INTEGER,
    token_id INTEGER REFERENCES tokens (id),
    consumed_at INTEGER,
    interval_ms INTEGER NOT NULL,
    last_poll_at INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX device_codes_expires ON device_codes (expires_at);
