//! The fixed list of categories a package may declare in `trove.toml`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

macro_rules! categories {
    ($($slug:literal, $name:literal, $desc:literal;)+) => {
        pub const CATEGORIES: &[Category] = &[$(Category { slug: $slug, name: $name, description: $desc }),+];
    };
}

categories! {
    "agents", "Agents", "Autonomous agents, tools and workflows built around language models.";
    "ai-models", "AI models", "Model weights, adapters, tokenizers and model cards.";
    "cli", "Command line", "Command-line applications and helpers for building them.";
    "cryptography", "Cryptography", "Ciphers, hashes, signatures and key management.";
    "data-science", "Data science", "Data frames, statistics, notebooks and visualisation.";
    "database", "Databases", "Database drivers, ORMs, migrations and storage engines.";
    "devops", "DevOps", "Deployment, configuration, CI/CD and infrastructure tooling.";
    "embedded", "Embedded", "Firmware, microcontrollers and resource-constrained targets.";
    "gui", "GUI", "Graphical user interfaces, widgets and desktop applications.";
    "networking", "Networking", "Protocols, clients, servers and network utilities.";
    "parsing", "Parsing", "Parsers, lexers, grammars and serialization formats.";
    "security", "Security", "Authentication, authorization, auditing and hardening.";
    "templates", "Templates", "Project scaffolds, starter kits and code generators.";
    "testing", "Testing", "Test frameworks, fixtures, mocks and benchmarking.";
    "utilities", "Utilities", "General-purpose helpers that fit nowhere else.";
    "web", "Web", "Web frameworks, HTTP, front-end assets and APIs.";
}

/// Whether `slug` is one of [`CATEGORIES`].
pub fn is_category(slug: &str) -> bool {
    CATEGORIES.iter().any(|c| c.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_sorted_and_well_formed() {
        assert!(CATEGORIES.windows(2).all(|w| w[0].slug < w[1].slug));
        for c in CATEGORIES {
            assert!(
                c.slug.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                c.slug
            );
        }
        assert!(is_category("cli") && is_category("ai-models") && !is_category("CLI"));
    }
}
