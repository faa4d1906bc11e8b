-- The values the code gives a meaning to, enforced by the database too: a row written by
-- anything but Trove (a manual fix, a restore of an edited backup) cannot hold a role,
-- visibility, kind or flag the code would misread. PostgreSQL: CHECK constraints. SQLite
-- cannot add a CHECK to an existing table without rebuilding it (and every table that
-- references it), so the same conditions are triggers that abort the write.
ALTER TABLE namespaces ADD CONSTRAINT namespaces_kind_check CHECK (kind IN ('user', 'org'));
ALTER TABLE org_members ADD CONSTRAINT org_members_role_check CHECK (role IN ('read', 'write', 'admin', 'owner'));
ALTER TABLE package_owners ADD CONSTRAINT package_owners_role_check CHECK (role IN ('owner', 'maintainer'));
ALTER TABLE packages ADD CONSTRAINT packages_visibility_check CHECK (visibility IN ('public', 'private'));
ALTER TABLE packages ADD CONSTRAINT packages_ecosystem_check CHECK (ecosystem IN ('native', 'oci', 'npm', 'cargo', 'pypi'));
ALTER TABLE packages ADD CONSTRAINT packages_kind_check CHECK (kind IN ('library', 'module', 'plugin', 'model', 'agent', 'template', 'snapshot', 'other'));
ALTER TABLE packages ADD CONSTRAINT packages_json_check CHECK (keywords LIKE '[%' AND categories LIKE '[%');
ALTER TABLE users ADD CONSTRAINT users_flags_check CHECK (is_admin IN (0, 1) AND disabled IN (0, 1));
ALTER TABLE versions ADD CONSTRAINT versions_yanked_check CHECK (yanked IN (0, 1));
