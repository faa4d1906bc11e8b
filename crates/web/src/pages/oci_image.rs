//! An OCI tag's image on its repository page: platforms of an index, layers and total size
//! of an image, config labels and manifest annotations, referrers (signatures, SBOMs,
//! attestations), and the form that deletes the tag for those allowed to.

use crate::fmt::{bytes, short_digest};
use crate::layout::csrf_field;
use maud::{html, Markup};
use trove_service::oci::ImageDetails;

/// Annotations shown by a friendlier name (the OCI pre-defined keys).
fn annotation_label(key: &str) -> &str {
    match key {
        "org.opencontainers.image.title" => "Title",
        "org.opencontainers.image.description" => "Description",
        "org.opencontainers.image.source" => "Source",
        "org.opencontainers.image.url" => "URL",
        "org.opencontainers.image.documentation" => "Documentation",
        "org.opencontainers.image.licenses" => "Licenses",
        "org.opencontainers.image.version" => "Version",
        "org.opencontainers.image.revision" => "Revision",
        "org.opencontainers.image.vendor" => "Vendor",
        "org.opencontainers.image.authors" => "Authors",
        "org.opencontainers.image.created" => "Created",
        "org.opencontainers.image.base.name" => "Base image",
        other => other,
    }
}

/// What a referrer is, in words.
fn artifact_label(artifact_type: Option<&str>, media_type: &str) -> &'static str {
    let t = artifact_type.unwrap_or(media_type).to_ascii_lowercase();
    if t.contains("cosign") || t.contains("signature") || t.contains("notary") {
        "Signature"
    } else if t.contains("spdx") || t.contains("cyclonedx") || t.contains("sbom") || t.contains("syft") {
        "SBOM"
    } else if t.contains("in-toto") || t.contains("attestation") || t.contains("provenance") {
        "Attestation"
    } else {
        "Artifact"
    }
}

/// A link for a web URL, else the text.
fn value(v: &str) -> Markup {
    let lower = v.to_ascii_lowercase();
    html! {
        @if lower.starts_with("https://") || lower.starts_with("http://") {
            a.ext href=(v) rel="nofollow noopener noreferrer" { (v) }
        } @else {
            (v)
        }
    }
}

/// The image section. `delete_form`: the management URL and CSRF token when the viewer may
/// delete tags.
pub fn section(d: &ImageDetails, delete_form: Option<(&str, &str)>) -> Markup {
    let shown: Vec<(&String, &String)> = d.annotations.iter().collect();
    html! {
        section #image .card aria-labelledby="image-title" {
            div.section-head {
                h2 #image-title { "Image " code { (d.tag) } }
                span.section-note {
                    @if let Some(i) = &d.image { (bytes(i.total_size as i64)) " compressed · " }
                    @else if !d.platforms.is_empty() { (d.platforms.iter().filter(|p| !p.attestation).count()) " platforms · " }
                    code title=(d.digest) { (short_digest(&d.digest)) }
                }
            }
            @if !d.platforms.is_empty() {
                h3 { "Platforms" }
                div.table-wrap {
                    table.table.platforms {
                        thead { tr { th scope="col" { "Platform" } th scope="col" { "Digest" } th scope="col" class="num" { "Layers" } th scope="col" class="num" { "Size" } } }
                        tbody {
                            @for p in &d.platforms {
                                tr {
                                    th scope="row" {
                                        (p.platform)
                                        @if p.attestation { " " span.badge { "attestation" } }
                                    }
                                    td { code title=(p.digest) { (short_digest(&p.digest)) } }
                                    td.num { (p.layers) }
                                    td.num { @match p.total_size { Some(s) => (bytes(s as i64)), None => "—" } }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(i) = &d.image {
                dl.facts {
                    @if let Some(p) = &i.platform { dt { "Platform" } dd { (p) } }
                    dt { "Total size" } dd { (bytes(i.total_size as i64)) }
                    dt { "Layers" } dd { (i.layers.len()) }
                    @if let Some(c) = &i.created { dt { "Created" } dd { (c) } }
                    dt { "Media type" } dd { code { (d.media_type) } }
                }
                @if !i.layers.is_empty() {
                    h3 { "Layers" }
                    div.table-wrap {
                        table.table.layers {
                            thead { tr { th scope="col" { "#" } th scope="col" { "Digest" } th scope="col" { "Type" } th scope="col" class="num" { "Size" } } }
                            tbody {
                                @for (n, l) in i.layers.iter().enumerate() {
                                    tr {
                                        th scope="row" { (n + 1) }
                                        td { code title=(l.digest) { (short_digest(&l.digest)) } }
                                        td.media-type { (l.media_type.rsplit('.').next().unwrap_or(&l.media_type)) }
                                        td.num { (bytes(l.size as i64)) }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !i.labels.is_empty() {
                    h3 { "Labels" }
                    dl.facts.labels {
                        @for (k, v) in &i.labels { dt { (annotation_label(k)) } dd { (value(v)) } }
                    }
                }
            }
            @if !shown.is_empty() {
                h3 { "Annotations" }
                dl.facts.labels {
                    @for (k, v) in shown { dt { (annotation_label(k)) } dd { (value(v)) } }
                }
            }
            h3 { "Referrers" }
            @if d.referrers.is_empty() {
                p.empty { "No signatures, SBOMs or attestations refer to this image." }
            } @else {
                ul.referrers {
                    @for r in &d.referrers {
                        li {
                            span.badge { (artifact_label(r.artifact_type.as_deref(), &r.media_type)) }
                            " " code title=(r.digest) { (short_digest(&r.digest)) }
                            @if let Some(t) = &r.artifact_type { " " span.section-note { (t) } }
                            " " span.section-note { (bytes(r.size)) }
                        }
                    }
                }
            }
            @if let Some((manage, csrf)) = delete_form {
                form.delete-tag method="post" action={ (manage) "/delete-tag" } {
                    (csrf_field(csrf))
                    input type="hidden" name="version" value=(d.tag);
                    label.check {
                        input type="checkbox" name="confirm" value="yes" required;
                        " Delete the tag " code { (d.tag) } " (the image stays reachable by its digest)"
                    }
                    button.btn.btn-danger.btn-small type="submit" { "Delete tag" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_are_named_by_their_type() {
        assert_eq!(
            artifact_label(Some("application/vnd.dev.cosign.artifact.sig.v1+json"), ""),
            "Signature"
        );
        assert_eq!(artifact_label(Some("application/spdx+json"), ""), "SBOM");
        assert_eq!(artifact_label(Some("application/vnd.in-toto+json"), ""), "Attestation");
        assert_eq!(
            artifact_label(None, "application/vnd.oci.image.manifest.v1+json"),
            "Artifact"
        );
        assert_eq!(annotation_label("org.opencontainers.image.source"), "Source");
    }
}
