//! Dependency resolution: a backtracking search over the registry's versions that picks, for
//! every package in the graph, the highest version that satisfies every requirement on it.
//!
//! - Yanked versions are never picked, except the exact version a lock file pins.
//! - Locked versions are tried first, so an unchanged project keeps its lock file.
//! - Pre-releases match only requirements that name a pre-release of the same
//!   `major.minor.patch` (semver's rule, as in Cargo): `^1.0` never picks `1.1.0-beta.1`.
//! - The next package decided is the one with the fewest remaining candidates, which finds
//!   conflicts early; when nothing works, the first conflict met is explained in plain words,
//!   naming the packages, their versions and the requirements that clash.
//!
//! The search is pure: the caller fetches the versions into an [`Index`] first.

use semver::{Version, VersionReq};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use trove_core::name::normalize;

/// Gives up after trying this many partial solutions.
const MAX_STEPS: usize = 100_000;

/// A dependency as a manifest states it.
#[derive(Debug, Clone)]
pub struct Dep {
    /// The name as written (`scope/name`).
    pub name: String,
    pub req: VersionReq,
    /// The requirement as written (`^1.2`).
    pub text: String,
}

impl Dep {
    pub fn parse(name: &str, req: &str) -> Result<Dep, String> {
        let parsed = VersionReq::parse(req.trim())
            .map_err(|e| format!("`{req}` is not a valid version requirement for `{name}`: {e}"))?;
        Ok(Dep {
            name: name.to_string(),
            req: parsed,
            text: req.trim().to_string(),
        })
    }
}

/// One published version of a package.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub version: Version,
    pub yanked: bool,
    pub deps: Vec<Dep>,
}

/// Every version the registry has of the packages reachable from the project.
#[derive(Debug, Default, Clone)]
pub struct Index {
    /// Normalized name → (display name, versions newest first). A name that is absent was
    /// not found on the registry.
    packages: BTreeMap<String, (String, Vec<Candidate>)>,
}

impl Index {
    /// Records the versions of `name` (in any order).
    pub fn insert(&mut self, name: &str, mut versions: Vec<Candidate>) {
        versions.sort_by(|a, b| b.version.cmp(&a.version));
        self.packages.insert(normalize(name), (name.to_string(), versions));
    }

    pub fn contains(&self, name: &str) -> bool {
        self.packages.contains_key(&normalize(name))
    }

    fn get(&self, norm: &str) -> Option<&(String, Vec<Candidate>)> {
        self.packages.get(norm)
    }
}

/// A package in the solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The name as the registry spells it.
    pub name: String,
    pub version: Version,
    pub yanked: bool,
    /// The normalized names of its dependencies (each also in the solution).
    pub deps: Vec<String>,
}

/// Normalized names of the decisions a failure depends on.
type Culprits = BTreeSet<String>;

/// Normalized name → chosen version.
pub type Resolution = BTreeMap<String, Resolved>;

/// Why no solution exists, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError(pub String);

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ResolveError {}

/// Who states a requirement: the project itself, or a chosen version of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirer {
    Root,
    Package(String, Version),
}

#[derive(Debug, Clone)]
struct Constraint {
    by: Requirer,
    /// The dependency's name as the requirer wrote it.
    written: String,
    req: VersionReq,
    text: String,
}

#[derive(Debug, Clone, Default)]
struct State {
    selected: BTreeMap<String, Version>,
    /// Every requirement on each package, in the order they were added.
    reqs: BTreeMap<String, Vec<Constraint>>,
}

struct Solver<'a> {
    index: &'a Index,
    locked: BTreeMap<String, Version>,
    steps: usize,
    conflict: Option<String>,
    gave_up: bool,
}

