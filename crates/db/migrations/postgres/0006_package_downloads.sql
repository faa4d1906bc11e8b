-- Downloads of packages that have no version rows, per UTC day: pulls of OCI repositories,
-- whose tags are not versions. `version_downloads` keeps the per-version counts of the
-- others; a package's daily series and windows add both, and `packages.downloads` is the
-- running total of both. No IP address or client detail is stored.
CREATE TABLE package_downloads (
    package_id BIGINT NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (package_id, day)
);
CREATE INDEX package_downloads_day ON package_downloads (day);
