-- Security advisories in the OSV schema (1.7). `doc` is the OSV JSON as served (with id,
-- modified, published, withdrawn filled in); the other columns are what queries filter on.
-- A local advisory belongs to one Trove package (`package_id`) and follows its privacy;
-- an imported one (`source = 'imported'`, from an OSV dump) belongs to none and is public.
-- `state`: `reported` (waiting in the review queue, seen only by the package's owners and
-- site admins), `published`, `rejected`. Advisories are withdrawn, never deleted.
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('local', 'imported')),
    state TEXT NOT NULL CHECK (state IN ('reported', 'published', 'rejected')),
    package_id BIGINT REFERENCES packages (id) ON DELETE CASCADE,
    namespace_id BIGINT REFERENCES namespaces (id) ON DELETE CASCADE,
    reporter_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    summary TEXT NOT NULL DEFAULT '',
    malicious BIGINT NOT NULL DEFAULT 0 CHECK (malicious IN (0, 1)),
    doc TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    withdrawn_at BIGINT,
    CHECK ((source = 'local') = (package_id IS NOT NULL))
);
CREATE INDEX advisories_package ON advisories (package_id);
CREATE INDEX advisories_state ON advisories (state, namespace_id);

-- One row per package an advisory affects (OSV `affected[].package`): the OSV ecosystem
-- name (`npm`, `crates.io`, `PyPI`, `Trove`, or any other of an imported dump) and the
-- package name normalized for lookups (PyPI: PEP 503; crates.io: lowercase, `_` as `-`).
CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem, name)
);
CREATE INDEX advisory_packages_name ON advisory_packages (ecosystem, name);

-- The last `TROVE-YYYY-N` number handed out per year.
CREATE TABLE advisory_ids (
    year BIGINT PRIMARY KEY,
    last BIGINT NOT NULL
);
