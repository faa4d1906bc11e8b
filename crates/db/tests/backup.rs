//! Database backups on real databases: export → import round trips on SQLite and PostgreSQL,
//! also from one backend to the other, compared table by table, row by row.

use std::path::Path;
use trove_db::backup::{self, DbDump};
use trove_db::packages::{self, NewPackage};
use trove_db::tokens::{self, NewToken};
use trove_db::versions::{self, NewVersion};
use trove_db::{blobs, namespaces, users, Db};
use trove_testkit::{both_backends, Backend, TestDb};

const NOW: i64 = 1_700_000_000_000;

fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

async fn fill(db: &Db) {
    let mut tx = db.write().await.unwrap();
    let alice = users::insert(&mut tx, "alice", "alice@example.test", Some("hash"), true, NOW)
        .await
        .unwrap();
    let gone = users::insert(&mut tx, "gone", "gone@example.test", None, false, NOW)
        .await
        .unwrap();
    let ns = namespaces::insert(
        &mut tx,
        "alice",
        trove_core::NamespaceKind::User,
        Some(alice),
        Some("quotes \" and 'apostrophes', a\nnewline, tabs\t, ünïcødé ✓"),
        NOW,
    )
    .await
    .unwrap();
    let pkg = packages::insert(
        &mut tx,
        NewPackage {
            namespace_id: ns,
            name: "widget",
            ecosystem: "native",
            kind: "library",
            visibility: "public",
            now: NOW,
        },
    )
    .await
    .unwrap();
    for (i, v) in ["1.0.0", "1.1.0", "2.0.0-rc.1"].iter().enumerate() {
        let d = digest(i as u8);
        blobs::insert_if_absent(&mut tx, &d, 1234, NOW).await.unwrap();
        versions::insert(
            &mut tx,
            NewVersion {
                package_id: pkg,
                version: v,
                version_key: v,
                digest: &d,
                size: 1234,
                manifest: r#"{"name":"alice/widget"}"#,
                dependencies: "{}",
                readme: if i == 0 { None } else { Some("# readme") },
                publisher_id: alice,
                now: NOW + i as i64,
            },
        )
        .await
        .unwrap();
    }
    tokens::insert(
        &mut tx,
        NewToken {
            user_id: alice,
            name: "ci",
            token_hash: "h1",
            scopes: r#"["publish"]"#,
            patterns: None,
            expires_at: Some(NOW * 2),
            now: NOW,
        },
    )
    .await
    .unwrap();
    // More rows than one export page, and a hole at the end of a sequence.
    for i in 0..2100 {
        sqlx::query(
            "INSERT INTO audit_events (at, actor_id, actor, action, target, details) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(NOW + i)
        .bind(if i % 3 == 0 { None } else { Some(alice) })
        .bind("alice")
        .bind("package.publish")
        .bind(format!("alice/widget#{i}"))
        .bind("{}")
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE packages SET downloads = 42, description = $1 WHERE id = $2")
        .bind("a 👍 package")
        .bind(pkg)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(gone)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn read_tables(root: &Path, dump: &DbDump) -> Vec<(String, String)> {
    dump.tables
        .iter()
        .map(|t| (t.name.clone(), std::fs::read_to_string(root.join(&t.file)).unwrap()))
        .collect()
}

async fn round_trip(b: Backend) {
    let source = TestDb::new(b).await;
    let db = source.connect().await;
    fill(&db).await;
    let dir = trove_testkit::tempdir();
    let export = backup::export(&db, dir.path(), "db-1").await.unwrap();
    let dump = &export.dump;
    assert_eq!(dump.backend, if b == Backend::Sqlite { "sqlite" } else { "postgres" });
    assert_eq!(dump.migration_version, backup::migration_version(&db).await.unwrap());
    assert_eq!(dump.sqlite_snapshot.is_some(), b == Backend::Sqlite);
    let pos = |t: &str| dump.tables.iter().position(|x| x.name == t).unwrap();
    assert!(
        pos("users") < pos("namespaces") && pos("namespaces") < pos("packages") && pos("packages") < pos("versions")
    );
    let rows = |t: &str| dump.tables[pos(t)].rows;
    assert_eq!(rows("users"), 1);
    assert_eq!(rows("audit_events"), 2100);
    assert_eq!(rows("versions"), 3);
    assert_eq!(rows("search_state"), 1);
    assert!(dump.sequences["users"] >= 2, "{:?}", dump.sequences);
    assert_eq!(
        export.required_blobs,
        (0..3).map(digest).collect(),
        "live versions' archives are required"
    );
    let source_tables = read_tables(dir.path(), dump);

    for target_backend in [
        b,
        if b == Backend::Sqlite {
            Backend::Postgres
        } else {
            Backend::Sqlite
        },
    ] {
        let target = TestDb::new(target_backend).await;
        let tdb = target.connect().await;
        assert!(backup::non_empty_tables(&tdb).await.unwrap().is_empty());
        backup::check_compatible(&tdb, dump).await.unwrap();
        let imported = backup::import(&tdb, dir.path(), dump).await.unwrap();
        assert_eq!(
            imported.iter().map(|(_, n)| n).sum::<u64>(),
            dump.tables.iter().map(|t| t.rows).sum::<u64>()
        );
        assert!(!backup::non_empty_tables(&tdb).await.unwrap().is_empty());
        // Exported again, the restored database holds exactly the same rows.
        let again_dir = trove_testkit::tempdir();
        let again = backup::export(&tdb, again_dir.path(), "db-1").await.unwrap();
        assert_eq!(
            read_tables(again_dir.path(), &again.dump),
            source_tables,
            "{target_backend:?}"
        );
        // New rows never reuse an id, even the deleted user's.
        let mut tx = tdb.write().await.unwrap();
        let id = users::insert(&mut tx, "carol", "carol@example.test", None, false, NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(id > dump.sequences["users"], "{id} after {:?}", dump.sequences);
        // Importing over data replaces it (restore --force), in one transaction.
        backup::import(&tdb, dir.path(), dump).await.unwrap();
        let mut conn = tdb.conn().await.unwrap();
        assert!(users::find_by_username(&mut conn, "carol").await.unwrap().is_none());
        drop(conn);
        tdb.close().await;
    }

    // A damaged file is refused and the transaction leaves the target as it was.
    let target = TestDb::new(b).await;
    let tdb = target.connect().await;
    let file = dir.path().join(&dump.tables[pos("versions")].file);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen('[', "[oops", 1)).unwrap();
    let err = backup::import(&tdb, dir.path(), dump).await.unwrap_err();
    assert!(err.to_string().contains("versions.jsonl line 1"), "{err}");
    assert!(backup::non_empty_tables(&tdb).await.unwrap().is_empty());
    tdb.close().await;
    db.close().await;
}

both_backends!(round_trip);
