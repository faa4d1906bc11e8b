//! CVSS severities: OSV `severity` entries carry vectors; the base score is computed by the
//! `cvss` crate (v3.0, v3.1 and v4.0 vectors).

use super::osv::Doc;

/// The base score of a vector given as an OSV severity of type `kind`.
pub fn score(kind: &str, vector: &str) -> Result<f64, String> {
    let expected = match kind {
        "CVSS_V3" => "CVSS:3.",
        "CVSS_V4" => "CVSS:4.0/",
        other => {
            return Err(format!(
                "severity type `{other}` is not supported: use CVSS_V3 or CVSS_V4"
            ))
        }
    };
    if !vector.starts_with(expected) {
        return Err(format!(
            "a {kind} score is a vector starting with `{expected}`, not `{vector}`"
        ));
    }
    let cvss: cvss::Cvss = vector
        .parse()
        .map_err(|e| format!("`{vector}` is not a valid CVSS vector: {e}"))?;
    Ok(cvss.score())
}

/// The qualitative rating of a score (CVSS v3 and v4 share it).
pub fn rating(score: f64) -> &'static str {
    match score {
        s if s >= 9.0 => "critical",
        s if s >= 7.0 => "high",
        s if s >= 4.0 => "medium",
        s if s > 0.0 => "low",
        _ => "none",
    }
}

/// The highest score among a document's CVSS vectors (top-level and per affected package),
/// with its rating; else a rating GitHub-style records state in `database_specific.severity`.
pub fn highest(doc: &Doc, raw: &serde_json::Value) -> (Option<f64>, Option<&'static str>) {
    let mut best: Option<f64> = None;
    let mut consider = |kind: &str, vector: &str| {
        if let Ok(s) = score(kind, vector) {
            best = Some(best.map_or(s, |b: f64| b.max(s)));
        }
    };
    for s in &doc.severity {
        consider(&s.kind, &s.score);
    }
    if let Some(affected) = raw.get("affected").and_then(|a| a.as_array()) {
        for a in affected {
            for s in a.get("severity").and_then(|s| s.as_array()).into_iter().flatten() {
                if let (Some(k), Some(v)) = (
                    s.get("type").and_then(|v| v.as_str()),
                    s.get("score").and_then(|v| v.as_str()),
                ) {
                    consider(k, v);
                }
            }
        }
    }
    if let Some(b) = best {
        return (Some(b), Some(rating(b)));
    }
    let stated = doc
        .database_specific
        .get("severity")
        .and_then(|v| v.as_str())
        .map(|s| s.to_ascii_lowercase());
    let rating = match stated.as_deref() {
        Some("critical") => Some("critical"),
        Some("high") => Some("high"),
        Some("moderate" | "medium") => Some("medium"),
        Some("low") => Some("low"),
        _ => None,
    };
    (None, rating)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_from_vectors() {
        let v3 = score("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap();
        assert_eq!(v3, 9.8);
        assert_eq!(rating(v3), "critical");
        let v3 = score("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H").unwrap();
        assert_eq!((v3, rating(v3)), (7.5, "high"));
        let v4 = score(
            "CVSS_V4",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        )
        .unwrap();
        assert_eq!(v4, 9.3);
        assert!(score("CVSS_V4", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").is_err());
        assert!(score("CVSS_V3", "CVSS:3.1/AV:X").is_err());
        assert!(score("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P").is_err());
    }
}
