//! The container deployment files: `deploy/compose.yaml` parses as YAML (PyYAML, through
//! python3), has the scale-out topology (two Trove nodes, PostgreSQL, an S3 server, Redis),
//! and the environment each node gets is a configuration Trove accepts, pointing at those
//! services. The Dockerfile runs as a non-root user with a /data volume and a health check.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .parent()
        .unwrap()
}

/// The compose file as JSON (YAML anchors and merge keys resolved by PyYAML).
fn compose() -> Value {
    let file = repo_root().join("deploy/compose.yaml");
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(&file)
        .output()
        .expect("python3 with PyYAML");
    assert!(
        out.status.success(),
        "deploy/compose.yaml does not parse: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn compose_file_describes_the_scale_out_topology() {
    let doc = compose();
    let services = doc["services"].as_object().expect("services");
    for s in ["trove-1", "trove-2", "postgres", "redis", "minio"] {
        assert!(services.contains_key(s), "no `{s}` service");
    }
    let mut ports = Vec::new();
    for node in ["trove-1", "trove-2"] {
        let svc = &services[node];
        assert_eq!(svc["image"], "${TROVE_IMAGE:-trove:latest}");
        ports.push(svc["ports"][0].as_str().unwrap().to_string());
        for dep in ["postgres", "redis", "minio-init"] {
            assert!(svc["depends_on"].get(dep).is_some(), "{node} does not wait for {dep}");
        }
        let env: Vec<(String, String)> = svc["environment"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
                )
            })
            .collect();
        let config = trove_server::Config::load_with_env(None, env.clone())
            .unwrap_or_else(|e| panic!("{node}'s environment is refused: {e:#}"));
        assert_eq!(
            config.database.url.as_deref(),
            Some("postgres://trove:trove@postgres:5432/trove")
        );
        assert_eq!(config.storage.backend, "s3");
        assert_eq!(config.storage.endpoint.as_deref(), Some("http://minio:9000"));
        assert_eq!(config.storage.bucket.as_deref(), Some("trove"));
        assert!(config.storage.path_style);
        assert_eq!(config.rate_limits.backend, "redis");
        assert_eq!(config.rate_limits.redis_url, "redis://redis:6379");
        // Both nodes share every backing service; each has its own public address.
        assert!(config
            .server
            .base_url
            .as_deref()
            .unwrap()
            .ends_with(&ports.last().unwrap()[..4]));
    }
    assert_ne!(ports[0], ports[1]);
    // The S3 credentials the nodes use are MinIO's, and the init job creates their bucket.
    let minio_env = &services["minio"]["environment"];
    let node_env = &services["trove-1"]["environment"];
    assert_eq!(minio_env["MINIO_ROOT_USER"], node_env["TROVE_STORAGE__ACCESS_KEY_ID"]);
    assert_eq!(
        minio_env["MINIO_ROOT_PASSWORD"],
        node_env["TROVE_STORAGE__SECRET_ACCESS_KEY"]
    );
    assert!(services["minio-init"]["command"][0]
        .as_str()
        .unwrap()
        .contains("mc mb --ignore-existing local/trove"));
}

#[test]
fn dockerfile_runs_unprivileged_with_a_data_volume_and_health_check() {
    let text = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert!(
        lines.iter().filter(|l| l.starts_with("FROM ")).count() >= 2,
        "multi-stage"
    );
    assert!(lines
        .iter()
        .any(|l| l.starts_with("FROM ") && l.ends_with(" AS builder")));
    assert!(lines.contains(&"USER trove:trove"));
    assert!(lines.contains(&"VOLUME [\"/data\"]"));
    assert!(lines
        .iter()
        .any(|l| l.contains("curl -fsS http://127.0.0.1:8080/health/ready")));
    assert!(lines.contains(&"CMD [\"server\"]"));
    // The listen address and data directory it sets are ones Trove accepts.
    let config = trove_server::Config::load_with_env(
        None,
        vec![
            ("TROVE_DATA_DIR".to_string(), "/data".to_string()),
            ("TROVE_SERVER_LISTEN".to_string(), "0.0.0.0:8080".to_string()),
            ("TROVE_LOG_FORMAT".to_string(), "json".to_string()),
        ],
    )
    .unwrap();
    assert_eq!(config.server.listen, "0.0.0.0:8080");
}

/// The runtime image around a host-built binary (`Containerfile.prebuilt`, used by
/// `scripts/build-image.sh` without Docker Hub) ends exactly as the Dockerfile's runtime stage:
/// same user, volume, environment, port, health check and command.
#[test]
fn prebuilt_containerfile_matches_the_dockerfile_runtime() {
    let tail = |file: &str| -> Vec<String> {
        let text = std::fs::read_to_string(repo_root().join(file)).unwrap();
        let lines: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("COPY ") && l.ends_with(" /usr/local/bin/trove"))
            .unwrap_or_else(|| panic!("{file} copies no binary to /usr/local/bin/trove"));
        lines[at + 1..].iter().filter(|l| !l.is_empty()).cloned().collect()
    };
    let prebuilt = tail("Containerfile.prebuilt");
    assert_eq!(prebuilt, tail("Dockerfile"));
    assert!(prebuilt.contains(&"USER trove:trove".to_string()), "{prebuilt:?}");
    let text = std::fs::read_to_string(repo_root().join("Containerfile.prebuilt")).unwrap();
    assert!(text.contains("useradd --system --uid 10001 --gid trove"), "{text}");
}
