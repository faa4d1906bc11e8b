//! Repository tests against real databases: every test runs once on a temporary SQLite file
//! and once on a throwaway PostgreSQL database (see `trove_testkit::both_backends!`).

use serde_json::json;
use trove_core::{NamespaceKind, OrgRole, OwnerRole, TokenScope};
use trove_db::audit::{self, AuditFilter, NewEvent};
use trove_db::packages::{self, NewPackage, PackageMeta};
use trove_db::sessions::{self, Session};
use trove_db::tokens::{self, NewToken};
use trove_db::versions::{self, NewVersion};
use trove_db::{blobs, downloads, namespaces, owners, users, Conn, Db, DbError};
use trove_testkit::{both_backends, Backend, TestDb};

const NOW: i64 = 1_700_000_000_000;

async fn setup(backend: Backend) -> (TestDb, Db) {
    let tdb = TestDb::new(backend).await;
    let db = tdb.connect().await;
    let expected = match backend {
        Backend::Sqlite => trove_db::Backend::Sqlite,
        Backend::Postgres => trove_db::Backend::Postgres,
    };
    assert_eq!(db.backend(), expected);
    (tdb, db)
}

async fn user(conn: &mut Conn, name: &str) -> i64 {
    users::insert(conn, name, &format!("{name}@example.test"), Some("hash"), false, NOW)
        .await
        .expect("insert user")
}

/// A user with their personal namespace; returns (user id, namespace id).
async fn user_with_ns(conn: &mut Conn, name: &str) -> (i64, i64) {
    let uid = user(conn, name).await;
    let ns = namespaces::insert(conn, name, NamespaceKind::User, Some(uid), None, NOW)
        .await
        .expect("insert namespace");
    (uid, ns)
}

async fn package(conn: &mut Conn, namespace_id: i64, name: &str) -> i64 {
    packages::insert(
        conn,
        NewPackage {
            namespace_id,
            name,
            ecosystem: "native",
            kind: "library",
            visibility: "public",
            now: NOW,
        },
    )
    .await
    .expect("insert package")
}

async fn version(conn: &mut Conn, package_id: i64, v: &str, digest: &str, publisher: i64) -> i64 {
    versions::insert(conn, new_version(package_id, v, digest, publisher))
        .await
        .expect("insert version")
}

fn new_version<'a>(package_id: i64, v: &'a str, digest: &'a str, publisher: i64) -> NewVersion<'a> {
    NewVersion {
        package_id,
        version: v,
        version_key: v,
        digest,
        size: 1234,
        manifest: r#"{"name":"x"}"#,
        dependencies: r#"{"acme/dep":"^1"}"#,
        readme: Some("# readme"),
        publisher_id: publisher,
        now: NOW,
    }
}

fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

fn assert_unique<T: std::fmt::Debug>(r: Result<T, DbError>) {
    match r {
        Err(e) => assert!(e.is_unique_violation(), "expected a unique violation, got {e:?}"),
        Ok(v) => panic!("expected a unique violation, got Ok({v:?})"),
    }
}

// ---------------------------------------------------------------------------------------------

async fn users_crud(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    assert_eq!(users::count(&mut c).await.unwrap(), 0);
    assert!(users::list(&mut c, 10, 0).await.unwrap().is_empty());

    let alice = users::insert(&mut c, "alice", "alice@example.test", Some("h1"), true, NOW)
        .await
        .unwrap();
    let bob = users::insert(&mut c, "bob", "bob@example.test", None, false, NOW + 1)
        .await
        .unwrap();
    let carol = user(&mut c, "carol").await;
    assert!(alice < bob && bob < carol);

    let a = users::find_by_username(&mut c, "alice").await.unwrap().unwrap();
    assert_eq!(a.id, alice);
    assert_eq!(a.email, "alice@example.test");
    assert_eq!(a.password_hash.as_deref(), Some("h1"));
    assert!(a.admin());
    assert!(!a.disabled);
    assert_eq!(a.created_at, NOW);

    let b = users::find_by_id(&mut c, bob).await.unwrap().unwrap();
    assert_eq!(b.username, "bob");
    assert_eq!(b.password_hash, None);
    assert!(!b.admin());
    assert_eq!(b.created_at, NOW + 1);

    assert!(users::find_by_username(&mut c, "nobody").await.unwrap().is_none());
    assert!(users::find_by_username(&mut c, "Alice").await.unwrap().is_none());
    assert!(users::find_by_id(&mut c, 999_999).await.unwrap().is_none());

    let all: Vec<_> = users::list(&mut c, 10, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(all, ["alice", "bob", "carol"]);
    let page: Vec<_> = users::list(&mut c, 1, 1)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(page, [bob]);
    assert!(users::list(&mut c, 10, 3).await.unwrap().is_empty());
    assert_eq!(users::count(&mut c).await.unwrap(), 3);

    users::set_admin(&mut c, bob, true).await.unwrap();
    users::set_admin(&mut c, alice, false).await.unwrap();
    assert!(users::find_by_id(&mut c, bob).await.unwrap().unwrap().admin());
    assert!(!users::find_by_id(&mut c, alice).await.unwrap().unwrap().admin());

    users::set_password(&mut c, bob, "h2").await.unwrap();
    let b = users::find_by_id(&mut c, bob).await.unwrap().unwrap();
    assert_eq!(b.password_hash.as_deref(), Some("h2"));

    assert_unique(users::insert(&mut c, "alice", "other@example.test", None, false, NOW).await);
    assert_eq!(users::count(&mut c).await.unwrap(), 3);

    // Serialization never exposes the password hash.
    let v = serde_json::to_value(&a).unwrap();
    assert!(v.get("password_hash").is_none());
    assert_eq!(v["username"], "alice");
}

async fn namespaces_normalized(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (alice, alice_ns) = user_with_ns(&mut c, "alice").await;

    let org = namespaces::insert(&mut c, "foo-bar", NamespaceKind::Org, None, Some("The Foo org"), NOW)
        .await
        .unwrap();
    for lookup in ["foo-bar", "foo_bar", "foo.bar"] {
        let n = namespaces::find(&mut c, lookup)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{lookup} not found"));
        assert_eq!(n.id, org);
        assert_eq!(n.name, "foo-bar", "the stored spelling is kept");
        assert!(n.is_org());
        assert_eq!(n.description.as_deref(), Some("The Foo org"));
        assert_eq!(n.user_id, None);
    }
    assert!(namespaces::find(&mut c, "foobar").await.unwrap().is_none());

    let n = namespaces::find_by_id(&mut c, alice_ns).await.unwrap().unwrap();
    assert_eq!(n.name, "alice");
    assert_eq!(n.kind, NamespaceKind::User);
    assert!(!n.is_org());
    assert_eq!(n.user_id, Some(alice));
    assert!(namespaces::find_by_id(&mut c, 999_999).await.unwrap().is_none());

    // Normalized duplicates are refused, whatever the spelling.
    assert_unique(namespaces::insert(&mut c, "foo_bar", NamespaceKind::Org, None, None, NOW).await);
    assert_unique(namespaces::insert(&mut c, "foo.bar", NamespaceKind::Org, None, None, NOW).await);
    assert_unique(namespaces::insert(&mut c, "foo-bar", NamespaceKind::Org, None, None, NOW).await);
    // A user has one personal namespace.
    assert_unique(namespaces::insert(&mut c, "alice2", NamespaceKind::User, Some(alice), None, NOW).await);

    // The stored name keeps its own spelling and is found by the others.
    let under = namespaces::insert(&mut c, "under_score", NamespaceKind::Org, None, None, NOW)
        .await
        .unwrap();
    assert_eq!(
        namespaces::find(&mut c, "under-score").await.unwrap().unwrap().id,
        under
    );
    assert_eq!(
        namespaces::find(&mut c, "under-score").await.unwrap().unwrap().name,
        "under_score"
    );
}

async fn org_members(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let alice = user(&mut c, "alice").await;
    let bob = user(&mut c, "bob").await;
    let carol = user(&mut c, "carol").await;
    let zeta = namespaces::insert(&mut c, "zeta", NamespaceKind::Org, None, None, NOW)
        .await
        .unwrap();
    let acme = namespaces::insert(&mut c, "acme", NamespaceKind::Org, None, None, NOW)
        .await
        .unwrap();

    namespaces::upsert_member(&mut c, acme, alice, OrgRole::Owner, NOW)
        .await
        .unwrap();
    namespaces::upsert_member(&mut c, acme, bob, OrgRole::Write, NOW + 1)
        .await
        .unwrap();
    namespaces::upsert_member(&mut c, zeta, bob, OrgRole::Owner, NOW)
        .await
        .unwrap();
    assert_eq!(
        namespaces::member_role(&mut c, acme, bob).await.unwrap(),
        Some(OrgRole::Write)
    );
    assert_eq!(namespaces::member_role(&mut c, acme, carol).await.unwrap(), None);
    assert_eq!(namespaces::count_role(&mut c, acme, OrgRole::Owner).await.unwrap(), 1);
    assert_eq!(namespaces::count_role(&mut c, acme, OrgRole::Write).await.unwrap(), 1);

    // Upsert changes the role and keeps the original join time.
    namespaces::upsert_member(&mut c, acme, bob, OrgRole::Owner, NOW + 50)
        .await
        .unwrap();
    assert_eq!(
        namespaces::member_role(&mut c, acme, bob).await.unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(namespaces::count_role(&mut c, acme, OrgRole::Owner).await.unwrap(), 2);
    assert_eq!(namespaces::count_role(&mut c, acme, OrgRole::Write).await.unwrap(), 0);

    let members = namespaces::members(&mut c, acme).await.unwrap();
    let got: Vec<_> = members
        .iter()
        .map(|m| (m.user_id, m.username.as_str(), m.role.as_str()))
        .collect();
    assert_eq!(got, [(alice, "alice", "owner"), (bob, "bob", "owner")]);
    assert_eq!(members[1].created_at, NOW + 1);

    // orgs_of_user: ordered by org name, with the user's role in each.
    let orgs = namespaces::orgs_of_user(&mut c, bob).await.unwrap();
    let got: Vec<_> = orgs.iter().map(|(n, r)| (n.id, n.name.as_str(), r.as_str())).collect();
    assert_eq!(got, [(acme, "acme", "owner"), (zeta, "zeta", "owner")]);
    assert!(orgs.iter().all(|(n, _)| n.is_org()));
    assert!(namespaces::orgs_of_user(&mut c, carol).await.unwrap().is_empty());

    // Remove: true once, then false.
    assert!(namespaces::remove_member(&mut c, acme, bob).await.unwrap());
    assert!(!namespaces::remove_member(&mut c, acme, bob).await.unwrap());
    assert!(!namespaces::remove_member(&mut c, acme, carol).await.unwrap());
    assert_eq!(namespaces::count_role(&mut c, acme, OrgRole::Owner).await.unwrap(), 1);
    assert_eq!(namespaces::member_role(&mut c, acme, bob).await.unwrap(), None);
    let orgs = namespaces::orgs_of_user(&mut c, bob).await.unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0].0.id, zeta);
}

