//! Logs (JSON by default) and the Prometheus recorder.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide metrics recorder once.
pub fn install_metrics() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".into()),
                &[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            )
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may exist in tests that embed several servers; keep ours anyway.
        let _ = metrics::set_global_recorder(recorder);
        describe_metrics();
        handle
    })
}

/// `# HELP` for every metric Trove records (the exporter writes `# TYPE` for each).
fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "trove_http_requests_total",
        "HTTP requests answered, by route, method and status"
    );
    describe_histogram!(
        "trove_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (until the response head), by route"
    );
    describe_counter!("trove_publishes_total", "Versions published and OCI manifests pushed");
    describe_counter!(
        "trove_retention_deleted_total",
        "Versions, OCI tags and untagged manifests deleted by retention policies"
    );
    describe_counter!(
        "trove_retention_bytes_reclaimed_total",
        Unit::Bytes,
        "Bytes freed by the garbage collection that follows each retention run"
    );
    describe_counter!(
        "trove_quota_refusals_total",
        "Uploads refused because they would take a namespace over its storage quota"
    );
    describe_counter!("trove_downloads_total", "Downloads counted (archives and OCI pulls)");
    describe_counter!("trove_download_bytes_total", Unit::Bytes, "Bytes served by downloads");
    describe_gauge!(
        "trove_downloads_pending",
        "Download counts buffered in memory, not yet written"
    );
    describe_counter!(
        "trove_storage_bytes_written_total",
        Unit::Bytes,
        "Bytes written to the blob store"
    );
    describe_counter!(
        "trove_storage_operations_total",
        "Blob store operations, by operation and result"
    );
    describe_histogram!(
        "trove_storage_operation_duration_seconds",
        Unit::Seconds,
        "Time of a blob store operation, by operation"
    );
    describe_counter!(
        "trove_storage_leftovers_removed_total",
        "Leftover files of interrupted uploads removed (staging and partial files)"
    );
    describe_counter!(
        "trove_storage_leftover_bytes_removed_total",
        Unit::Bytes,
        "Bytes of leftover files of interrupted uploads removed"
    );
    describe_gauge!(
        "trove_db_pool_connections",
        "Database connections open in this node's pool"
    );
    describe_gauge!(
        "trove_db_pool_idle_connections",
        "Idle database connections in this node's pool"
    );
    describe_counter!(
        "trove_rate_limited_total",
        "Requests refused by the rate limits, by class and action"
    );
    describe_counter!(
        "trove_rate_limit_backend_errors_total",
        "Rate-limit backend failures (requests were let through)"
    );
    describe_gauge!("trove_connections_open", "Client connections open");
    describe_counter!(
        "trove_connections_closed_total",
        "Connections closed by the server: timeout, error, evicted (at the connection cap or at shutdown)"
    );
    describe_counter!(
        "trove_connections_refused_total",
        "Connections refused at the cap because every connection was busy"
    );
    describe_counter!(
        "trove_accept_errors_total",
        "Failures to accept a connection (e.g. out of file descriptors)"
    );
    describe_counter!(
        "trove_request_body_timeouts_total",
        "Request bodies cut off with 408, by reason (stalled, too_slow)"
    );
    describe_counter!(
        "trove_tls_reloads_total",
        "Reloads of the TLS certificate and key files after they changed, by outcome (ok, error)"
    );
    describe_counter!(
        "trove_storage_redirects_total",
        "Downloads answered with a redirect to a presigned S3 URL"
    );
    describe_counter!(
        "trove_oci_uploads_in_place_total",
        "OCI chunked uploads finished in place (appended to one file, or on S3 completed as one multipart upload; hash state carried between chunks)"
    );
    describe_counter!(
        "trove_oci_uploads_lost_total",
        "OCI uploads appended in place whose file held fewer bytes than recorded (damaged behind the store's back): restarted from byte 0 with a 416"
    );
    describe_counter!(
        "trove_archive_cache_total",
        "Archive listings for the file browser and diffs read from this node's archive cache, by result (hit, miss)"
    );
    describe_counter!(
        "trove_oci_manifest_cache_total",
        "OCI manifest reads by result: hit (from this node's manifest cache), miss (loaded from the database and store), shared (answered from the load another request for it was running)"
    );
    describe_counter!(
        "trove_oci_uploads_joined_total",
        "Chunked OCI uploads finished from the file this node joined as the chunks came"
    );
}

/// Sets up logging; `format` is `json` or `text`.
pub fn init_logging(format: &str, level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TROVE_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);

    let _ = if format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

#[cfg(test)]
mod tests {
    /// Every metric the workspace records (counters, histograms and gauges named `trove_…`)
    /// is described in `describe_metrics`, so `/metrics` gives it `# HELP`.
    #[test]
    fn every_recorded_metric_is_described() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let described = std::fs::read_to_string(crates.join("server/src/telemetry.rs")).unwrap();
        let described = &described[..described.find("#[cfg(test)]").unwrap()];
        let mut missing = Vec::new();
        let mut found = 0;
        let mut dirs = vec![crates];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("target") && !path.ends_with("tests") {
                        dirs.push(path);
                    }
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for macro_call in ["counter!(\"", "histogram!(\"", "gauge!(\""] {
                    for (at, _) in text.match_indices(macro_call) {
                        let rest = &text[at + macro_call.len()..];
                        let name = &rest[..rest.find('"').unwrap()];
                        if !name.starts_with("trove_") {
                            continue;
                        }
                        found += 1;
                        if !described.contains(&format!("\"{name}\"")) {
                            missing.push(format!("{name} ({})", path.display()));
                        }
                    }
                }
            }
        }
        assert!(found > 20, "found only {found} metrics");
        assert!(missing.is_empty(), "metrics without a description: {missing:?}");
    }
}
