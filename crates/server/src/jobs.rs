//! Every background job of a node, started and stopped in one place: the search indexer,
//! the download-count flusher, the webhook worker, the scan worker, the session sweeper,
//! retention policies and blob maintenance (abandoned OCI uploads, online garbage collection,
//! leftovers of interrupted uploads).
//! Jobs that touch shared state are safe on every node at once (claims, holds and marks in
//! the database), so each node runs them all.

use crate::Config;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use trove_service::Services;

pub struct Jobs {
    periodic: Vec<JoinHandle<()>>,
    webhooks: Option<JoinHandle<()>>,
    scans: Option<JoinHandle<()>>,
    services: Services,
}

/// Runs `job` at once and then every `every` until `stop` changes.
fn every<F, Fut>(every: Duration, mut stop: watch::Receiver<bool>, mut job: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            job().await;
        }
    })
}

impl Jobs {
    pub fn start(services: &Services, config: &Config, stop: watch::Receiver<bool>) -> Jobs {
        let mut periodic = Vec::new();
        // Keeps the search index in step with changes made through other nodes.
        periodic.push(tokio::spawn(services.search_index.clone().run(stop.clone())));

        // Download counts are buffered in memory and written in batches.
        let svc = services.clone();
        let flush = Duration::from_millis(config.stats.flush_interval_ms.max(10));
        periodic.push(every(flush, stop.clone(), move || {
            let svc = svc.clone();
            async move {
                if let Err(e) = svc.flush_downloads().await {
                    tracing::warn!(error = %e, "flushing download counts failed; will retry");
                }
            }
        }));

        // Expired sessions are already refused; this only keeps the table small.
        let svc = services.clone();
        periodic.push(every(Duration::from_secs(3600), stop.clone(), move || {
            let svc = svc.clone();
            async move {
                match svc.accounts().sweep_expired_sessions().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sessions = n, "expired sessions removed"),
                    Err(e) => tracing::warn!(error = %e, "removing expired sessions failed"),
                }
            }
        }));

        // Abandoned OCI uploads expire; the online GC runs every `gc_interval_secs`.
        let svc = services.clone();
        let oci = config.oci.clone();
        let gc_every = (oci.gc_interval_secs > 0).then(|| Duration::from_secs(oci.gc_interval_secs));
        let mut last_gc = tokio::time::Instant::now();
        periodic.push(every(
            Duration::from_secs(oci.sweep_interval_secs.max(1)),
            stop.clone(),
            move || {
                let svc = svc.clone();
                let ttl_ms = (oci.upload_ttl_secs as i64).saturating_mul(1000);
                let gc_min_age_ms = (oci.gc_min_age_secs as i64).saturating_mul(1000);
                let run_gc = gc_every.is_some_and(|e| last_gc.elapsed() >= e);
                if run_gc {
                    last_gc = tokio::time::Instant::now();
                }
                async move {
                    if let Err(e) = svc.oci().expire_uploads(ttl_ms).await {
                        tracing::warn!(error = %e, "expiring abandoned oci uploads failed; will retry");
                    }
                    if run_gc {
                        match svc.blobs().gc_blobs(gc_min_age_ms).await {
                            Ok(r) => tracing::info!(
                                deleted = r.deleted,
                                bytes_freed = r.bytes_freed,
                                leftover_files = r.leftover_files,
                                "online gc done"
                            ),
                            Err(e) => tracing::warn!(error = %e, "online gc failed; will retry"),
                        }
                    }
                }
            },
        ));

        // Retention policies: each namespace's policy runs every `interval_secs`, claimed with
        // a lease in the database so one node applies it at a time; GC follows each run.
        if config.retention.interval_secs > 0 {
            let svc = services.clone();
            let interval = Duration::from_secs(config.retention.interval_secs);
            let every_ms = (config.retention.interval_secs as i64).saturating_mul(1000);
            periodic.push(every(interval.min(Duration::from_secs(60)), stop.clone(), move || {
                let svc = svc.clone();
                async move {
                    if let Err(e) = svc.retention().run_due(every_ms).await {
                        tracing::warn!(error = %e, "applying retention policies failed; will retry");
                    }
                }
            }));
        }

        // Sends queued webhook deliveries (any node may; claims keep them from sending twice).
        let webhooks = config
            .webhooks
            .deliver
            .then(|| tokio::spawn(services.clone().run_webhook_worker(stop.clone())));
        // Runs queued publish-time scans (any node may; leases keep them from running twice).
        let scans = services
            .config
            .scan
            .is_some()
            .then(|| tokio::spawn(services.clone().run_scan_worker(stop.clone())));
        Jobs {
            periodic,
            webhooks,
            scans,
            services: services.clone(),
        }
    }

    /// Stops every job (the shutdown signal has been sent) and writes the last buffered
    /// download counts.
    pub async fn stop(self) {
        for job in &self.periodic {
            job.abort();
        }
        if let Some(mut webhooks) = self.webhooks {
            // It stops by itself between attempts; an attempt cut short is retried later.
            if tokio::time::timeout(Duration::from_secs(2), &mut webhooks)
                .await
                .is_err()
            {
                tracing::warn!("webhook worker did not stop in time");
                webhooks.abort();
            }
        }
        if let Some(mut scans) = self.scans {
            // A running scanner is killed when the stop signal is seen; the scan is run again
            // (by any node) once its lease expires.
            if tokio::time::timeout(Duration::from_secs(2), &mut scans).await.is_err() {
                tracing::warn!("scan worker did not stop in time");
                scans.abort();
            }
        }
        // Counted downloads are never lost at shutdown.
        for attempt in 0..5 {
            match self.services.flush_downloads().await {
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, attempt, "final download flush failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}