async fn tokens_lifecycle(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let alice = user(&mut c, "alice").await;
    let bob = user(&mut c, "bob").await;

    let t1 = tokens::insert(
        &mut c,
        NewToken {
            user_id: alice,
            name: "ci",
            token_hash: "hash-1",
            scopes: "read,publish",
            patterns: Some("acme/*"),
            expires_at: Some(NOW + 1000),
            now: NOW,
        },
    )
    .await
    .unwrap();
    let new = |user_id, name, token_hash| NewToken {
        user_id,
        name,
        token_hash,
        scopes: "read",
        patterns: None,
        expires_at: None,
        now: NOW,
    };
    let t2 = tokens::insert(&mut c, new(alice, "laptop", "hash-2")).await.unwrap();
    let t3 = tokens::insert(&mut c, new(bob, "bob's", "hash-3")).await.unwrap();
    assert_unique(tokens::insert(&mut c, new(bob, "dup", "hash-1")).await);

    let t = tokens::find_by_hash(&mut c, "hash-1").await.unwrap().unwrap();
    assert_eq!(t.id, t1);
    assert_eq!(t.user_id, alice);
    assert_eq!(t.name, "ci");
    assert_eq!(t.token_hash, "hash-1");
    assert_eq!(t.scopes, [TokenScope::Read, TokenScope::Publish]);
    assert_eq!(t.patterns, Some(vec!["acme/*".to_string()]));
    assert_eq!(t.expires_at, Some(NOW + 1000));
    assert_eq!(t.last_used_at, None);
    assert_eq!(t.created_at, NOW);
    assert_eq!(t.revoked_at, None);
    assert!(tokens::find_by_hash(&mut c, "nope").await.unwrap().is_none());
    assert!(serde_json::to_value(&t).unwrap().get("token_hash").is_none());

    let ids = |v: Vec<tokens::Token>| v.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(tokens::list_for_user(&mut c, alice).await.unwrap()), [t1, t2]);
    assert_eq!(ids(tokens::list_for_user(&mut c, bob).await.unwrap()), [t3]);

    // Only the owner may revoke, and only once.
    assert!(!tokens::revoke(&mut c, t1, bob, NOW + 5).await.unwrap());
    assert_eq!(
        tokens::find_by_hash(&mut c, "hash-1")
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
    assert!(tokens::revoke(&mut c, t1, alice, NOW + 5).await.unwrap());
    assert!(!tokens::revoke(&mut c, t1, alice, NOW + 6).await.unwrap());
    assert!(!tokens::revoke(&mut c, 999_999, alice, NOW).await.unwrap());
    assert_eq!(ids(tokens::list_for_user(&mut c, alice).await.unwrap()), [t2]);
    // The revoked token is still found by hash, with its revocation time (so auth can refuse it).
    let t = tokens::find_by_hash(&mut c, "hash-1").await.unwrap().unwrap();
    assert_eq!(t.revoked_at, Some(NOW + 5));

    tokens::touch(&mut c, t2, NOW + 7).await.unwrap();
    assert_eq!(
        tokens::find_by_hash(&mut c, "hash-2")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(NOW + 7)
    );
    tokens::touch(&mut c, t2, NOW + 9).await.unwrap();
    assert_eq!(
        tokens::find_by_hash(&mut c, "hash-2")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(NOW + 9)
    );
    assert_eq!(
        tokens::find_by_hash(&mut c, "hash-3")
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        None
    );
}

