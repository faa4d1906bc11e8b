-- Search and statistics. Every server node keeps its own in-memory search index; this
-- generation number is bumped by `trove admin reindex` so that all of them rebuild.
CREATE TABLE search_state (
    id BIGINT PRIMARY KEY,
    generation BIGINT NOT NULL
);
INSERT INTO search_state (id, generation) VALUES (1, 0);

-- Nodes poll for packages changed since they last looked.
CREATE INDEX packages_updated_at ON packages (updated_at);
-- Download windows (last 7/30/365 days, trending) read recent days only.
CREATE INDEX version_downloads_day ON version_downloads (day);
