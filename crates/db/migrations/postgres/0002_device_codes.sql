-- CLI login by the device-code flow (RFC 8628). Both codes are stored only as SHA-256 hashes.
CREATE TABLE device_codes (
    id BIGSERIAL PRIMARY KEY,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code_hash TEXT NOT NULL UNIQUE,
    client_name TEXT,
    user_id BIGINT REFERENCES users (id),
    approved_at BIGINT,
    denied_at BIGINT,
    token_id BIGINT REFERENCES tokens (id),
    consumed_at BIGINT,
    interval_ms BIGINT NOT NULL,
    last_poll_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX device_codes_expires ON device_codes (expires_at);
