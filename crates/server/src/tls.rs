//! TLS: the certificate chain and key from PEM files, offered with ALPN `h2` and
//! `http/1.1`, and reloaded when the files change (a renewed certificate takes effect
//! without a restart; a broken pair is logged and the previous one kept).

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio_rustls::TlsAcceptor;

/// Where the certificate and key are, and how often to look for changes.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub reload_interval: Duration,
}

/// The current certificate, swapped when the files change.
#[derive(Debug)]
struct Reloading {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().expect("certificate lock").clone())
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads and checks the pair: the chain, the key, and that they belong together.
fn load(files: &TlsFiles) -> anyhow::Result<Arc<CertifiedKey>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("reading the certificate {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing the certificate {}", files.cert.display()))?;
    anyhow::ensure!(!certs.is_empty(), "{} holds no certificate", files.cert.display());
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading the private key {}", files.key.display()))?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .with_context(|| format!("loading the private key {}", files.key.display()))?;
    let certified = CertifiedKey::new(certs, signing);
    certified
        .keys_match()
        .with_context(|| format!("{} is not the key of {}", files.key.display(), files.cert.display()))?;
    Ok(Arc::new(certified))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The acceptor for the configured files (an error names what is wrong with them), and a
/// task that reloads them when they change until `stop` turns true.
pub fn acceptor(
    files: TlsFiles,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<(TlsAcceptor, tokio::task::JoinHandle<()>)> {
    let resolver = Arc::new(Reloading {
        current: RwLock::new(load(&files)?),
    });
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let watcher = tokio::spawn(async move {
        let mut seen = (modified(&files.cert), modified(&files.key));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(files.reload_interval) => {}
                _ = stop.changed() => return,
            }
            let now = (modified(&files.cert), modified(&files.key));
            if now == seen {
                continue;
            }
            match load(&files) {
                Ok(key) => {
                    *resolver.current.write().expect("certificate lock") = key;
                    seen = now;
                    metrics::counter!("trove_tls_reloads_total", "outcome" => "ok").increment(1);
                    tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                }
                Err(e) => {
                    // Half-written files (a renewal in progress) are tried again next time.
                    metrics::counter!("trove_tls_reloads_total", "outcome" => "error").increment(1);
                    tracing::warn!(error = %format!("{e:#}"), "TLS certificate not reloaded; keeping the previous one");
                }
            }
        }
    });
    Ok((TlsAcceptor::from(Arc::new(config)), watcher))
}
