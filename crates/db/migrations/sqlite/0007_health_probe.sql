-- One row that `/health/ready` rewrites to prove the database accepts writes (a full disk
-- or a read-only database leaves reads working while every write fails).
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at BIGINT NOT NULL
);
INSERT INTO health_probe (id, checked_at) VALUES (1, 0);