async fn sessions_lifecycle(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let alice = user(&mut c, "alice").await;
    let s = |id: &str, expires_at| Session {
        id_hash: id.into(),
        user_id: alice,
        csrf_token: format!("csrf-{id}"),
        created_at: NOW,
        expires_at,
    };
    sessions::insert(&mut c, &s("a", NOW + 100)).await.unwrap();
    sessions::insert(&mut c, &s("b", NOW + 200)).await.unwrap();
    sessions::insert(&mut c, &s("c", NOW + 300)).await.unwrap();
    assert_unique(sessions::insert(&mut c, &s("a", NOW + 400)).await);

    let got = sessions::find(&mut c, "a").await.unwrap().unwrap();
    assert_eq!(
        (got.id_hash.as_str(), got.user_id, got.csrf_token.as_str()),
        ("a", alice, "csrf-a")
    );
    assert_eq!((got.created_at, got.expires_at), (NOW, NOW + 100));
    assert!(sessions::find(&mut c, "zzz").await.unwrap().is_none());

    sessions::delete(&mut c, "a").await.unwrap();
    assert!(sessions::find(&mut c, "a").await.unwrap().is_none());
    sessions::delete(&mut c, "a").await.unwrap(); // deleting twice is fine

    // Expired means expires_at < now: "b" expires exactly at now and survives this sweep.
    assert_eq!(sessions::delete_expired(&mut c, NOW + 200).await.unwrap(), 0);
    assert_eq!(sessions::delete_expired(&mut c, NOW + 201).await.unwrap(), 1);
    assert!(sessions::find(&mut c, "b").await.unwrap().is_none());
    assert!(sessions::find(&mut c, "c").await.unwrap().is_some());
    assert_eq!(sessions::delete_expired(&mut c, NOW + 10_000).await.unwrap(), 1);
    assert_eq!(sessions::delete_expired(&mut c, NOW + 10_000).await.unwrap(), 0);
}

async fn packages_crud(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (_alice, alice_ns) = user_with_ns(&mut c, "alice").await;
    let org = namespaces::insert(&mut c, "my-org", NamespaceKind::Org, None, None, NOW)
        .await
        .unwrap();
    assert_eq!(packages::count(&mut c).await.unwrap(), 0);

    let widget = package(&mut c, org, "my_widget").await;
    let gadget = package(&mut c, org, "gadget").await;
    let other = package(&mut c, alice_ns, "my_widget").await; // same name, other namespace
                                                              // Same name in another ecosystem is a different package.
    let npm = packages::insert(
        &mut c,
        NewPackage {
            namespace_id: org,
            name: "my_widget",
            ecosystem: "npm",
            kind: "library",
            visibility: "private",
            now: NOW,
        },
    )
    .await
    .unwrap();
    assert_eq!(packages::count(&mut c).await.unwrap(), 4);

    for (scope, name) in [
        ("my-org", "my_widget"),
        ("my_org", "my-widget"),
        ("my.org", "my.widget"),
    ] {
        let p = packages::find(&mut c, "native", scope, name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{scope}/{name}"));
        assert_eq!(p.id, widget);
        assert_eq!(p.scope, "my-org");
        assert_eq!(p.name, "my_widget");
        assert_eq!(p.full_name(), "my-org/my_widget");
    }
    let p = packages::find(&mut c, "npm", "my-org", "my-widget")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.id, npm);
    assert!(p.is_private());
    assert_eq!(
        packages::find(&mut c, "native", "alice", "my-widget")
            .await
            .unwrap()
            .unwrap()
            .id,
        other
    );
    assert!(packages::find(&mut c, "native", "my-org", "nope")
        .await
        .unwrap()
        .is_none());
    assert!(packages::find(&mut c, "pypi", "my-org", "my_widget")
        .await
        .unwrap()
        .is_none());

    let p = packages::find_by_id(&mut c, widget).await.unwrap().unwrap();
    assert_eq!(
        (p.namespace_id, p.ecosystem.as_str(), p.kind.as_str()),
        (org, "native", "library")
    );
    assert_eq!(p.visibility, "public");
    assert!(!p.is_private());
    assert_eq!(
        (p.description.clone(), p.license.clone(), p.latest_version.clone()),
        (None, None, None)
    );
    assert_eq!(p.keywords, Vec::<String>::new());
    assert_eq!(p.categories, Vec::<String>::new());
    assert_eq!((p.downloads, p.created_at, p.updated_at), (0, NOW, NOW));
    assert!(packages::find_by_id(&mut c, 999_999).await.unwrap().is_none());

    // Normalized duplicates are refused.
    for dup in ["my-widget", "my.widget", "my_widget"] {
        assert_unique(
            packages::insert(
                &mut c,
                NewPackage {
                    namespace_id: org,
                    name: dup,
                    ecosystem: "native",
                    kind: "library",
                    visibility: "public",
                    now: NOW,
                },
            )
            .await,
        );
    }

    packages::update_meta(
        &mut c,
        widget,
        PackageMeta {
            kind: "plugin",
            description: Some("A widget"),
            license: Some("MIT"),
            keywords: r#"["ui","widget"]"#,
            categories: r#"["gui"]"#,
            homepage: Some("https://example.test"),
            repository: Some("https://git.example.test/w"),
            readme: Some("# Widget"),
            latest_version: Some("1.2.0"),
        },
        NOW + 10,
    )
    .await
    .unwrap();
    let p = packages::find_by_id(&mut c, widget).await.unwrap().unwrap();
    assert_eq!(p.kind, "plugin");
    assert_eq!(p.description.as_deref(), Some("A widget"));
    assert_eq!(p.license.as_deref(), Some("MIT"));
    assert_eq!(p.keywords, ["ui", "widget"]);
    assert_eq!(p.categories, ["gui"]);
    assert_eq!(p.homepage.as_deref(), Some("https://example.test"));
    assert_eq!(p.repository.as_deref(), Some("https://git.example.test/w"));
    assert_eq!(p.readme.as_deref(), Some("# Widget"));
    assert_eq!(p.latest_version.as_deref(), Some("1.2.0"));
    assert_eq!((p.created_at, p.updated_at), (NOW, NOW + 10));
    // Other packages are untouched.
    assert_eq!(
        packages::find_by_id(&mut c, other).await.unwrap().unwrap().description,
        None
    );

    packages::set_latest(&mut c, widget, Some("2.0.0"), NOW + 20)
        .await
        .unwrap();
    let p = packages::find_by_id(&mut c, widget).await.unwrap().unwrap();
    assert_eq!((p.latest_version.as_deref(), p.updated_at), (Some("2.0.0"), NOW + 20));
    packages::set_latest(&mut c, widget, None, NOW + 21).await.unwrap();
    assert_eq!(
        packages::find_by_id(&mut c, widget)
            .await
            .unwrap()
            .unwrap()
            .latest_version,
        None
    );

    packages::set_visibility(&mut c, widget, "private", NOW + 30)
        .await
        .unwrap();
    let p = packages::find_by_id(&mut c, widget).await.unwrap().unwrap();
    assert!(p.is_private());
    assert_eq!(p.updated_at, NOW + 30);
    packages::set_visibility(&mut c, widget, "public", NOW + 31)
        .await
        .unwrap();
    assert!(!packages::find_by_id(&mut c, widget)
        .await
        .unwrap()
        .unwrap()
        .is_private());

    // Listing is per namespace (all ecosystems), ordered by name.
    let listed: Vec<_> = packages::list_in_namespace(&mut c, org)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0], gadget);
    assert!(listed[1..].contains(&widget) && listed[1..].contains(&npm));
    let listed: Vec<_> = packages::list_in_namespace(&mut c, alice_ns)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, [other]);
    assert!(packages::list_in_namespace(&mut c, 999_999).await.unwrap().is_empty());
    assert_eq!(packages::count(&mut c).await.unwrap(), 4);
}

