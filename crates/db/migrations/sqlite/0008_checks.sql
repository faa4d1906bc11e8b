-- The values the code gives a meaning to, enforced by the database too: a row written by
-- anything but Trove (a manual fix, a restore of an edited backup) cannot hold a role,
-- visibility, kind or flag the code would misread. PostgreSQL: CHECK constraints. SQLite
-- cannot add a CHECK to an existing table without rebuilding it (and every table that
-- references it), so the same conditions are triggers that abort the write.
CREATE TRIGGER namespaces_kind_check_insert BEFORE INSERT ON namespaces
    WHEN NOT (NEW.kind IN ('user', 'org'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: namespaces_kind_check'); END;
CREATE TRIGGER namespaces_kind_check_update BEFORE UPDATE ON namespaces
    WHEN NOT (NEW.kind IN ('user', 'org'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: namespaces_kind_check'); END;
CREATE TRIGGER org_members_role_check_insert BEFORE INSERT ON org_members
    WHEN NOT (NEW.role IN ('read', 'write', 'admin', 'owner'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: org_members_role_check'); END;
CREATE TRIGGER org_members_role_check_update BEFORE UPDATE ON org_members
    WHEN NOT (NEW.role IN ('read', 'write', 'admin', 'owner'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: org_members_role_check'); END;
CREATE TRIGGER package_owners_role_check_insert BEFORE INSERT ON package_owners
    WHEN NOT (NEW.role IN ('owner', 'maintainer'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: package_owners_role_check'); END;
CREATE TRIGGER package_owners_role_check_update BEFORE UPDATE ON package_owners
    WHEN NOT (NEW.role IN ('owner', 'maintainer'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: package_owners_role_check'); END;
CREATE TRIGGER packages_visibility_check_insert BEFORE INSERT ON packages
    WHEN NOT (NEW.visibility IN ('public', 'private'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_visibility_check'); END;
CREATE TRIGGER packages_visibility_check_update BEFORE UPDATE ON packages
    WHEN NOT (NEW.visibility IN ('public', 'private'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_visibility_check'); END;
CREATE TRIGGER packages_ecosystem_check_insert BEFORE INSERT ON packages
    WHEN NOT (NEW.ecosystem IN ('native', 'oci', 'npm', 'cargo', 'pypi'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_ecosystem_check'); END;
CREATE TRIGGER packages_ecosystem_check_update BEFORE UPDATE ON packages
    WHEN NOT (NEW.ecosystem IN ('native', 'oci', 'npm', 'cargo', 'pypi'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_ecosystem_check'); END;
CREATE TRIGGER packages_kind_check_insert BEFORE INSERT ON packages
    WHEN NOT (NEW.kind IN ('library', 'module', 'plugin', 'model', 'agent', 'template', 'snapshot', 'other'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_kind_check'); END;
CREATE TRIGGER packages_kind_check_update BEFORE UPDATE ON packages
    WHEN NOT (NEW.kind IN ('library', 'module', 'plugin', 'model', 'agent', 'template', 'snapshot', 'other'))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_kind_check'); END;
CREATE TRIGGER packages_json_check_insert BEFORE INSERT ON packages
    WHEN NOT (NEW.keywords LIKE '[%' AND NEW.categories LIKE '[%')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_json_check'); END;
CREATE TRIGGER packages_json_check_update BEFORE UPDATE ON packages
    WHEN NOT (NEW.keywords LIKE '[%' AND NEW.categories LIKE '[%')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: packages_json_check'); END;
CREATE TRIGGER users_flags_check_insert BEFORE INSERT ON users
    WHEN NOT (NEW.is_admin IN (0, 1) AND NEW.disabled IN (0, 1))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users_flags_check'); END;
CREATE TRIGGER users_flags_check_update BEFORE UPDATE ON users
    WHEN NOT (NEW.is_admin IN (0, 1) AND NEW.disabled IN (0, 1))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: users_flags_check'); END;
CREATE TRIGGER versions_yanked_check_insert BEFORE INSERT ON versions
    WHEN NOT (NEW.yanked IN (0, 1))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: versions_yanked_check'); END;
CREATE TRIGGER versions_yanked_check_update BEFORE UPDATE ON versions
    WHEN NOT (NEW.yanked IN (0, 1))
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: versions_yanked_check'); END;
