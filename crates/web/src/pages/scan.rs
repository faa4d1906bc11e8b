//! The publish-time scan of the version shown on a package page: a notice under the version
//! banner (kept apart from the package page so that page's layout stays its own).

use maud::{html, Markup};
use trove_service::views::VersionView;

/// Nothing when the version was not scanned or passed quietly; otherwise what the scanner
/// said (and whether installs are refused the version meanwhile).
pub fn scan_notice(v: &VersionView) -> Markup {
    let Some(s) = &v.scan else { return html! {} };
    let (class, text) = match s.status.as_str() {
        "passed" => ("notice notice-ok scan-notice", "Scan passed."),
        "pending" => ("notice notice-warn scan-notice", "Scan pending."),
        "failed" => (
            "notice notice-error scan-notice",
            "Scan failed: the scanner reported findings.",
        ),
        _ => (
            "notice notice-error scan-notice",
            "Scan error: the scanner did not finish.",
        ),
    };
    html! {
        div class=(class) role="status" data-scan=(s.status) {
            strong { (text) }
            @if s.quarantined { " Installs are refused this version until its scan passes." }
            @if let Some(e) = &s.error { " " span.scan-error { (e) } }
            @if let Some(f) = &s.findings {
                details.scan-findings {
                    summary { "Findings" }
                    pre { (serde_json::to_string_pretty(f).unwrap_or_default()) }
                }
            }
            @if let Some(o) = s.output.as_ref().filter(|o| !o.is_empty()) {
                details.scan-output {
                    summary { "Scanner output" }
                    pre { (o) }
                }
            }
        }
    }
}
