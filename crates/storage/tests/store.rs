//! Blob store tests, each run against a local directory and against the real S3 server the
//! test script starts (see `trove_testkit::both_stores!`).

use bytes::Bytes;
use futures::TryStreamExt;
use sha2::{Digest as _, Sha256};
use std::ops::Range;
use std::time::{Duration, Instant};
use trove_core::Digest;
use trove_storage::{BlobRead, BlobStore, StagedBlob, StagingError, StorageConfig, StorageError, StoreOptions};
use trove_testkit::{both_stores, StoreBackend, TestStore};

const LIMIT: u64 = 64 * 1024 * 1024;

/// Deterministic, non-repeating-looking bytes.
fn data(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9 ^ seed as u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Stages `bytes` in chunks of `chunk` and finishes the blob.
async fn stage(store: &BlobStore, bytes: &[u8], chunk: usize) -> StagedBlob {
    let mut staged = store.stage().await.unwrap();
    for part in bytes.chunks(chunk.max(1)) {
        staged.write(part, LIMIT).await.unwrap();
    }
    staged.finish().await.unwrap();
    staged
}

/// Stages and commits `bytes`, returning their digest.
async fn put(store: &BlobStore, bytes: &[u8]) -> Digest {
    let staged = stage(store, bytes, 64 * 1024).await;
    store.commit(&staged).await.unwrap();
    staged.digest().unwrap()
}

async fn collect(read: BlobRead) -> Vec<u8> {
    let chunks: Vec<Bytes> = read.stream.try_collect().await.unwrap();
    chunks.concat()
}

// ---------------------------------------------------------------------------------------------

async fn stage_hashes_and_counts(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let bytes = data(100_000, 1);
    let mut staged = t.store.stage().await.unwrap();
    assert_eq!(staged.digest(), None, "no digest before finish");
    for part in bytes.chunks(7_777) {
        staged.write(part, LIMIT).await.unwrap();
    }
    staged.write(&[], LIMIT).await.unwrap();
    assert_eq!(staged.size(), 100_000);
    let digest = staged.finish().await.unwrap();
    assert_eq!(digest.to_string(), format!("sha256:{}", sha256_hex(&bytes)));
    assert_eq!(digest, Digest::sha256_of(&bytes));
    assert_eq!(staged.digest(), Some(digest.clone()));
    assert_eq!(staged.size(), 100_000);
    // Finishing again is harmless and gives the same digest.
    assert_eq!(staged.finish().await.unwrap(), digest);
    // The staged file holds exactly the bytes written.
    assert_eq!(std::fs::read(staged.path()).unwrap(), bytes);
    assert!(staged.path().starts_with(t.staging_dir()));
    // Writing after finish is refused.
    assert!(matches!(staged.write(b"more", LIMIT).await, Err(StagingError::Io(_))));

    // The empty blob has the well-known digest.
    let mut empty = t.store.stage().await.unwrap();
    let d = empty.finish().await.unwrap();
    assert_eq!(
        d.hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(empty.size(), 0);
}

async fn write_over_limit(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let mut staged = t.store.stage().await.unwrap();
    staged.write(&[1; 60], 100).await.unwrap();
    staged.write(&[2; 40], 100).await.unwrap(); // exactly at the limit is fine
    match staged.write(&[3], 100).await {
        Err(StagingError::TooLarge { limit }) => assert_eq!(limit, 100),
        other => panic!(
            "expected TooLarge, got {:?}",
            other.map(|_| ()).map_err(|e| e.to_string())
        ),
    }
    assert_eq!(staged.size(), 100, "the refused chunk is not counted");
    // One big chunk over the limit is refused before anything is written.
    let mut big = t.store.stage().await.unwrap();
    assert!(matches!(
        big.write(&[0; 101], 100).await,
        Err(StagingError::TooLarge { limit: 100 })
    ));
    assert_eq!(big.size(), 0);
    assert_eq!(std::fs::metadata(big.path()).unwrap().len(), 0);
    let err = StagingError::TooLarge { limit: 100 };
    assert!(err.to_string().contains("100"));
}

async fn commit_then_read(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let bytes = data(300_000, 2);
    let staged = stage(&t.store, &bytes, 10_000).await;
    let digest = staged.digest().unwrap();
    assert_eq!(
        t.store.size(&digest).await.unwrap(),
        None,
        "nothing is stored before commit"
    );
    t.store.commit(&staged).await.unwrap();

    assert_eq!(t.store.size(&digest).await.unwrap(), Some(300_000));
    assert_eq!(t.store.get_bytes(&digest).await.unwrap(), bytes);
    let read = t.store.get(&digest, None).await.unwrap();
    assert_eq!(read.size, 300_000);
    assert_eq!(read.range, 0..300_000);
    assert_eq!(collect(read).await, bytes);

    // put_bytes stores small blobs directly under the same addressing.
    let small = Bytes::from_static(b"{\"schemaVersion\":2}");
    let d = t.store.put_bytes(small.clone()).await.unwrap();
    assert_eq!(d, Digest::sha256_of(&small));
    assert_eq!(t.store.get_bytes(&d).await.unwrap(), small);
    assert_eq!(t.store.put_bytes(small.clone()).await.unwrap(), d);

    // An unfinished blob cannot be committed.
    let mut unfinished = t.store.stage().await.unwrap();
    unfinished.write(b"abc", LIMIT).await.unwrap();
    assert!(t.store.commit(&unfinished).await.is_err());
    assert_eq!(t.store.size(&Digest::sha256_of(b"abc")).await.unwrap(), None);

    // The empty blob is a blob like any other.
    let empty = stage(&t.store, &[], 1).await;
    t.store.commit(&empty).await.unwrap();
    let d = empty.digest().unwrap();
    assert_eq!(t.store.size(&d).await.unwrap(), Some(0));
    assert_eq!(t.store.get_bytes(&d).await.unwrap().len(), 0);
    let read = t.store.get(&d, None).await.unwrap();
    assert_eq!((read.size, read.range.clone()), (0, 0..0));
    assert!(collect(read).await.is_empty());
}

async fn commit_is_idempotent(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let bytes = data(50_000, 3);
    let a = stage(&t.store, &bytes, 4096).await;
    let b = stage(&t.store, &bytes, 1000).await;
    assert_eq!(a.digest(), b.digest());
    t.store.commit(&a).await.unwrap();
    t.store.commit(&b).await.unwrap();
    t.store.commit(&a).await.unwrap();
    let digest = a.digest().unwrap();
    assert_eq!(t.store.get_bytes(&digest).await.unwrap(), bytes);
    assert_eq!(t.store.list().await.unwrap().len(), 1);

    // Concurrent commits of the same bytes are safe.
    let bytes = data(200_000, 4);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let store = t.store.clone();
        let bytes = bytes.clone();
        tasks.push(tokio::spawn(async move {
            let staged = stage(&store, &bytes, 16 * 1024).await;
            store.commit(&staged).await.unwrap();
            staged.digest().unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), Digest::sha256_of(&bytes));
    }
    assert_eq!(t.store.get_bytes(&Digest::sha256_of(&bytes)).await.unwrap(), bytes);
    assert_eq!(t.store.list().await.unwrap().len(), 2);
}

async fn ranged_get(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let bytes = data(10_000, 5);
    let digest = put(&t.store, &bytes).await;

    for (start, end) in [
        (0u64, 1u64),
        (0, 10_000),
        (1, 2),
        (100, 4_100),
        (9_999, 10_000),
        (5_000, 9_000),
    ] {
        let read = t.store.get(&digest, Some(start..end)).await.unwrap();
        assert_eq!(read.size, 10_000, "total size for {start}..{end}");
        assert_eq!(read.range, start..end);
        let got = collect(read).await;
        assert_eq!(got.len() as u64, end - start);
        assert_eq!(got, &bytes[start as usize..end as usize], "bytes for {start}..{end}");
    }
    // A range running past the end is clamped to the size.
    let read = t.store.get(&digest, Some(9_000..20_000)).await.unwrap();
    assert_eq!((read.size, read.range.clone()), (10_000, 9_000..10_000));
    assert_eq!(collect(read).await, &bytes[9_000..]);
    let read = t.store.get(&digest, Some(0..u64::MAX)).await.unwrap();
    assert_eq!(read.range, 0..10_000);
    assert_eq!(collect(read).await, bytes);
}

async fn range_past_end_not_satisfiable(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let digest = put(&t.store, &data(1_000, 6)).await;
    for range in [1_000..1_001, 1_000..2_000, 5_000..6_000, u64::MAX - 1..u64::MAX] {
        match t.store.get(&digest, Some(range.clone())).await {
            Err(StorageError::RangeNotSatisfiable) => {}
            Err(e) => panic!("{range:?}: expected RangeNotSatisfiable, got {e:?}"),
            Ok(r) => panic!("{range:?}: expected RangeNotSatisfiable, got range {:?}", r.range),
        }
    }
    // Empty and inverted ranges select nothing, so they cannot be satisfied either.
    for range in [10..10, Range { start: 20, end: 10 }] {
        assert!(
            matches!(
                t.store.get(&digest, Some(range.clone())).await,
                Err(StorageError::RangeNotSatisfiable)
            ),
            "{range:?}"
        );
    }
    // The empty blob has no satisfiable range at all.
    let empty = put(&t.store, &[]).await;
    assert!(matches!(
        t.store.get(&empty, Some(0..1)).await,
        Err(StorageError::RangeNotSatisfiable)
    ));
    // A range on a missing blob is NotFound, not a range error.
    let missing = Digest::sha256_of(b"never stored");
    assert!(matches!(
        t.store.get(&missing, Some(0..10)).await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        t.store.get(&missing, Some(5_000..6_000)).await,
        Err(StorageError::NotFound(_))
    ));
}

async fn missing_is_not_found(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let missing = Digest::sha256_of(b"nothing here");
    match t.store.get(&missing, None).await {
        Err(StorageError::NotFound(d)) => assert_eq!(d, missing.to_string()),
        Err(e) => panic!("expected NotFound, got {e:?}"),
        Ok(_) => panic!("expected NotFound, got a blob"),
    }
    assert!(matches!(
        t.store.get_bytes(&missing).await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(t.store.size(&missing).await.unwrap(), None);
}

async fn delete_blobs(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let keep = put(&t.store, b"keep me").await;
    let gone = put(&t.store, b"delete me").await;
    t.store.delete(&gone).await.unwrap();
    assert_eq!(t.store.size(&gone).await.unwrap(), None);
    assert!(matches!(t.store.get(&gone, None).await, Err(StorageError::NotFound(_))));
    assert!(matches!(t.store.get_bytes(&gone).await, Err(StorageError::NotFound(_))));
    // Deleting again, or deleting what never existed, is fine.
    t.store.delete(&gone).await.unwrap();
    t.store.delete(&Digest::sha256_of(b"never stored")).await.unwrap();
    assert_eq!(t.store.get_bytes(&keep).await.unwrap(), &b"keep me"[..]);
    // A deleted blob can be stored again.
    assert_eq!(put(&t.store, b"delete me").await, gone);
    assert_eq!(t.store.get_bytes(&gone).await.unwrap(), &b"delete me"[..]);
}

async fn list_blobs(backend: StoreBackend) {
    let t = TestStore::new(backend);
    assert!(t.store.list().await.unwrap().is_empty(), "a fresh store lists nothing");
    let before = now_ms();
    let mut expected = Vec::new();
    for i in 0..5u8 {
        expected.push(put(&t.store, &data(100 + i as usize, i)).await);
    }
    expected.push(t.store.put_bytes(Bytes::from_static(b"manifest")).await.unwrap());
    // The health probe must not show up as a blob.
    t.store.check().await.unwrap();
    let after = now_ms();

    let listed = t.store.list().await.unwrap();
    let mut got: Vec<String> = listed.iter().map(|(d, _)| d.to_string()).collect();
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|d| d.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    for (d, modified) in &listed {
        // Object stores may truncate to the second.
        assert!(
            *modified >= before - 2_000 && *modified <= after + 2_000,
            "{d}: last modified {modified} not within {before}..{after}"
        );
    }

    t.store.delete(&expected[0]).await.unwrap();
    let listed = t.store.list().await.unwrap();
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|(d, _)| d != &expected[0]));
}

async fn check_succeeds(backend: StoreBackend) {
    let t = TestStore::new(backend);
    t.store.check().await.unwrap();
    t.store.check().await.unwrap();
    assert!(t.store.list().await.unwrap().is_empty());
    let describe = t.store.describe();
    match backend {
        StoreBackend::Fs => assert!(describe.starts_with("fs:"), "{describe}"),
        StoreBackend::S3 => assert!(describe.starts_with("s3:"), "{describe}"),
    }
}

async fn large_blob_multipart(backend: StoreBackend) {
    let t = TestStore::new(backend);
    // Over the 8 MiB single-put threshold and not a multiple of the part size.
    let bytes = data(8 * 1024 * 1024 * 2 + 12_345, 7);
    let staged = stage(&t.store, &bytes, 1024 * 1024 + 17).await;
    assert_eq!(staged.size(), bytes.len() as u64);
    t.store.commit(&staged).await.unwrap();
    let digest = staged.digest().unwrap();
    assert_eq!(digest, Digest::sha256_of(&bytes));
    assert_eq!(t.store.size(&digest).await.unwrap(), Some(bytes.len() as u64));
    let read = t.store.get(&digest, None).await.unwrap();
    assert_eq!(read.size, bytes.len() as u64);
    let got = collect(read).await;
    assert_eq!(got.len(), bytes.len());
    assert!(got == bytes, "large blob differs after the round trip");
    // A range across a part boundary.
    let boundary = 8 * 1024 * 1024u64;
    let read = t.store.get(&digest, Some(boundary - 10..boundary + 10)).await.unwrap();
    assert_eq!(
        collect(read).await,
        &bytes[boundary as usize - 10..boundary as usize + 10]
    );
    // Committing it again is a no-op.
    t.store.commit(&staged).await.unwrap();
    assert_eq!(t.store.list().await.unwrap().len(), 1);
}

async fn staging_file_removed_on_drop(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let staged = stage(&t.store, b"temporary", 3).await;
    let path = staged.path_buf();
    assert!(path.exists());
    t.store.commit(&staged).await.unwrap();
    assert!(path.exists(), "the staged file lives until the StagedBlob is dropped");
    drop(staged);
    assert!(!path.exists(), "the staged file is removed on drop");

    // Also when the upload is abandoned before finishing or after a refused write.
    let mut abandoned = t.store.stage().await.unwrap();
    abandoned.write(b"partial", LIMIT).await.unwrap();
    let p1 = abandoned.path_buf();
    let mut refused = t.store.stage().await.unwrap();
    assert!(refused.write(&[0; 11], 10).await.is_err());
    let p2 = refused.path_buf();
    assert!(p1.exists() && p2.exists());
    drop(abandoned);
    drop(refused);
    assert!(!p1.exists() && !p2.exists());
    assert_eq!(
        std::fs::read_dir(t.staging_dir()).unwrap().count(),
        0,
        "staging dir is empty"
    );
}

/// A download may take longer than the request timeout: a slow reader must still get every byte.
async fn slow_reader_outlives_request_timeout(backend: StoreBackend) {
    let options = StoreOptions {
        request_timeout: Duration::from_secs(1),
        ..StoreOptions::default()
    };
    let t = TestStore::with_options(backend, &options);
    let bytes = data(12 * 1024 * 1024, 8);
    let digest = put(&t.store, &bytes).await;
    let mut read = t.store.get(&digest, None).await.unwrap();
    let mut got = Vec::with_capacity(bytes.len());
    let first = read.stream.try_next().await.unwrap().expect("a first chunk");
    got.extend_from_slice(&first);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    while let Some(chunk) = read.stream.try_next().await.expect("stream survives a slow reader") {
        got.extend_from_slice(&chunk);
    }
    assert!(got == bytes, "slowly read blob differs");
    // Ranged reads too.
    let mut read = t.store.get(&digest, Some(1..10 * 1024 * 1024)).await.unwrap();
    let first = read.stream.try_next().await.unwrap().expect("a first chunk");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mut got = first.to_vec();
    while let Some(chunk) = read
        .stream
        .try_next()
        .await
        .expect("ranged stream survives a slow reader")
    {
        got.extend_from_slice(&chunk);
    }
    assert!(got == bytes[1..10 * 1024 * 1024], "slowly read range differs");
}

/// What a killed process leaves (a staging file, and on `fs` a partial `<hex>#1` blob file)
/// is removed once older than the threshold; younger files, complete blobs and unrelated
/// files stay.
async fn leftovers_of_killed_uploads_are_swept(backend: StoreBackend) {
    let t = TestStore::new(backend);
    let blob = put(&t.store, b"complete blob").await;
    let old = std::time::SystemTime::now() - Duration::from_secs(7200);
    let make = |path: std::path::PathBuf, len: usize, aged: bool| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, vec![7u8; len]).unwrap();
        if aged {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        path
    };
    let staging = t.staging_dir();
    let stale_upload = make(staging.join("upload-KILLED"), 1000, true);
    let fresh_upload = make(staging.join("upload-INFLIGHT"), 10, false);
    let unrelated = make(staging.join("notes.txt"), 10, true);
    let hex = "ab".repeat(32);
    let partial = match &t.config {
        StorageConfig::Fs { path } => Some(make(path.join(format!("blobs/sha256/ab/{hex}#1")), 500, true)),
        StorageConfig::S3 { .. } => None,
    };
    let report = t.store.sweep_leftovers(Duration::from_secs(3600)).await.unwrap();
    let (files, bytes) = if partial.is_some() { (2, 1500) } else { (1, 1000) };
    assert_eq!((report.files, report.bytes), (files, bytes));
    assert!(!stale_upload.exists());
    assert!(fresh_upload.exists() && unrelated.exists());
    if let Some(p) = partial {
        assert!(!p.exists());
    }
    assert_eq!(collect(t.store.get(&blob, None).await.unwrap()).await, b"complete blob");
    // Nothing left to do the second time.
    let again = t.store.sweep_leftovers(Duration::from_secs(3600)).await.unwrap();
    assert_eq!(again.files, 0);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

both_stores!(
    stage_hashes_and_counts,
    write_over_limit,
    commit_then_read,
    commit_is_idempotent,
    ranged_get,
    range_past_end_not_satisfiable,
    missing_is_not_found,
    delete_blobs,
    list_blobs,
    check_succeeds,
    large_blob_multipart,
    staging_file_removed_on_drop,
    slow_reader_outlives_request_timeout,
    leftovers_of_killed_uploads_are_swept,
);

// --- failures of the backend itself -----------------------------------------------------------

/// An S3 server that is not there makes `check` fail quickly instead of retrying for minutes.
#[tokio::test]
async fn s3_check_fails_fast_on_closed_port() {
    let config = match trove_testkit::s3_storage() {
        StorageConfig::S3 {
            bucket,
            region,
            access_key_id,
            secret_access_key,
            prefix,
            path_style,
            ..
        } => StorageConfig::S3 {
            bucket,
            endpoint: Some("http://127.0.0.1:1".into()),
            region,
            access_key_id,
            secret_access_key,
            prefix,
            path_style,
        },
        StorageConfig::Fs { .. } => unreachable!(),
    };
    let dir = trove_testkit::tempdir();
    let store = BlobStore::open(&config, dir.path()).unwrap();
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), store.check())
        .await
        .expect("check() hung for 30 s");
    let elapsed = started.elapsed();
    let err = result.expect_err("check() must fail when S3 is unreachable");
    assert!(matches!(err, StorageError::Backend(_)), "{err:?}");
    assert!(elapsed < Duration::from_secs(5), "check() took {elapsed:?}");
    // Reads fail the same way, quickly, and are not mistaken for a missing blob.
    let started = Instant::now();
    let err = store
        .size(&Digest::sha256_of(b"x"))
        .await
        .expect_err("size() must fail");
    assert!(matches!(err, StorageError::Backend(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "size() took {:?}",
        started.elapsed()
    );
}

/// Wrong credentials are an error, not an empty store.
#[tokio::test]
async fn s3_wrong_credentials_fail() {
    let config = match trove_testkit::s3_storage() {
        StorageConfig::S3 {
            bucket,
            endpoint,
            region,
            access_key_id,
            prefix,
            path_style,
            ..
        } => StorageConfig::S3 {
            bucket,
            endpoint,
            region,
            access_key_id,
            secret_access_key: Some("definitely-wrong".into()),
            prefix,
            path_style,
        },
        StorageConfig::Fs { .. } => unreachable!(),
    };
    let dir = trove_testkit::tempdir();
    let store = BlobStore::open(&config, dir.path()).unwrap();
    let started = Instant::now();
    assert!(store.check().await.is_err());
    assert!(store.size(&Digest::sha256_of(b"x")).await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

/// A storage directory that became unusable fails the readiness check.
#[tokio::test]
async fn fs_check_fails_when_directory_is_gone() {
    let t = TestStore::new(StoreBackend::Fs);
    t.store.check().await.unwrap();
    let StorageConfig::Fs { path } = &t.config else {
        unreachable!()
    };
    std::fs::remove_dir_all(path).unwrap();
    std::fs::write(path, b"not a directory").unwrap();
    assert!(t.store.check().await.is_err());
}

/// Two stores with different prefixes on one bucket do not see each other's blobs.
#[tokio::test]
async fn s3_prefixes_are_isolated() {
    let a = TestStore::new(StoreBackend::S3);
    let b = TestStore::new(StoreBackend::S3);
    let d = put(&a.store, b"only in a").await;
    assert_eq!(a.store.list().await.unwrap().len(), 1);
    assert!(b.store.list().await.unwrap().is_empty());
    assert_eq!(b.store.size(&d).await.unwrap(), None);
}