async fn versions_lifecycle(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (alice, ns) = user_with_ns(&mut c, "alice").await;
    let pkg = package(&mut c, ns, "widget").await;
    let pkg2 = package(&mut c, ns, "gadget").await;
    assert_eq!(versions::count(&mut c).await.unwrap(), 0);

    let v1 = version(&mut c, pkg, "1.0.0", &digest(1), alice).await;
    let v2 = version(&mut c, pkg, "1.1.0", &digest(2), alice).await;
    let v3 = version(&mut c, pkg, "2.0.0", &digest(3), alice).await;
    // The same number in another package is fine; the same blob may back several versions.
    let w1 = version(&mut c, pkg2, "1.0.0", &digest(1), alice).await;
    assert_eq!(versions::count(&mut c).await.unwrap(), 4);

    // Unique on (package, version_key).
    assert_unique(versions::insert(&mut c, new_version(pkg, "1.0.0", &digest(9), alice)).await);
    let d9 = digest(9);
    let mut build = new_version(pkg, "1.0.0+build.5", &d9, alice);
    build.version_key = "1.0.0";
    assert_unique(versions::insert(&mut c, build).await);

    let v = versions::find(&mut c, pkg, "1.0.0").await.unwrap().unwrap();
    assert_eq!(v.id, v1);
    assert_eq!(
        (v.package_id, v.version.as_str(), v.version_key.as_str()),
        (pkg, "1.0.0", "1.0.0")
    );
    assert_eq!((v.digest.clone(), v.size), (digest(1), 1234));
    assert_eq!(v.manifest, r#"{"name":"x"}"#);
    assert_eq!(v.dependencies, r#"{"acme/dep":"^1"}"#);
    assert_eq!(v.readme.as_deref(), Some("# readme"));
    assert_eq!((v.publisher_id, v.publisher.as_deref()), (Some(alice), Some("alice")));
    assert!(!v.is_yanked() && !v.is_deleted());
    assert_eq!(
        (v.yanked_at, v.deprecated.clone(), v.downloads, v.created_at),
        (None, None, 0, NOW)
    );
    assert!(versions::find(&mut c, pkg, "9.9.9").await.unwrap().is_none());
    assert!(versions::find(&mut c, 999_999, "1.0.0").await.unwrap().is_none());

    let ids = |v: Vec<versions::Version>| v.into_iter().map(|v| v.id).collect::<Vec<_>>();
    assert_eq!(ids(versions::list(&mut c, pkg).await.unwrap()), [v1, v2, v3]);
    assert_eq!(ids(versions::list(&mut c, pkg2).await.unwrap()), [w1]);

    // Yank and unyank.
    versions::set_yanked(&mut c, v2, true, Some("broken build"), NOW + 5)
        .await
        .unwrap();
    let v = versions::find(&mut c, pkg, "1.1.0").await.unwrap().unwrap();
    assert!(v.is_yanked());
    assert_eq!(v.yanked_at, Some(NOW + 5));
    assert_eq!(v.yank_reason.as_deref(), Some("broken build"));
    assert_eq!(
        ids(versions::list(&mut c, pkg).await.unwrap()),
        [v1, v2, v3],
        "yanked versions are listed"
    );
    versions::set_yanked(&mut c, v2, false, Some("ignored"), NOW + 6)
        .await
        .unwrap();
    let v = versions::find(&mut c, pkg, "1.1.0").await.unwrap().unwrap();
    assert!(!v.is_yanked());
    assert_eq!(v.yanked_at, None);
    assert_eq!(v.yank_reason, None, "unyanking clears the reason");

    // Deprecate and undeprecate.
    versions::set_deprecated(&mut c, v3, Some("use 3.x")).await.unwrap();
    assert_eq!(
        versions::find(&mut c, pkg, "2.0.0")
            .await
            .unwrap()
            .unwrap()
            .deprecated
            .as_deref(),
        Some("use 3.x")
    );
    versions::set_deprecated(&mut c, v3, None).await.unwrap();
    assert_eq!(
        versions::find(&mut c, pkg, "2.0.0").await.unwrap().unwrap().deprecated,
        None
    );

    // digest_in_use counts live versions only.
    assert!(versions::digest_in_use(&mut c, &digest(1)).await.unwrap());
    assert!(versions::digest_in_use(&mut c, &digest(2)).await.unwrap());
    assert!(!versions::digest_in_use(&mut c, &digest(7)).await.unwrap());

    versions::mark_deleted(&mut c, v2, NOW + 8).await.unwrap();
    assert_eq!(ids(versions::list(&mut c, pkg).await.unwrap()), [v1, v3]);
    let tomb = versions::find(&mut c, pkg, "1.1.0")
        .await
        .unwrap()
        .expect("the tombstone stays findable");
    assert!(tomb.is_deleted());
    assert_eq!(tomb.deleted_at, Some(NOW + 8));
    assert!(!versions::digest_in_use(&mut c, &digest(2)).await.unwrap());
    assert_eq!(versions::count(&mut c).await.unwrap(), 3);
    // A deleted number can never be published again.
    assert_unique(versions::insert(&mut c, new_version(pkg, "1.1.0", &digest(8), alice)).await);

    // Digest 1 is still used by the other package after this one's version is deleted.
    versions::mark_deleted(&mut c, v1, NOW + 9).await.unwrap();
    assert!(versions::digest_in_use(&mut c, &digest(1)).await.unwrap());
    versions::mark_deleted(&mut c, w1, NOW + 9).await.unwrap();
    assert!(!versions::digest_in_use(&mut c, &digest(1)).await.unwrap());
    assert!(versions::list(&mut c, pkg2).await.unwrap().is_empty());
    assert_eq!(versions::count(&mut c).await.unwrap(), 1);
}

async fn owners_crud(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (alice, ns) = user_with_ns(&mut c, "alice").await;
    let bob = user(&mut c, "bob").await;
    let carol = user(&mut c, "carol").await;
    let pkg = package(&mut c, ns, "widget").await;
    let pkg2 = package(&mut c, ns, "gadget").await;

    owners::upsert(&mut c, pkg, alice, OwnerRole::Owner, NOW).await.unwrap();
    owners::upsert(&mut c, pkg, carol, OwnerRole::Maintainer, NOW + 1)
        .await
        .unwrap();
    owners::upsert(&mut c, pkg, bob, OwnerRole::Maintainer, NOW + 1)
        .await
        .unwrap();
    owners::upsert(&mut c, pkg2, bob, OwnerRole::Owner, NOW).await.unwrap();

    let list = owners::list(&mut c, pkg).await.unwrap();
    let got: Vec<_> = list
        .iter()
        .map(|o| (o.user_id, o.username.as_str(), o.role.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (alice, "alice", "owner"),
            (bob, "bob", "maintainer"),
            (carol, "carol", "maintainer")
        ]
    );
    assert_eq!(list[1].created_at, NOW + 1);
    assert_eq!(
        owners::role_of(&mut c, pkg, bob).await.unwrap(),
        Some(OwnerRole::Maintainer)
    );
    assert_eq!(owners::role_of(&mut c, pkg2, alice).await.unwrap(), None);
    assert_eq!(owners::count_role(&mut c, pkg, OwnerRole::Owner).await.unwrap(), 1);
    assert_eq!(owners::count_role(&mut c, pkg, OwnerRole::Maintainer).await.unwrap(), 2);

    // Upsert promotes without duplicating.
    owners::upsert(&mut c, pkg, bob, OwnerRole::Owner, NOW + 9)
        .await
        .unwrap();
    assert_eq!(owners::role_of(&mut c, pkg, bob).await.unwrap(), Some(OwnerRole::Owner));
    assert_eq!(owners::count_role(&mut c, pkg, OwnerRole::Owner).await.unwrap(), 2);
    assert_eq!(owners::list(&mut c, pkg).await.unwrap().len(), 3);

    assert!(owners::remove(&mut c, pkg, carol).await.unwrap());
    assert!(!owners::remove(&mut c, pkg, carol).await.unwrap());
    assert_eq!(owners::role_of(&mut c, pkg, carol).await.unwrap(), None);
    assert_eq!(owners::count_role(&mut c, pkg, OwnerRole::Maintainer).await.unwrap(), 0);
    assert_eq!(
        owners::list(&mut c, pkg2).await.unwrap().len(),
        1,
        "other packages are untouched"
    );
}

async fn audit_filters(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (alice, ns_a) = user_with_ns(&mut c, "alice").await;
    let (bob, ns_b) = user_with_ns(&mut c, "bob").await;

    let events = [
        (
            Some(alice),
            Some("alice"),
            "package.publish",
            "alice/widget@1.0.0",
            Some(ns_a),
        ),
        (
            Some(bob),
            Some("bob"),
            "package.publish",
            "bob/gadget@1.0.0",
            Some(ns_b),
        ),
        (Some(alice), Some("alice"), "token.create", "token:1", None),
        (None, None, "login.failed", "user:carol", None),
        (
            Some(alice),
            Some("alice"),
            "package.yank",
            "alice/widget@1.0.0",
            Some(ns_a),
        ),
    ];
    for (i, (actor_id, actor, action, target, namespace_id)) in events.iter().enumerate() {
        let details = json!({ "n": i, "nested": { "ok": true } });
        audit::insert(
            &mut c,
            NewEvent {
                at: NOW + i as i64,
                actor_id: *actor_id,
                actor: *actor,
                action,
                target,
                namespace_id: *namespace_id,
                ip: (i % 2 == 0).then_some("192.0.2.1"),
                details: &details,
            },
        )
        .await
        .unwrap();
    }
    let list = |f: AuditFilter| {
        let db = db.clone();
        async move {
            let mut c = db.conn().await.unwrap();
            audit::list(&mut c, &f).await.unwrap()
        }
    };
    let targets = |v: &[audit::AuditEvent]| v.iter().map(|e| e.at - NOW).collect::<Vec<_>>();

    // Everything, newest first.
    let all = list(AuditFilter {
        limit: 100,
        ..Default::default()
    })
    .await;
    assert_eq!(targets(&all), [4, 3, 2, 1, 0]);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    let first = all.last().unwrap();
    assert_eq!(first.actor_id, Some(alice));
    assert_eq!(first.actor.as_deref(), Some("alice"));
    assert_eq!(first.action, "package.publish");
    assert_eq!(first.target, "alice/widget@1.0.0");
    assert_eq!(first.namespace_id, Some(ns_a));
    assert_eq!(first.ip.as_deref(), Some("192.0.2.1"));
    let details: serde_json::Value = serde_json::from_str(&first.details).unwrap();
    assert_eq!(details, json!({ "n": 0, "nested": { "ok": true } }));
    let anon = &all[1];
    assert_eq!(
        (
            anon.actor_id,
            anon.actor.as_deref(),
            anon.namespace_id,
            anon.ip.as_deref()
        ),
        (None, None, None, None)
    );

    // Limit keeps the newest.
    assert_eq!(
        targets(
            &list(AuditFilter {
                limit: 2,
                ..Default::default()
            })
            .await
        ),
        [4, 3]
    );

    // Each filter alone.
    let f = AuditFilter {
        namespace_id: Some(ns_a),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(targets(&list(f).await), [4, 0]);
    let f = AuditFilter {
        namespace_id: Some(ns_b),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(targets(&list(f).await), [1]);
    let f = AuditFilter {
        action: Some("package.publish".into()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(targets(&list(f).await), [1, 0]);
    let f = AuditFilter {
        actor: Some("alice".into()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(targets(&list(f).await), [4, 2, 0]);
    let f = AuditFilter {
        actor: Some("nobody".into()),
        limit: 100,
        ..Default::default()
    };
    assert!(list(f).await.is_empty());
    let f = AuditFilter {
        before_id: Some(all[1].id),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(targets(&list(f).await), [2, 1, 0]);

    // Combined, and paging backwards with before_id + limit.
    let f = AuditFilter {
        namespace_id: Some(ns_a),
        action: Some("package.yank".into()),
        actor: Some("alice".into()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(targets(&list(f).await), [4]);
    let page1 = list(AuditFilter {
        actor: Some("alice".into()),
        limit: 2,
        ..Default::default()
    })
    .await;
    assert_eq!(targets(&page1), [4, 2]);
    let f = AuditFilter {
        actor: Some("alice".into()),
        before_id: Some(page1[1].id),
        limit: 2,
        ..Default::default()
    };
    assert_eq!(targets(&list(f).await), [0]);
}

async fn downloads_counts(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    assert_eq!(
        downloads::total(&mut c).await.unwrap(),
        0,
        "no packages: total is 0, not NULL"
    );
    let (alice, ns) = user_with_ns(&mut c, "alice").await;
    let pkg = package(&mut c, ns, "widget").await;
    let other = package(&mut c, ns, "gadget").await;
    let v1 = version(&mut c, pkg, "1.0.0", &digest(1), alice).await;
    let v2 = version(&mut c, pkg, "2.0.0", &digest(2), alice).await;
    let w1 = version(&mut c, other, "1.0.0", &digest(3), alice).await;
    assert_eq!(downloads::total(&mut c).await.unwrap(), 0);
    assert!(downloads::daily_for_package(&mut c, pkg, 0).await.unwrap().is_empty());

    let day = 19_700;
    downloads::add_counts(&mut c, &[(pkg, v1, day, 3), (pkg, v2, day, 1), (other, w1, day, 10)])
        .await
        .unwrap();
    // A second flush on the same day accumulates instead of replacing.
    downloads::add_counts(&mut c, &[(pkg, v1, day, 2)]).await.unwrap();
    let mut tx = db.write().await.unwrap();
    downloads::add_counts(&mut tx, &[(pkg, v1, day + 1, 4), (pkg, v2, day + 2, 5)])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    downloads::add_counts(&mut c, &[]).await.unwrap();

    assert_eq!(
        versions::find(&mut c, pkg, "1.0.0").await.unwrap().unwrap().downloads,
        9
    );
    assert_eq!(
        versions::find(&mut c, pkg, "2.0.0").await.unwrap().unwrap().downloads,
        6
    );
    assert_eq!(
        versions::find(&mut c, other, "1.0.0").await.unwrap().unwrap().downloads,
        10
    );
    assert_eq!(packages::find_by_id(&mut c, pkg).await.unwrap().unwrap().downloads, 15);
    assert_eq!(
        packages::find_by_id(&mut c, other).await.unwrap().unwrap().downloads,
        10
    );

    assert_eq!(
        downloads::daily_for_package(&mut c, pkg, 0).await.unwrap(),
        [(day, 6), (day + 1, 4), (day + 2, 5)]
    );
    assert_eq!(
        downloads::daily_for_package(&mut c, pkg, day + 1).await.unwrap(),
        [(day + 1, 4), (day + 2, 5)]
    );
    assert!(downloads::daily_for_package(&mut c, pkg, day + 3)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        downloads::daily_for_package(&mut c, other, 0).await.unwrap(),
        [(day, 10)]
    );
    assert_eq!(downloads::total(&mut c).await.unwrap(), 25);

    // Counts on a package itself (OCI pulls: no version rows) join the same series, windows
    // and totals, and accumulate per day.
    let repo = package(&mut c, ns, "image").await;
    downloads::add_package_counts(&mut c, &[(repo, day, 7), (pkg, day, 1)])
        .await
        .unwrap();
    downloads::add_package_counts(&mut c, &[(repo, day, 2), (repo, day + 2, 1)])
        .await
        .unwrap();
    assert_eq!(
        downloads::daily_for_package(&mut c, repo, 0).await.unwrap(),
        [(day, 9), (day + 2, 1)]
    );
    assert_eq!(
        downloads::daily_for_package(&mut c, pkg, 0).await.unwrap(),
        [(day, 7), (day + 1, 4), (day + 2, 5)],
        "package and version counts of one day add up"
    );
    assert_eq!(packages::find_by_id(&mut c, repo).await.unwrap().unwrap().downloads, 10);
    assert_eq!(packages::find_by_id(&mut c, pkg).await.unwrap().unwrap().downloads, 16);
    let mut windows = trove_db::stats::recent_and_previous(&mut c, day, day + 2)
        .await
        .unwrap();
    windows.sort_unstable();
    assert_eq!(windows, [(pkg, 5, 11), (other, 0, 10), (repo, 1, 9)]);
    assert_eq!(downloads::total(&mut c).await.unwrap(), 36);
}

async fn blobs_idempotent(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    assert!(!blobs::exists(&mut c, &digest(1)).await.unwrap());
    blobs::insert_if_absent(&mut c, &digest(1), 42, NOW).await.unwrap();
    blobs::insert_if_absent(&mut c, &digest(1), 42, NOW + 1).await.unwrap();
    blobs::insert_if_absent(&mut c, &digest(1), 99, NOW + 2).await.unwrap();
    assert!(blobs::exists(&mut c, &digest(1)).await.unwrap());
    assert!(!blobs::exists(&mut c, &digest(2)).await.unwrap());
    // The first record wins.
    let (size, created): (i64, i64) = sqlx_row(&mut c, &digest(1)).await;
    assert_eq!((size, created), (42, NOW));

    // Inside a write transaction too.
    let mut tx = db.write().await.unwrap();
    blobs::insert_if_absent(&mut tx, &digest(2), 7, NOW).await.unwrap();
    blobs::insert_if_absent(&mut tx, &digest(2), 7, NOW).await.unwrap();
    tx.commit().await.unwrap();
    assert!(blobs::exists(&mut c, &digest(2)).await.unwrap());
}

async fn sqlx_row(c: &mut Conn, digest: &str) -> (i64, i64) {
    sqlx::query_as("SELECT size, created_at FROM blobs WHERE digest = $1")
        .bind(digest)
        .fetch_one(c)
        .await
        .unwrap()
}

// --- the handle itself ------------------------------------------------------------------------

async fn migrations_idempotent(backend: Backend) {
    let tdb = TestDb::new(backend).await;
    let first = tdb.connect().await;
    {
        let mut c = first.conn().await.unwrap();
        user(&mut c, "alice").await;
    }
    // Connecting again runs the migrations again: nothing fails and nothing is lost.
    let second = tdb.connect().await;
    let third = tdb.connect().await;
    let mut c = third.conn().await.unwrap();
    assert_eq!(users::count(&mut c).await.unwrap(), 1);
    user(&mut c, "bob").await;
    drop(c);
    first.close().await;
    let mut c = second.conn().await.unwrap();
    assert_eq!(users::count(&mut c).await.unwrap(), 2);
    second.ping().await.unwrap();
    let (open, idle) = second.pool_stats();
    assert!(open >= 1 && idle <= open as usize);
}

async fn dropped_transaction_rolls_back(backend: Backend) {
    let (_t, db) = setup(backend).await;
    {
        let mut tx = db.write().await.unwrap();
        let (uid, ns) = user_with_ns(&mut tx, "ghost").await;
        package(&mut tx, ns, "phantom").await;
        // Visible inside the transaction...
        assert!(users::find_by_id(&mut tx, uid).await.unwrap().is_some());
        // ...dropped without commit.
    }
    let mut c = db.conn().await.unwrap();
    assert_eq!(users::count(&mut c).await.unwrap(), 0);
    assert!(namespaces::find(&mut c, "ghost").await.unwrap().is_none());
    assert_eq!(packages::count(&mut c).await.unwrap(), 0);
    drop(c);

    // The writer lock was released: the next transaction proceeds and commits.
    let mut tx = tokio::time::timeout(std::time::Duration::from_secs(5), db.write())
        .await
        .expect("write lock released after the dropped transaction")
        .unwrap();
    user_with_ns(&mut tx, "ghost").await; // the same names are free again
    tx.commit().await.unwrap();
    let mut c = db.conn().await.unwrap();
    assert_eq!(users::count(&mut c).await.unwrap(), 1);

    // A transaction that fails midway and is dropped leaves nothing either.
    {
        let mut tx = db.write().await.unwrap();
        user(&mut tx, "half").await;
        assert_unique(users::insert(&mut tx, "ghost", "x@example.test", None, false, NOW).await);
    }
    assert!(users::find_by_username(&mut c, "half").await.unwrap().is_none());
    assert_eq!(users::count(&mut c).await.unwrap(), 1);
}

async fn concurrent_writes(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let name = format!("user{i}");
            let mut tx = db.write().await?;
            let uid = users::insert(&mut tx, &name, "u@example.test", None, false, NOW).await?;
            let ns = namespaces::insert(&mut tx, &name, NamespaceKind::User, Some(uid), None, NOW).await?;
            // A read between the writes widens the window for lock upgrades.
            assert_eq!(users::find_by_id(&mut tx, uid).await?.unwrap().username, name);
            packages::insert(
                &mut tx,
                NewPackage {
                    namespace_id: ns,
                    name: "pkg",
                    ecosystem: "native",
                    kind: "library",
                    visibility: "public",
                    now: NOW,
                },
            )
            .await?;
            tokio::task::yield_now().await;
            tx.commit().await?;
            // Reads outside the writer lock run alongside other writers.
            let mut c = db.conn().await?;
            assert!(packages::find(&mut c, "native", &name, "pkg").await?.is_some());
            Ok::<_, DbError>(())
        }));
    }
    for t in tasks {
        t.await.expect("task panicked").expect("concurrent write failed");
    }
    let mut c = db.conn().await.unwrap();
    assert_eq!(users::count(&mut c).await.unwrap(), 20);
    assert_eq!(packages::count(&mut c).await.unwrap(), 20);
}

/// Two nodes on one database (two pools, so no shared in-process writer lock), each running
/// transactions that read before they write: none may fail with a busy/snapshot error.
async fn two_nodes_read_then_write(backend: Backend) {
    let (tdb, node1) = setup(backend).await;
    let node2 = tdb.connect().await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let db = if i % 2 == 0 { node1.clone() } else { node2.clone() };
        tasks.push(tokio::spawn(async move {
            let mut tx = db.write().await?;
            // Read first: on SQLite a deferred transaction would hold a read snapshot that a
            // commit from the other node makes stale, and its first write would then fail.
            let before = users::count(&mut tx).await?;
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            users::insert(&mut tx, &format!("user{i}"), "u@example.test", None, false, NOW).await?;
            tx.commit().await?;
            Ok::<_, DbError>(before)
        }));
    }
    for t in tasks {
        t.await
            .expect("task panicked")
            .expect("a write from one of two nodes failed");
    }
    let mut c = node2.conn().await.unwrap();
    assert_eq!(users::count(&mut c).await.unwrap(), 30);
}

async fn constraints_and_pragmas(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    // Foreign keys are enforced on both backends (on SQLite only when the pragma took effect).
    let r = packages::insert(
        &mut c,
        NewPackage {
            namespace_id: 424_242,
            name: "orphan",
            ecosystem: "native",
            kind: "library",
            visibility: "public",
            now: NOW,
        },
    )
    .await;
    assert!(r.is_err(), "a package in a missing namespace must be refused");
    assert_eq!(packages::count(&mut c).await.unwrap(), 0);
    if backend == Backend::Sqlite {
        // Every pooled connection gets the pragmas, not just the first statement of the batch.
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(db.conn().await.unwrap());
        }
        for c in conns.iter_mut() {
            let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(&mut **c).await.unwrap();
            assert_eq!(mode.to_lowercase(), "wal");
            let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys").fetch_one(&mut **c).await.unwrap();
            assert_eq!(fk, 1);
            let (busy,): (i64,) = sqlx::query_as("PRAGMA busy_timeout").fetch_one(&mut **c).await.unwrap();
            assert_eq!(busy, 10_000);
        }
    }
}

async fn connect_urls(backend: Backend) {
    let tdb = TestDb::new(backend).await;
    let dir = trove_testkit::tempdir();
    let url = match backend {
        // A missing file in a missing directory is created, also when the URL has options.
        Backend::Sqlite => format!("sqlite://{}?cache=private", dir.path().join("a/b/new.db").display()),
        Backend::Postgres => format!("{}?application_name=trove-test", tdb.url),
    };
    let db = Db::connect(&url, 2).await.expect("connect with url options");
    db.ping().await.unwrap();
    let mut c = db.conn().await.unwrap();
    user(&mut c, "alice").await;
    assert_eq!(users::count(&mut c).await.unwrap(), 1);
    if backend == Backend::Sqlite {
        assert!(dir.path().join("a/b/new.db").exists());
    }

    let err = Db::connect("mysql://localhost/trove", 1)
        .await
        .err()
        .expect("mysql is refused");
    assert!(matches!(err, DbError::UnsupportedUrl(_)), "{err:?}");
    assert!(!err.is_unique_violation() && !err.is_unavailable());
}

async fn outage_is_unavailable(backend: Backend) {
    let (tdb, db) = setup(backend).await;
    {
        // Warm the pool so connections exist when the database goes away.
        let mut c = db.conn().await.unwrap();
        user(&mut c, "alice").await;
    }
    match backend {
        Backend::Postgres => tdb.drop_now().await,
        Backend::Sqlite => db.close().await,
    }
    let started = std::time::Instant::now();
    let err = db.ping().await.expect_err("ping fails once the database is gone");
    assert!(err.is_unavailable(), "ping: {err:?}");
    let err = match db.conn().await {
        Ok(mut c) => users::count(&mut c).await.expect_err("query fails"),
        Err(e) => e,
    };
    assert!(err.is_unavailable(), "read: {err:?}");
    let err = db.write().await.err().expect("write fails");
    assert!(err.is_unavailable(), "write: {err:?}");
    assert!(!err.is_unique_violation());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "outages are reported promptly"
    );
}

both_backends!(
    outage_is_unavailable,
    connect_urls,
    constraints_and_pragmas,
    users_crud,
    namespaces_normalized,
    org_members,
    tokens_lifecycle,
    sessions_lifecycle,
    packages_crud,
    versions_lifecycle,
    owners_crud,
    audit_filters,
    downloads_counts,
    blobs_idempotent,
    migrations_idempotent,
    dropped_transaction_rolls_back,
    concurrent_writes,
    two_nodes_read_then_write,
);

/// A value the database refuses (PostgreSQL: a NUL in text, SQLSTATE 22021, all digits like
/// an SQLite code) is invalid data, not an outage; the connection stays usable.
async fn refused_values_are_not_outages(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    match users::find_by_username(&mut c, "a\0b").await {
        Ok(found) => {
            assert_eq!(backend, Backend::Sqlite, "SQLite compares text with a NUL");
            assert!(found.is_none());
        }
        Err(e) => {
            assert_eq!(backend, Backend::Postgres);
            assert!(e.is_invalid_data(), "{e:?}");
            assert!(!e.is_unavailable() && !e.is_unique_violation(), "{e:?}");
        }
    }
    assert_eq!(users::count(&mut c).await.unwrap(), 0);
}
/// Writes go on after transactions that ended badly: a COMMIT that fails (a deferred
/// constraint), a transaction the database ended by itself before COMMIT (as SQLite does on
/// a full disk), and on SQLite a real SQLITE_FULL. With one pooled connection, a connection
/// left "inside a transaction" would fail every later write: after a disk-full episode
/// 1002/1002 token creations failed until restart.
async fn failed_commits_never_poison_the_pool(backend: Backend) {
    let (t, _db) = setup(backend).await;
    let db = Db::connect(&t.url, 1).await.unwrap();
    let mut c = db.conn().await.unwrap();
    for ddl in [
        "CREATE TABLE chaos_parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE chaos_child (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL \
         REFERENCES chaos_parent (id) DEFERRABLE INITIALLY DEFERRED)",
    ] {
        sqlx::query(ddl).execute(&mut *c).await.unwrap();
    }
    drop(c);
    let healthy = |round: i64| {
        let db = db.clone();
        async move {
            for i in 0..10 {
                let mut tx = tokio::time::timeout(std::time::Duration::from_secs(5), db.write())
                    .await
                    .expect("a write transaction starts")
                    .unwrap_or_else(|e| panic!("round {round}: BEGIN failed: {e}"));
                sqlx::query("INSERT INTO chaos_parent (id) VALUES ($1)")
                    .bind(round * 100 + i)
                    .execute(&mut *tx)
                    .await
                    .unwrap_or_else(|e| panic!("round {round}: INSERT failed: {e}"));
                tx.commit().await.unwrap();
            }
            db.check_writable().await.unwrap();
        }
    };
    healthy(1).await;

    // A COMMIT refused by a deferred foreign key.
    let mut tx = db.write().await.unwrap();
    sqlx::query("INSERT INTO chaos_child (id, parent) VALUES (1, 999)")
        .execute(&mut *tx)
        .await
        .unwrap();
    assert!(tx.commit().await.is_err(), "the deferred constraint fails the commit");
    healthy(2).await;

    // The transaction ended underneath the driver (SQLite rolls back by itself on SQLITE_FULL
    // or an I/O error during COMMIT); COMMIT and the queued ROLLBACK then fail on SQLite.
    let mut tx = db.write().await.unwrap();
    sqlx::query("INSERT INTO chaos_parent (id) VALUES (5000)")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
    let _ = tx.commit().await;
    healthy(3).await;

    if backend == Backend::Sqlite {
        // A real "database or disk is full": the file may not grow past its current size.
        let mut tx = db.write().await.unwrap();
        let (pages,): (i64,) = sqlx::query_as("PRAGMA page_count").fetch_one(&mut *tx).await.unwrap();
        sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
            .execute(&mut *tx)
            .await
            .unwrap();
        let mut full = None;
        for i in 0..200 {
            let r = sqlx::query("INSERT INTO chaos_parent (id) SELECT $1 + value FROM json_each($2)")
                .bind(10_000 + i * 1000)
                .bind(serde_json::to_string(&(0..1000).collect::<Vec<i64>>()).unwrap())
                .execute(&mut *tx)
                .await;
            if let Err(e) = r {
                full = Some(DbError::from(e));
                break;
            }
        }
        let full = full.expect("the database fills up");
        assert!(full.is_full(), "{full}");
        let _ = tx.commit().await;
        // Space comes back (the limit is per connection: lift it on whichever is pooled).
        let mut c = db.conn().await.unwrap();
        sqlx::query("PRAGMA max_page_count = 1073741823")
            .execute(&mut *c)
            .await
            .unwrap();
        drop(c);
        healthy(4).await;
    }
    let mut c = db.conn().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM chaos_parent WHERE id < 10000")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(n, if backend == Backend::Sqlite { 40 } else { 30 });
}

/// Values the code gives a meaning to are enforced by the database as well (CHECK
/// constraints on PostgreSQL, equivalent triggers on SQLite), for inserts and updates.
async fn checks_refuse_unknown_values(backend: Backend) {
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (uid, ns) = user_with_ns(&mut c, "alice").await;
    let pkg = package(&mut c, ns, "widget").await;
    let refused = [
        format!("UPDATE packages SET visibility = 'hidden' WHERE id = {pkg}"),
        format!("UPDATE packages SET kind = 'virus' WHERE id = {pkg}"),
        format!("UPDATE packages SET ecosystem = 'maven' WHERE id = {pkg}"),
        format!("UPDATE packages SET keywords = 'oops' WHERE id = {pkg}"),
        format!("UPDATE namespaces SET kind = 'team' WHERE id = {ns}"),
        format!("UPDATE users SET is_admin = 2 WHERE id = {uid}"),
        format!("INSERT INTO package_owners (package_id, user_id, role, created_at) VALUES ({pkg}, {uid}, 'king', 0)"),
    ];
    for q in &refused {
        let err = sqlx::query(q).execute(&mut *c).await.expect_err(q);
        assert!(err.to_string().to_lowercase().contains("check"), "{q}: {err}");
    }
    // The values the code writes pass.
    for q in [
        format!("UPDATE packages SET visibility = 'private', kind = 'model' WHERE id = {pkg}"),
        format!("UPDATE users SET is_admin = 1 WHERE id = {uid}"),
    ] {
        sqlx::query(&q).execute(&mut *c).await.unwrap();
    }
}

/// A version holds files (an archive; or an sdist and wheels): added, listed in upload order,
/// unique by name, kind checked; files keep their bytes from garbage collection while their
/// version lives; existing versions got their archive as their one file (migration 0009).
async fn version_files(backend: Backend) {
    use trove_db::version_files::{self, NewFile};
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (uid, ns) = user_with_ns(&mut c, "alice").await;
    let pkg = package(&mut c, ns, "torch").await;
    let v = version(&mut c, pkg, "2.0.0", &digest(1), uid).await;
    let file = |name: &'static str, kind: &'static str, d: &'static str| NewFile {
        version_id: v,
        filename: name,
        kind,
        digest: d,
        size: 10,
        metadata: r#"{"tags":["py3-none-any"]}"#,
        now: NOW,
    };
    let d2: &'static str = Box::leak(digest(2).into_boxed_str());
    let d3: &'static str = Box::leak(digest(3).into_boxed_str());
    version_files::insert(&mut c, file("torch-2.0.0.tar.gz", "sdist", d2))
        .await
        .unwrap();
    version_files::insert(&mut c, file("torch-2.0.0-py3-none-any.whl", "wheel", d3))
        .await
        .unwrap();
    assert_unique(version_files::insert(&mut c, file("torch-2.0.0.tar.gz", "sdist", d3)).await);
    assert!(version_files::insert(&mut c, file("x.bin", "virus", d3)).await.is_err());
    let files = version_files::list(&mut c, v).await.unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(names, ["torch-2.0.0.tar.gz", "torch-2.0.0-py3-none-any.whl"]);
    let wheel = version_files::find(&mut c, v, "torch-2.0.0-py3-none-any.whl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (wheel.kind.as_str(), wheel.size, wheel.digest.as_str()),
        ("wheel", 10, d3)
    );
    assert!(wheel.metadata.contains("py3-none-any"));
    // A wheel's bytes are in use while the version lives, not once it is deleted.
    assert!(versions::digest_in_use(&mut c, d3).await.unwrap());
    sqlx::query("UPDATE versions SET deleted_at = 1 WHERE id = $1")
        .bind(v)
        .execute(&mut *c)
        .await
        .unwrap();
    assert!(!versions::digest_in_use(&mut c, d3).await.unwrap());

    // The backfill of migration 0009: every version gets its archive as a file.
    let v2 = version(&mut c, pkg, "2.1.0", &digest(4), uid).await;
    sqlx::query("DELETE FROM version_files").execute(&mut *c).await.unwrap();
    let migration = match backend {
        Backend::Sqlite => include_str!("../migrations/sqlite/0009_version_files.sql"),
        Backend::Postgres => include_str!("../migrations/postgres/0009_version_files.sql"),
    };
    let backfill = &migration[migration.find("INSERT INTO version_files").unwrap()..];
    sqlx::query(backfill).execute(&mut *c).await.unwrap();
    let files = version_files::list(&mut c, v2).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].filename, "alice-torch-2.1.0.tar.gz");
    assert_eq!(
        (files[0].kind.as_str(), files[0].digest.clone(), files[0].size),
        ("archive", digest(4), 1234)
    );
}

both_backends!(
    version_files,
    refused_values_are_not_outages,
    failed_commits_never_poison_the_pool,
    checks_refuse_unknown_values
);
/// npm dist-tags (migration 0010): set, move, list with versions, remove, and the tags of a
/// deleted version dropped at once.
async fn dist_tags(backend: Backend) {
    use trove_db::dist_tags;
    let (_t, db) = setup(backend).await;
    let mut c = db.conn().await.unwrap();
    let (uid, ns) = user_with_ns(&mut c, "alice").await;
    let pkg = package(&mut c, ns, "widget").await;
    let v1 = version(&mut c, pkg, "1.0.0", &digest(1), uid).await;
    let v2 = version(&mut c, pkg, "2.0.0-beta.1", &digest(2), uid).await;
    dist_tags::set(&mut c, pkg, "latest", v1, NOW).await.unwrap();
    dist_tags::set(&mut c, pkg, "beta", v1, NOW).await.unwrap();
    dist_tags::set(&mut c, pkg, "beta", v2, NOW + 1).await.unwrap();
    let tags = dist_tags::list(&mut c, pkg).await.unwrap();
    let shown: Vec<(&str, &str)> = tags.iter().map(|t| (t.tag.as_str(), t.version.as_str())).collect();
    assert_eq!(shown, [("beta", "2.0.0-beta.1"), ("latest", "1.0.0")]);
    assert_eq!(tags[0].updated_at, NOW + 1);
    assert!(dist_tags::remove(&mut c, pkg, "beta").await.unwrap());
    assert!(!dist_tags::remove(&mut c, pkg, "beta").await.unwrap());
    dist_tags::set(&mut c, pkg, "next", v1, NOW).await.unwrap();
    let mut gone = dist_tags::remove_for_version(&mut c, v1).await.unwrap();
    gone.sort();
    assert_eq!(gone, ["latest", "next"]);
    assert!(dist_tags::list(&mut c, pkg).await.unwrap().is_empty());
    // A tag must name a version that exists.
    assert!(dist_tags::set(&mut c, pkg, "latest", v2 + 1000, NOW).await.is_err());
}

both_backends!(dist_tags);