/// Resolves the project's dependencies. `locked` maps package names (any spelling) to the
/// versions a lock file pins; they are preferred, and allowed even when yanked.
pub fn resolve(index: &Index, root: &[Dep], locked: &BTreeMap<String, Version>) -> Result<Resolution, ResolveError> {
    let mut state = State::default();
    for d in root {
        state.reqs.entry(normalize(&d.name)).or_default().push(Constraint {
            by: Requirer::Root,
            written: d.name.clone(),
            req: d.req.clone(),
            text: d.text.clone(),
        });
    }
    let mut solver = Solver {
        index,
        locked: locked.iter().map(|(k, v)| (normalize(k), v.clone())).collect(),
        steps: 0,
        conflict: None,
        gave_up: false,
    };
    match solver.solve(state) {
        Ok(done) => Ok(solver.solution(&done)),
        Err(_) if solver.gave_up => Err(ResolveError(format!(
            "gave up resolving dependencies after trying {MAX_STEPS} combinations; pin some requirements more tightly{}",
            solver
                .conflict
                .map(|c| format!("\nthe first conflict found was: {c}"))
                .unwrap_or_default()
        ))),
        Err(_) => Err(ResolveError(
            solver
                .conflict
                .unwrap_or_else(|| "the dependencies cannot be resolved".to_string()),
        )),
    }
}

impl Solver<'_> {
    fn display(&self, norm: &str, fallback: &str) -> String {
        self.index
            .get(norm)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| fallback.to_string())
    }

    fn allowed(&self, norm: &str, c: &Candidate) -> bool {
        !c.yanked || self.locked.get(norm) == Some(&c.version)
    }

    /// Versions of `norm` that may be picked and satisfy every requirement, best first.
    fn candidates<'i>(&'i self, state: &State, norm: &str) -> Vec<&'i Candidate> {
        let Some((_, versions)) = self.index.get(norm) else {
            return Vec::new();
        };
        let reqs = state.reqs.get(norm).map(Vec::as_slice).unwrap_or_default();
        let mut out: Vec<&Candidate> = versions
            .iter()
            .filter(|c| self.allowed(norm, c) && reqs.iter().all(|r| r.req.matches(&c.version)))
            .collect();
        if let Some(pin) = self.locked.get(norm) {
            if let Some(i) = out.iter().position(|c| &c.version == pin) {
                let c = out.remove(i);
                out.insert(0, c);
            }
        }
        out
    }

    fn record(&mut self, conflict: String) {
        if self.conflict.is_none() {
            self.conflict = Some(conflict);
        }
    }

    /// The decisions that a failure to pick `norm` may hinge on: each package whose
    /// requirement on `norm` rules out some version it could otherwise have, or that has
    /// another version without `norm` at all. Requirements that rule out nothing, from
    /// packages that always need `norm`, are left out: changing them cannot help.
    fn culprits_for(&self, state: &State, norm: &str) -> Culprits {
        let versions = self.index.get(norm).map(|(_, v)| v.as_slice()).unwrap_or_default();
        let mut out = Culprits::new();
        for c in state.reqs.get(norm).map(Vec::as_slice).unwrap_or_default() {
            let Requirer::Package(name, _) = &c.by else {
                continue;
            };
            let r = normalize(name);
            let narrows = versions
                .iter()
                .any(|v| self.allowed(norm, v) && !c.req.matches(&v.version));
            let optional = self.index.get(&r).is_some_and(|(_, rv)| {
                rv.iter()
                    .any(|v| self.allowed(&r, v) && !v.deps.iter().any(|d| normalize(&d.name) == norm))
            });
            if narrows || optional {
                out.insert(r);
            }
        }
        out
    }

    /// Depth-first search with conflict-directed backjumping: a failed subtree reports the
    /// decisions its failure depends on, and levels not among them are skipped on the way up
    /// (so an unsatisfiable leaf deep in a long chain fails fast instead of trying every
    /// combination above it).
    fn solve(&mut self, state: State) -> Result<State, Culprits> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.gave_up = true;
            return Err(Culprits::new());
        }
        let next = state
            .reqs
            .keys()
            .filter(|n| !state.selected.contains_key(*n))
            .map(|n| (n.clone(), self.candidates(&state, n).len()))
            .min_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let Some((norm, _)) = next else {
            return Ok(state);
        };
        let candidates: Vec<Candidate> = self.candidates(&state, &norm).into_iter().cloned().collect();
        let mut culprits = self.culprits_for(&state, &norm);
        if candidates.is_empty() {
            let why = self.explain(&state, &norm);
            self.record(why);
            return Err(culprits);
        }
        let name = self.display(&norm, &norm);
        for cand in candidates {
            let mut next = state.clone();
            next.selected.insert(norm.clone(), cand.version.clone());
            let mut clash = None;
            for dep in &cand.deps {
                let dn = normalize(&dep.name);
                next.reqs.entry(dn.clone()).or_default().push(Constraint {
                    by: Requirer::Package(name.clone(), cand.version.clone()),
                    written: dep.name.clone(),
                    req: dep.req.clone(),
                    text: dep.text.clone(),
                });
                if next.selected.get(&dn).is_some_and(|v| !dep.req.matches(v)) {
                    clash = Some(dn);
                    break;
                }
            }
            if let Some(dn) = clash {
                let why = self.explain(&next, &dn);
                self.record(why);
                if dn != norm {
                    culprits.insert(dn);
                }
                continue;
            }
            match self.solve(next) {
                Ok(done) => return Ok(done),
                Err(cs) if self.gave_up || !cs.contains(&norm) => return Err(cs),
                Err(cs) => culprits.extend(cs.into_iter().filter(|n| *n != norm)),
            }
        }
        Err(culprits)
    }

    fn solution(&self, state: &State) -> Resolution {
        state
            .selected
            .iter()
            .map(|(norm, version)| {
                let (name, versions) = self.index.get(norm).expect("selected packages are indexed");
                let cand = versions
                    .iter()
                    .find(|c| &c.version == version)
                    .expect("selected versions are indexed");
                let deps: BTreeSet<String> = cand.deps.iter().map(|d| normalize(&d.name)).collect();
                (
                    norm.clone(),
                    Resolved {
                        name: name.clone(),
                        version: version.clone(),
                        yanked: cand.yanked,
                        deps: deps.into_iter().collect(),
                    },
                )
            })
            .collect()
    }

    /// "`alice/b` 1.0.0 (needed by `alice/a` 1.0.0, needed by your project)".
    fn describe(&self, state: &State, by: &Requirer) -> String {
        let Requirer::Package(name, version) = by else {
            return "your project".to_string();
        };
        let mut out = format!("`{name}` {version}");
        let mut chain = Vec::new();
        let mut seen = BTreeSet::from([normalize(name)]);
        let mut cur = normalize(name);
        while let Some(first) = state.reqs.get(&cur).and_then(|r| r.first()) {
            match &first.by {
                Requirer::Root => {
                    chain.push("your project".to_string());
                    break;
                }
                Requirer::Package(n, v) => {
                    chain.push(format!("`{n}` {v}"));
                    cur = normalize(n);
                    if !seen.insert(cur.clone()) {
                        break;
                    }
                }
            }
        }
        if !chain.is_empty() {
            let _ = write!(out, " (needed by {})", chain.join(", needed by "));
        }
        out
    }

    /// Explains why nothing can be picked for `norm` given the requirements in `state`.
    fn explain(&self, state: &State, norm: &str) -> String {
        let reqs = state.reqs.get(norm).cloned().unwrap_or_default();
        let written = reqs
            .first()
            .map(|r| r.written.clone())
            .unwrap_or_else(|| norm.to_string());
        let name = self.display(norm, &written);
        let lines: Vec<String> = reqs
            .iter()
            .map(|r| format!("  - {} requires `{name}` {}", self.describe(state, &r.by), r.text))
            .collect();
        let Some((_, versions)) = self.index.get(norm) else {
            return format!(
                "`{name}` was not found on the registry (it does not exist, or it is private and you may not see it):\n{}",
                lines.join("\n")
            );
        };
        if versions.is_empty() {
            return format!("`{name}` has no published versions:\n{}", lines.join("\n"));
        }
        let all_match = |v: &Version| reqs.iter().all(|r| r.req.matches(v));
        let mut out = if let Some(chosen) = state.selected.get(norm).filter(|v| !all_match(v)) {
            let satisfiable = versions.iter().any(|c| self.allowed(norm, c) && all_match(&c.version));
            if satisfiable {
                format!("`{name}` {chosen} was already chosen, but not every requirement accepts it:")
            } else {
                format!("no version of `{name}` satisfies every requirement:")
            }
        } else {
            format!("no version of `{name}` satisfies every requirement:")
        };
        out.push('\n');
        out.push_str(&lines.join("\n"));
        let shown: Vec<String> = versions
            .iter()
            .take(12)
            .map(|c| {
                if c.yanked {
                    format!("{} (yanked)", c.version)
                } else {
                    c.version.to_string()
                }
            })
            .collect();
        let more = versions.len().saturating_sub(shown.len());
        let _ = write!(
            out,
            "\n  versions of `{name}` on the registry: {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} older")
            } else {
                String::new()
            }
        );
        if let Some(y) = versions
            .iter()
            .find(|c| c.yanked && !self.allowed(norm, c) && all_match(&c.version))
        {
            let _ = write!(
                out,
                "\n  {} would satisfy them all, but it is yanked (yanked versions are only used when trove.lock pins them)",
                y.version
            );
        }
        if let Some(p) = versions.iter().find(|c| {
            let mut bare = c.version.clone();
            bare.pre = semver::Prerelease::EMPTY;
            !c.version.pre.is_empty() && self.allowed(norm, c) && !all_match(&c.version) && all_match(&bare)
        }) {
            let _ = write!(
                out,
                "\n  {} is a pre-release; pre-releases are only picked when a requirement names one (e.g. `^{}`)",
                p.version, p.version
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn dep(name: &str, req: &str) -> Dep {
        Dep::parse(name, req).unwrap()
    }

    /// `(name, version, yanked, dependencies)`
    type Entry<'a> = (&'a str, &'a str, bool, &'a [(&'a str, &'a str)]);

    /// `index(&[("a", "1.0.0", false, &[("b", "^1")])])`
    fn index(entries: &[Entry]) -> Index {
        let mut by_name: BTreeMap<&str, Vec<Candidate>> = BTreeMap::new();
        for (name, version, yanked, deps) in entries {
            by_name.entry(name).or_default().push(Candidate {
                version: v(version),
                yanked: *yanked,
                deps: deps.iter().map(|(n, r)| dep(n, r)).collect(),
            });
        }
        let mut idx = Index::default();
        for (name, versions) in by_name {
            idx.insert(name, versions);
        }
        idx
    }

    fn picked(r: &Resolution) -> Vec<String> {
        r.values().map(|p| format!("{} {}", p.name, p.version)).collect()
    }

    fn none() -> BTreeMap<String, Version> {
        BTreeMap::new()
    }

    #[test]
    fn picks_highest_compatible_versions_through_the_graph() {
        let idx = index(&[
            ("x/a", "1.0.0", false, &[("x/b", "^1.0")]),
            ("x/a", "1.1.0", false, &[("x/b", "^1.1")]),
            ("x/a", "2.0.0", false, &[]),
            ("x/b", "1.0.0", false, &[("x/c", "~0.3")]),
            ("x/b", "1.1.0", false, &[("x/c", "~0.3")]),
            ("x/b", "1.2.0", false, &[("x/c", "~0.3")]),
            ("x/c", "0.3.0", false, &[]),
            ("x/c", "0.3.9", false, &[]),
            ("x/c", "0.4.0", false, &[]),
        ]);
        let r = resolve(&idx, &[dep("x/a", "^1")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/a 1.1.0", "x/b 1.2.0", "x/c 0.3.9"]);
        assert_eq!(r["x/a"].deps, ["x/b"]);
    }

    #[test]
    fn backtracks_to_an_older_version_that_fits() {
        // a 2.0 needs c ^2 but the project needs c ^1: a 1.x must be chosen.
        let idx = index(&[
            ("x/a", "1.0.0", false, &[("x/c", "^1")]),
            ("x/a", "2.0.0", false, &[("x/c", "^2")]),
            ("x/c", "1.0.0", false, &[]),
            ("x/c", "2.0.0", false, &[]),
        ]);
        let r = resolve(&idx, &[dep("x/a", "*"), dep("x/c", "^1")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/a 1.0.0", "x/c 1.0.0"]);
    }

    #[test]
    fn conflicts_are_explained_with_the_chain_of_requirers() {
        let idx = index(&[
            ("x/a", "1.0.0", false, &[("x/b", "^1")]),
            ("x/b", "1.0.0", false, &[("x/c", "^1.0")]),
            ("x/c", "1.0.0", false, &[]),
            ("x/c", "2.0.0", false, &[]),
        ]);
        let err = resolve(&idx, &[dep("x/a", "^1"), dep("x/c", "^2")], &none()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no version of `x/c` satisfies every requirement"), "{msg}");
        assert!(msg.contains("your project requires `x/c` ^2"), "{msg}");
        assert!(
            msg.contains("`x/b` 1.0.0 (needed by `x/a` 1.0.0, needed by your project) requires `x/c` ^1.0"),
            "{msg}"
        );
        assert!(msg.contains("versions of `x/c` on the registry: 2.0.0, 1.0.0"), "{msg}");
    }

    #[test]
    fn missing_packages_and_empty_ones_are_named() {
        let idx = index(&[("x/a", "1.0.0", false, &[("x/ghost", "^1")])]);
        let msg = resolve(&idx, &[dep("x/a", "^1")], &none()).unwrap_err().to_string();
        assert!(msg.contains("`x/ghost` was not found on the registry"), "{msg}");
        assert!(
            msg.contains("`x/a` 1.0.0 (needed by your project) requires `x/ghost` ^1"),
            "{msg}"
        );

        let mut idx = Index::default();
        idx.insert("x/empty", Vec::new());
        let msg = resolve(&idx, &[dep("x/empty", "*")], &none()).unwrap_err().to_string();
        assert!(msg.contains("`x/empty` has no published versions"), "{msg}");
    }

    #[test]
    fn yanked_versions_are_skipped_unless_locked() {
        let idx = index(&[("x/c", "1.0.0", false, &[]), ("x/c", "1.1.0", true, &[])]);
        let r = resolve(&idx, &[dep("x/c", "^1")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/c 1.0.0"]);
        let locked = BTreeMap::from([("x/c".to_string(), v("1.1.0"))]);
        let r = resolve(&idx, &[dep("x/c", "^1")], &locked).unwrap();
        assert_eq!(picked(&r), ["x/c 1.1.0"]);
        assert!(r["x/c"].yanked);
        // When only a yanked version fits, the message says so.
        let msg = resolve(&idx, &[dep("x/c", "^1.1")], &none()).unwrap_err().to_string();
        assert!(msg.contains("1.1.0 would satisfy them all, but it is yanked"), "{msg}");
        assert!(msg.contains("1.1.0 (yanked), 1.0.0"), "{msg}");
    }

    #[test]
    fn locked_versions_are_preferred_while_they_still_fit() {
        let idx = index(&[
            ("x/c", "1.0.0", false, &[]),
            ("x/c", "1.5.0", false, &[]),
            ("x/c", "2.0.0", false, &[]),
        ]);
        let locked = BTreeMap::from([("x/c".to_string(), v("1.0.0"))]);
        let r = resolve(&idx, &[dep("x/c", "^1")], &locked).unwrap();
        assert_eq!(picked(&r), ["x/c 1.0.0"]);
        // The requirement moved past the pin: the highest fitting version wins.
        let r = resolve(&idx, &[dep("x/c", "^2")], &locked).unwrap();
        assert_eq!(picked(&r), ["x/c 2.0.0"]);
    }

    #[test]
    fn prereleases_only_when_asked() {
        let idx = index(&[
            ("x/c", "1.0.0", false, &[]),
            ("x/c", "1.1.0-beta.1", false, &[]),
            ("x/d", "2.0.0-rc.1", false, &[]),
        ]);
        let r = resolve(&idx, &[dep("x/c", "^1")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/c 1.0.0"]);
        let r = resolve(&idx, &[dep("x/c", "^1.1.0-beta")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/c 1.1.0-beta.1"]);
        let msg = resolve(&idx, &[dep("x/d", ">=1.0")], &none()).unwrap_err().to_string();
        assert!(msg.contains("2.0.0-rc.1 is a pre-release"), "{msg}");
        let r = resolve(&idx, &[dep("x/d", "=2.0.0-rc.1")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/d 2.0.0-rc.1"]);
    }

    #[test]
    fn cycles_and_name_spellings_resolve_once() {
        let idx = index(&[
            ("x/a-b", "1.0.0", false, &[("x/c", "^1")]),
            ("x/c", "1.0.0", false, &[("x/a_b", "^1")]),
        ]);
        let r = resolve(&idx, &[dep("x/a.b", "^1")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/a-b 1.0.0", "x/c 1.0.0"]);
    }

    #[test]
    fn a_clash_with_an_already_chosen_version_is_explained() {
        // b is decided first (one candidate); a 2.0 then wants another b.
        let idx = index(&[
            ("x/a", "2.0.0", false, &[("x/b", "^2")]),
            ("x/a", "1.0.0", false, &[("x/b", "^2")]),
            ("x/b", "1.0.0", false, &[]),
            ("x/b", "2.0.0", false, &[]),
        ]);
        let msg = resolve(&idx, &[dep("x/a", "*"), dep("x/b", "=1.0.0")], &none())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("no version of `x/b` satisfies every requirement"), "{msg}");
        assert!(msg.contains("your project requires `x/b` =1.0.0"), "{msg}");
        assert!(
            msg.contains("`x/a` 2.0.0 (needed by your project) requires `x/b` ^2"),
            "{msg}"
        );
    }

    #[test]
    fn a_dead_end_deep_in_a_long_chain_fails_fast() {
        // 20 packages with 8 versions each in a chain whose last link can never be satisfied:
        // 8^20 combinations for naive backtracking, a few hundred steps with backjumping.
        type Owned = (String, String, Vec<(String, String)>);
        let mut entries: Vec<Owned> = Vec::new();
        for i in 0..20 {
            for minor in 0..8 {
                let deps = if i == 19 {
                    vec![("x/never".to_string(), "^9".to_string())]
                } else {
                    vec![(format!("x/p{}", i + 1), "^1".to_string())]
                };
                entries.push((format!("x/p{i}"), format!("1.{minor}.0"), deps));
            }
        }
        let mut idx = Index::default();
        let mut grouped: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
        for (n, ver, deps) in &entries {
            grouped.entry(n.clone()).or_default().push(Candidate {
                version: v(ver),
                yanked: false,
                deps: deps.iter().map(|(n, r)| dep(n, r)).collect(),
            });
        }
        for (n, vs) in grouped {
            idx.insert(&n, vs);
        }
        idx.insert(
            "x/never",
            vec![Candidate {
                version: v("1.0.0"),
                yanked: false,
                deps: vec![],
            }],
        );
        let msg = resolve(&idx, &[dep("x/p0", "^1")], &none()).unwrap_err().to_string();
        assert!(!msg.contains("gave up"), "{msg}");
        assert!(
            msg.contains("no version of `x/never` satisfies every requirement"),
            "{msg}"
        );
        assert!(msg.contains("`x/p19` 1.7.0 (needed by `x/p18` 1.7.0"), "{msg}");
    }
}
