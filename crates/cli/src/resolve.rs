//! Dependency resolution with [PubGrub](https://docs.rs/pubgrub): for every package in the
//! graph, the highest version that satisfies every requirement on it; when there is none,
//! the whole chain of reasons, step by step, from PubGrub's derivation tree.
//!
//! - Yanked versions are never picked, except the exact version a lock file pins.
//! - Locked versions are tried first, so an unchanged project keeps its lock file.
//! - Pre-releases match only requirements that name a pre-release of the same
//!   `major.minor.patch` (semver's rule, as in Cargo): `^1.0` never picks `1.1.0-beta.1`.
//! - A requirement stands for the set of candidates it matches ([`Versions`]), so semver's
//!   matching rules apply exactly as [`VersionReq::matches`] states them.
//! - Names are compared normalized ([`normalize`]): `x/a-b` and `x/a_b` are one package.
//!
//! The search is pure: the caller fetches the versions into an [`Index`] first.

use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyProvider, DerivationTree, Derived, External, Map,
    PackageResolutionStatistics, PubGrubError, ReportFormatter, Reporter, Term, VersionSet,
};
use semver::{Version, VersionReq};
use std::cell::Cell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use trove_core::name::normalize;

/// Gives up after this many solver steps (each one decision or backtrack).
const MAX_STEPS: usize = 200_000;

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

/// Normalized name → chosen version.
pub type Resolution = BTreeMap<String, Resolved>;

/// Why no solution exists, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveError(pub String);

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ResolveError {}

/// Resolves the project's dependencies. `locked` maps package names (any spelling) to the
/// versions a lock file pins; they are preferred, and allowed even when yanked.
pub fn resolve(index: &Index, root: &[Dep], locked: &BTreeMap<String, Version>) -> Result<Resolution, ResolveError> {
    let provider = Provider::new(index, root, locked);
    match pubgrub::resolve(&provider, Pkg::Root, ROOT_VERSION) {
        Ok(solution) => Ok(solution
            .into_iter()
            .filter_map(|(pkg, version)| provider.resolved(&pkg, version))
            .collect()),
        Err(PubGrubError::NoSolution(tree)) => Err(ResolveError(provider.explain(&tree))),
        Err(PubGrubError::ErrorInShouldCancel(_)) => Err(ResolveError(format!(
            "gave up resolving dependencies after {MAX_STEPS} steps; pin some requirements more tightly"
        ))),
        Err(e) => Err(ResolveError(format!("the dependencies cannot be resolved: {e}"))),
    }
}

/// The version of the project itself, which is never shown.
const ROOT_VERSION: Version = Version::new(0, 0, 0);

/// A package as the solver sees it: the project, or a registry package known by its
/// normalized name (the display name rides along and plays no part in equality).
#[derive(Debug, Clone)]
enum Pkg {
    Root,
    Named { norm: Arc<str>, name: Arc<str> },
}

impl Pkg {
    fn norm(&self) -> Option<&str> {
        match self {
            Pkg::Root => None,
            Pkg::Named { norm, .. } => Some(norm),
        }
    }
}

impl PartialEq for Pkg {
    fn eq(&self, other: &Self) -> bool {
        self.norm() == other.norm()
    }
}

impl Eq for Pkg {}

impl Hash for Pkg {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.norm().hash(state)
    }
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("your project"),
            Pkg::Named { name, .. } => write!(f, "`{name}`"),
        }
    }
}

/// A requirement as written, kept on the version set made from it for explanations.
#[derive(Debug)]
struct Req {
    text: String,
    req: VersionReq,
}

/// A set of versions of one package, as PubGrub's [`VersionSet`]: either finitely many
/// versions (the candidates a requirement matches), or every version but finitely many.
/// Such sets are closed under complement, intersection and union, and `listed` (sorted, no
/// duplicates) makes each one's form unique, so equality is the structural one.
#[derive(Debug, Clone)]
pub struct Versions {
    listed: Arc<[Version]>,
    /// Every version except `listed`.
    inverted: bool,
    /// The requirement this set was made from (not part of equality).
    req: Option<Arc<Req>>,
}

impl Versions {
    fn of(listed: Vec<Version>, req: Option<Arc<Req>>) -> Versions {
        Versions {
            listed: listed.into(),
            inverted: false,
            req,
        }
    }

    /// Applies the membership rule `op` (e.g. `&&` for an intersection) to two sets.
    fn combine(&self, other: &Self, op: impl Fn(bool, bool) -> bool) -> Self {
        // A version listed in neither set is in both, or neither, as their flags say.
        let inverted = op(self.inverted, other.inverted);
        let (a, b) = (&self.listed[..], &other.listed[..]);
        let (mut i, mut j) = (0, 0);
        let mut listed = Vec::new();
        while i < a.len() || j < b.len() {
            let order = match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                _ => Ordering::Greater,
            };
            let (v, in_a, in_b) = match order {
                Ordering::Less => (&a[i], true, false),
                Ordering::Greater => (&b[j], false, true),
                Ordering::Equal => (&a[i], true, true),
            };
            i += usize::from(order != Ordering::Greater);
            j += usize::from(order != Ordering::Less);
            if op(in_a != self.inverted, in_b != other.inverted) != inverted {
                listed.push(v.clone());
            }
        }
        let out = Versions {
            listed: listed.into(),
            inverted,
            req: None,
        };
        // Keep the requirement of an operand the result equals, so explanations can name it.
        if out == *self {
            self.clone()
        } else if out == *other {
            other.clone()
        } else {
            out
        }
    }
}

impl PartialEq for Versions {
    fn eq(&self, other: &Self) -> bool {
        self.inverted == other.inverted && self.listed == other.listed
    }
}

impl Eq for Versions {}

impl fmt::Display for Versions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.req {
            return f.write_str(&r.text);
        }
        let listed: Vec<String> = self.listed.iter().map(Version::to_string).collect();
        match (self.inverted, listed.is_empty()) {
            (false, true) => f.write_str("(no version)"),
            (true, true) => f.write_str("*"),
            (false, false) => write!(f, "{}", listed.join(" | ")),
            (true, false) => write!(f, "except {}", listed.join(" | ")),
        }
    }
}

impl VersionSet for Versions {
    type V = Version;

    fn empty() -> Self {
        Versions::of(Vec::new(), None)
    }

    fn full() -> Self {
        Versions {
            inverted: true,
            ..Versions::empty()
        }
    }

    fn singleton(v: Version) -> Self {
        Versions::of(vec![v], None)
    }

    fn complement(&self) -> Self {
        Versions {
            listed: self.listed.clone(),
            inverted: !self.inverted,
            req: None,
        }
    }

    fn intersection(&self, other: &Self) -> Self {
        self.combine(other, |a, b| a && b)
    }

    fn union(&self, other: &Self) -> Self {
        self.combine(other, |a, b| a || b)
    }

    fn contains(&self, v: &Version) -> bool {
        self.listed.binary_search(v).is_ok() != self.inverted
    }
}

/// A registry package as the solver uses it.
struct Known<'a> {
    pkg: Pkg,
    /// Every version on the registry, newest first (for explanations).
    all: &'a [Candidate],
    /// The versions that may be picked (not yanked, or pinned by the lock), oldest first.
    usable: Vec<&'a Candidate>,
}

/// The solver's stopping condition: too many steps.
#[derive(Debug)]
struct GaveUp;

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many steps")
    }
}

impl std::error::Error for GaveUp {}

/// PubGrub's view of an [`Index`].
struct Provider<'a> {
    /// Normalized name → package; a name that is absent was not found on the registry.
    known: HashMap<&'a str, Known<'a>>,
    locked: BTreeMap<String, Version>,
    root: &'a [Dep],
    steps: Cell<usize>,
}

impl<'a> Provider<'a> {
    fn new(index: &'a Index, root: &'a [Dep], locked: &BTreeMap<String, Version>) -> Provider<'a> {
        let locked: BTreeMap<String, Version> = locked.iter().map(|(k, v)| (normalize(k), v.clone())).collect();
        let known = index
            .packages
            .iter()
            .map(|(norm, (name, all))| {
                let pin = locked.get(norm);
                let mut usable: Vec<&Candidate> = all.iter().filter(|c| !c.yanked || pin == Some(&c.version)).collect();
                usable.reverse();
                let pkg = Pkg::Named {
                    norm: norm.as_str().into(),
                    name: name.as_str().into(),
                };
                (norm.as_str(), Known { pkg, all, usable })
            })
            .collect();
        Provider {
            known,
            locked,
            root,
            steps: Cell::new(0),
        }
    }

    fn known(&self, pkg: &Pkg) -> Option<&Known<'a>> {
        self.known.get(pkg.norm()?)
    }

    fn candidate(&self, pkg: &Pkg, version: &Version) -> Option<&'a Candidate> {
        let usable = &self.known(pkg)?.usable;
        let i = usable.binary_search_by(|c| c.version.cmp(version)).ok()?;
        Some(usable[i])
    }

    /// The usable versions of `pkg` in `set`, oldest first.
    fn members(&self, pkg: &Pkg, set: &Versions) -> Vec<&'a Version> {
        let Some(k) = self.known(pkg) else {
            return Vec::new();
        };
        k.usable
            .iter()
            .map(|c| &c.version)
            .filter(|v| set.contains(v))
            .collect()
    }

    /// The requirements, one per package, of the project or of one version of a package:
    /// each the set of usable candidates it matches. Two requirements on one package (in two
    /// spellings of its name) are one requirement matching both.
    fn requirements(&self, deps: &[Dep]) -> Vec<(Pkg, Versions)> {
        let mut out: Vec<(Pkg, Versions)> = Vec::new();
        for d in deps {
            let norm = normalize(&d.name);
            let known = self.known.get(norm.as_str());
            let listed: Vec<Version> = known
                .map(|k| {
                    k.usable
                        .iter()
                        .filter(|c| d.req.matches(&c.version))
                        .map(|c| c.version.clone())
                        .collect()
                })
                .unwrap_or_default();
            let req = Req {
                text: d.text.clone(),
                req: d.req.clone(),
            };
            let set = Versions::of(listed, Some(Arc::new(req)));
            let pkg = known.map(|k| k.pkg.clone()).unwrap_or_else(|| Pkg::Named {
                norm: norm.as_str().into(),
                name: d.name.as_str().into(),
            });
            match out.iter_mut().find(|(p, _)| *p == pkg) {
                Some((_, prev)) => {
                    let both = Req {
                        text: format!("{prev}, {set}"),
                        req: VersionReq {
                            comparators: (prev.req.iter().chain(&set.req))
                                .flat_map(|r| r.req.comparators.clone())
                                .collect(),
                        },
                    };
                    *prev = Versions {
                        req: Some(Arc::new(both)),
                        ..prev.intersection(&set)
                    };
                }
                None => out.push((pkg, set)),
            }
        }
        out
    }

    fn resolved(&self, pkg: &Pkg, version: Version) -> Option<(String, Resolved)> {
        let Pkg::Named { norm, name } = pkg else {
            return None;
        };
        let cand = self.candidate(pkg, &version).expect("picked versions are candidates");
        let deps: BTreeSet<String> = cand.deps.iter().map(|d| normalize(&d.name)).collect();
        Some((
            norm.to_string(),
            Resolved {
                name: name.to_string(),
                version,
                yanked: cand.yanked,
                deps: deps.into_iter().collect(),
            },
        ))
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Pkg;
    type V = Version;
    type VS = Versions;
    /// Packages in more conflicts first, then those with the fewest versions left.
    type Priority = (u32, Reverse<usize>);
    type M = String;
    type Err = GaveUp;

    fn prioritize(&self, pkg: &Pkg, range: &Versions, stats: &PackageResolutionStatistics) -> Self::Priority {
        match pkg {
            Pkg::Root => (u32::MAX, Reverse(0)),
            _ => (stats.conflict_count(), Reverse(self.members(pkg, range).len())),
        }
    }

    /// The locked version while it is allowed, else the highest allowed one.
    fn choose_version(&self, pkg: &Pkg, range: &Versions) -> Result<Option<Version>, GaveUp> {
        let Some(k) = self.known(pkg) else {
            return Ok(Some(ROOT_VERSION).filter(|v| *pkg == Pkg::Root && range.contains(v)));
        };
        if let Some(pin) = pkg.norm().and_then(|n| self.locked.get(n)) {
            if range.contains(pin) && self.candidate(pkg, pin).is_some() {
                return Ok(Some(pin.clone()));
            }
        }
        Ok(k.usable
            .iter()
            .rev()
            .map(|c| &c.version)
            .find(|v| range.contains(v))
            .cloned())
    }

    fn get_dependencies(&self, pkg: &Pkg, version: &Version) -> Result<Dependencies<Pkg, Versions, String>, GaveUp> {
        let deps = match pkg {
            Pkg::Root => self.root,
            _ => match self.candidate(pkg, version) {
                Some(c) => &c.deps[..],
                None => return Ok(Dependencies::Unavailable("it is not on the registry".to_string())),
            },
        };
        let mut reqs = self.requirements(deps);
        // A package that depends on itself is satisfied by its own version, or never.
        if let Some(i) = reqs.iter().position(|(p, _)| p == pkg) {
            let (_, set) = reqs.remove(i);
            if !set.contains(version) {
                return Ok(Dependencies::Unavailable(format!("it depends on itself at {set}")));
            }
        }
        Ok(Dependencies::Available(reqs.into_iter().collect()))
    }

    fn should_cancel(&self) -> Result<(), GaveUp> {
        self.steps.set(self.steps.get() + 1);
        if self.steps.get() > MAX_STEPS {
            return Err(GaveUp);
        }
        Ok(())
    }
}

// Explanations ################################################################################

/// "1.0.0", "1.0.0 or 1.2.0", "1.0.0 through 1.7.0": some of the usable versions of a package
/// (`some`, oldest first) out of all of them (`usable`).
fn list_versions(some: &[&Version], usable: &[&Candidate]) -> String {
    let strs: Vec<String> = some.iter().map(|v| v.to_string()).collect();
    let first = some
        .first()
        .and_then(|v0| usable.iter().position(|c| &c.version == *v0));
    let contiguous = first
        .is_some_and(|i| usable[i..].iter().zip(some).all(|(c, v)| &c.version == *v) && usable.len() - i >= some.len());
    match strs.as_slice() {
        [] => "(no version)".to_string(),
        [one] => one.clone(),
        [.., last] if contiguous && strs.len() > 3 => format!("{} through {last}", strs[0]),
        [init @ .., last] if strs.len() <= 4 => format!("{} or {last}", init.join(", ")),
        _ => format!("{} and {} more", strs[..3].join(", "), strs.len() - 3),
    }
}

/// "versions of `x/c` on the registry: 2.0.0, 1.1.0 (yanked), 1.0.0".
fn registry_versions(name: &Pkg, all: &[Candidate]) -> String {
    let shown: Vec<String> = all
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
    let more = all.len().saturating_sub(shown.len());
    format!(
        "versions of {name} on the registry: {}{}",
        shown.join(", "),
        if more > 0 {
            format!(" and {more} older")
        } else {
            String::new()
        }
    )
}

impl Provider<'_> {
    /// The report: PubGrub's derivation, one step a line, in the words of [`Words`], then
    /// hints about yanked versions and pre-releases that the requirements nearly allow.
    fn explain(&self, tree: &DerivationTree<Pkg, Versions, String>) -> String {
        let mut out = DefaultStringReporter::report_with_formatter(tree, &Words(self));
        let mut externals = Vec::new();
        collect_externals(tree, &mut externals);
        let mut reqs: BTreeMap<&str, Vec<(String, VersionReq)>> = BTreeMap::new();
        let mut listed = BTreeSet::new();
        for e in &externals {
            // The versions there are of a package that none could be picked from.
            if let External::FromDependencyOf(_, _, d, set) | External::NoVersions(d, set) = e {
                if let Some(k) = self.known(d).filter(|k| !k.all.is_empty()) {
                    if self.members(d, set).is_empty() && listed.insert(d.norm()) {
                        out.push_str(&format!("\n{}", registry_versions(d, k.all)));
                    }
                }
            }
        }
        for e in externals {
            if let External::FromDependencyOf(p, sp, d, sd) = e {
                if let Some(norm) = d.norm() {
                    let list = reqs.entry(norm).or_default();
                    for r in self.written(p, sp, d, sd) {
                        if !list.iter().any(|(t, _)| *t == r.0) {
                            list.push(r);
                        }
                    }
                }
            }
        }
        for (norm, reqs) in reqs {
            let Some(k) = self.known.get(norm) else {
                continue;
            };
            let texts: Vec<&str> = reqs.iter().map(|(t, _)| t.as_str()).collect();
            let all_match = |v: &Version| reqs.iter().all(|(_, r)| r.matches(v));
            let usable = |c: &Candidate| k.usable.iter().any(|u| u.version == c.version);
            if k.usable.iter().any(|c| all_match(&c.version)) {
                continue; // not what went wrong
            }
            if let Some(y) = k.all.iter().find(|c| !usable(c) && all_match(&c.version)) {
                out.push_str(&format!(
                    "\n{} {} would satisfy {}, but it is yanked (yanked versions are only used when trove.lock pins them)",
                    k.pkg,
                    y.version,
                    texts.join(" and ")
                ));
            }
            if let Some(p) = k.usable.iter().find(|c| {
                let mut bare = c.version.clone();
                bare.pre = semver::Prerelease::EMPTY;
                !c.version.pre.is_empty() && !all_match(&c.version) && all_match(&bare)
            }) {
                out.push_str(&format!(
                    "\n{} {} is a pre-release; pre-releases are only picked when a requirement names one (e.g. `^{}`)",
                    k.pkg, p.version, p.version
                ));
            }
        }
        out
    }

    /// The requirements on `d` as written by the versions `sp` of `p`: the one `sd` was made
    /// from, or else (for sets PubGrub merged) those found in the index.
    fn written(&self, p: &Pkg, sp: &Versions, d: &Pkg, sd: &Versions) -> Vec<(String, VersionReq)> {
        if let Some(r) = &sd.req {
            return vec![(r.text.clone(), r.req.clone())];
        }
        let lists: Vec<&[Dep]> = match self.known(p) {
            None => vec![self.root],
            Some(k) => k
                .usable
                .iter()
                .filter(|c| sp.contains(&c.version))
                .map(|c| &c.deps[..])
                .collect(),
        };
        let mut out: Vec<(String, VersionReq)> = Vec::new();
        for dep in lists.into_iter().flatten() {
            if normalize(&dep.name).as_str() == d.norm().unwrap_or_default() && !out.iter().any(|(t, _)| *t == dep.text)
            {
                out.push((dep.text.clone(), dep.req.clone()));
            }
        }
        out
    }

    /// "`x/b` 1.0.0", "`x/b` ^1", "every version of `x/b`", "your project".
    fn subject(&self, pkg: &Pkg, set: &Versions) -> String {
        let Some(k) = self.known(pkg) else {
            return match (pkg, &set.req) {
                (Pkg::Root, _) => pkg.to_string(),
                (_, Some(r)) => format!("{pkg} {}", r.text),
                _ => pkg.to_string(),
            };
        };
        if let Some(r) = &set.req {
            return format!("{pkg} {}", r.text);
        }
        let some = self.members(pkg, set);
        if some.len() == k.usable.len() && some.len() > 1 {
            return format!("every version of {pkg}");
        }
        format!("{pkg} {}", list_versions(&some, &k.usable))
    }

    /// What a requirement on `pkg` allows: "`x/c` ^1.0", or `pkg` alone for any version.
    fn object(&self, pkg: &Pkg, set: &Versions) -> String {
        if let Some(r) = &set.req {
            return format!("{pkg} {}", r.text);
        }
        match self.known(pkg) {
            Some(k) => {
                let some = self.members(pkg, set);
                if some.len() == k.usable.len() && !some.is_empty() {
                    pkg.to_string()
                } else {
                    format!("{pkg} {}", list_versions(&some, &k.usable))
                }
            }
            None => pkg.to_string(),
        }
    }

    /// Why `texts` (requirements on `pkg`) match no usable version.
    fn nothing_matches(&self, pkg: &Pkg, texts: &str) -> String {
        match self.known(pkg) {
            None => format!(
                "{pkg} was not found on the registry: it does not exist, or it is private and you may not see it"
            ),
            Some(k) if k.all.is_empty() => format!("{pkg} has no published versions"),
            Some(_) => format!("no version of {pkg} matches {texts}"),
        }
    }
}

fn collect_externals<'t>(
    tree: &'t DerivationTree<Pkg, Versions, String>,
    out: &mut Vec<&'t External<Pkg, Versions, String>>,
) {
    match tree {
        DerivationTree::External(e) => out.push(e),
        DerivationTree::Derived(d) => {
            collect_externals(&d.cause1, out);
            collect_externals(&d.cause2, out);
        }
    }
}

/// PubGrub's report in Trove's words.
struct Words<'p, 'a>(&'p Provider<'a>);

type Terms = Map<Pkg, Term<Versions>>;
type Ext = External<Pkg, Versions, String>;
type Der = Derived<Pkg, Versions, String>;

impl Words<'_, '_> {
    /// "the requirements of `p` on `d`": "`x/b` 1.0.0 depends on `x/c` ^1.0".
    fn dependency(&self, p: &Pkg, sp: &Versions, d: &Pkg, sd: &Versions) -> String {
        let pv = self.0;
        let written = pv.written(p, sp, d, sd);
        let texts: Vec<&str> = written.iter().map(|(t, _)| t.as_str()).collect();
        let object = if sd.req.is_none() && !texts.is_empty() {
            format!("{d} {}", texts.join(" or "))
        } else {
            pv.object(d, sd)
        };
        let mut out = format!("{} depends on {object}", pv.subject(p, sp));
        if pv.members(d, sd).is_empty() {
            let texts = if texts.is_empty() {
                sd.to_string()
            } else {
                texts.join(" or ")
            };
            out.push_str(&format!(" ({})", pv.nothing_matches(d, &texts)));
        }
        out
    }

    /// Two reasons joined by "and", the project's own requirements shortened to one clause.
    fn both(&self, e1: &Ext, e2: &Ext) -> String {
        if let (External::FromDependencyOf(Pkg::Root, _, d1, s1), External::FromDependencyOf(Pkg::Root, _, d2, s2)) =
            (e1, e2)
        {
            if !self.0.members(d1, s1).is_empty() && !self.0.members(d2, s2).is_empty() {
                return format!(
                    "your project depends on {} and {}",
                    self.0.object(d1, s1),
                    self.0.object(d2, s2)
                );
            }
        }
        format!("{} and {}", self.format_external(e1), self.format_external(e2))
    }
}

impl ReportFormatter<Pkg, Versions, String> for Words<'_, '_> {
    type Output = String;

    fn format_external(&self, external: &Ext) -> String {
        let pv = self.0;
        match external {
            External::NotRoot(..) => "your project is being resolved".to_string(),
            External::NoVersions(p, set) => format!(
                "{} is required ({})",
                pv.object(p, set),
                pv.nothing_matches(p, &set.to_string())
            ),
            External::Custom(p, set, why) => format!("{} cannot be used: {why}", pv.subject(p, set)),
            External::FromDependencyOf(p, sp, d, sd) => self.dependency(p, sp, d, sd),
        }
    }

    fn format_terms(&self, terms: &Terms) -> String {
        let pv = self.0;
        let mut terms: Vec<(&Pkg, &Term<Versions>)> = terms.iter().collect();
        // Positive terms first (the project, then by name), for "X depends on Y".
        terms.sort_by_key(|(p, t)| (!matches!(t, Term::Positive(_)), p.norm()));
        match terms.as_slice() {
            [] | [(Pkg::Root, Term::Positive(_))] => "the dependencies cannot be resolved".to_string(),
            [(p, Term::Positive(s))] => {
                let subject = pv.subject(p, s);
                if let Some(r) = &s.req {
                    format!("no version of {p} matching {} can be used", r.text)
                } else if subject.starts_with("every version of ") {
                    format!("no version of {p} can be used")
                } else {
                    format!("{subject} cannot be used")
                }
            }
            [(p, Term::Negative(s))] => format!("{} is required", pv.object(p, s)),
            [(p1, Term::Positive(s1)), (p2, Term::Negative(s2))] => {
                format!("{} depends on {}", pv.subject(p1, s1), pv.object(p2, s2))
            }
            _ => {
                let parts: Vec<String> = terms
                    .iter()
                    .map(|(p, t)| match t {
                        Term::Positive(s) => pv.subject(p, s),
                        Term::Negative(s) => format!("{p} outside {}", pv.object(p, s)),
                    })
                    .collect();
                match parts.as_slice() {
                    [a, b] => format!("{a} cannot be used together with {b}"),
                    _ => format!("{} cannot be used together", parts.join(", ")),
                }
            }
        }
    }

    fn explain_both_external(&self, e1: &Ext, e2: &Ext, terms: &Terms) -> String {
        format!("Because {}, {}.", self.both(e1, e2), self.format_terms(terms))
    }

    fn explain_both_ref(&self, id1: usize, d1: &Der, id2: usize, d2: &Der, terms: &Terms) -> String {
        format!(
            "Because {} ({id1}) and {} ({id2}), {}.",
            self.format_terms(&d1.terms),
            self.format_terms(&d2.terms),
            self.format_terms(terms)
        )
    }

    fn explain_ref_and_external(&self, id: usize, d: &Der, e: &Ext, terms: &Terms) -> String {
        format!(
            "Because {} ({id}) and {}, {}.",
            self.format_terms(&d.terms),
            self.format_external(e),
            self.format_terms(terms)
        )
    }

    fn and_explain_external(&self, e: &Ext, terms: &Terms) -> String {
        format!("And because {}, {}.", self.format_external(e), self.format_terms(terms))
    }

    fn and_explain_ref(&self, id: usize, d: &Der, terms: &Terms) -> String {
        format!(
            "And because {} ({id}), {}.",
            self.format_terms(&d.terms),
            self.format_terms(terms)
        )
    }

    fn and_explain_prior_and_external(&self, prior: &Ext, e: &Ext, terms: &Terms) -> String {
        format!("And because {}, {}.", self.both(prior, e), self.format_terms(terms))
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
        assert_eq!(
            err.to_string(),
            "Because `x/b` 1.0.0 depends on `x/c` ^1.0 and `x/a` 1.0.0 depends on `x/b` ^1, \
             `x/a` 1.0.0 depends on `x/c` ^1.0.\n\
             And because your project depends on `x/a` ^1 and `x/c` ^2, the dependencies cannot be resolved."
        );
    }

    #[test]
    fn missing_packages_and_empty_ones_are_named() {
        let idx = index(&[("x/a", "1.0.0", false, &[("x/ghost", "^1")])]);
        let msg = resolve(&idx, &[dep("x/a", "^1")], &none()).unwrap_err().to_string();
        assert!(
            msg.contains("`x/a` 1.0.0 depends on `x/ghost` ^1 (`x/ghost` was not found on the registry"),
            "{msg}"
        );
        assert!(msg.contains("your project depends on `x/a` ^1"), "{msg}");

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
        assert!(
            msg.contains("your project depends on `x/c` ^1.1 (no version of `x/c` matches ^1.1)"),
            "{msg}"
        );
        assert!(
            msg.contains("`x/c` 1.1.0 would satisfy ^1.1, but it is yanked"),
            "{msg}"
        );
        assert!(
            msg.contains("versions of `x/c` on the registry: 1.1.0 (yanked), 1.0.0"),
            "{msg}"
        );
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
        assert!(msg.contains("no version of `x/d` matches >=1.0"), "{msg}");
        assert!(msg.contains("`x/d` 2.0.0-rc.1 is a pre-release"), "{msg}");
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
        assert_eq!(r["x/c"].deps, ["x/a-b"]);
        // Two spellings in one manifest are one package that must satisfy both.
        let r = resolve(&idx, &[dep("x/a.b", "^1"), dep("x/a_b", ">=1.0.0")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/a-b 1.0.0", "x/c 1.0.0"]);
        let msg = resolve(&idx, &[dep("x/a.b", "^1"), dep("x/a_b", "^2")], &none())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("your project depends on `x/a-b` ^1, ^2"), "{msg}");
    }

    #[test]
    fn a_clash_with_an_already_chosen_version_is_explained() {
        // Every a wants a b that the project rules out.
        let idx = index(&[
            ("x/a", "2.0.0", false, &[("x/b", "^2")]),
            ("x/a", "1.0.0", false, &[("x/b", "^2")]),
            ("x/b", "1.0.0", false, &[]),
            ("x/b", "2.0.0", false, &[]),
        ]);
        let msg = resolve(&idx, &[dep("x/a", "*"), dep("x/b", "=1.0.0")], &none())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("every version of `x/a` depends on `x/b` ^2"), "{msg}");
        assert!(msg.contains("your project depends on `x/a` *"), "{msg}");
        assert!(msg.contains("your project depends on `x/b` =1.0.0"), "{msg}");
    }

    #[test]
    fn a_dead_end_deep_in_a_long_chain_fails_fast() {
        // 20 packages with 8 versions each in a chain whose last link can never be satisfied:
        // 8^20 combinations for naive backtracking; PubGrub learns that each link fails once.
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
            msg.starts_with(
                "Because every version of `x/p19` depends on `x/never` ^9 (no version of `x/never` matches ^9) \
                 and every version of `x/p18` depends on `x/p19` ^1, no version of `x/p18` can be used.\n"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("every version of `x/p0` depends on `x/p1` ^1 and your project depends on `x/p0` ^1"),
            "{msg}"
        );
        assert!(msg.ends_with("\nversions of `x/never` on the registry: 1.0.0"), "{msg}");
    }

    #[test]
    fn a_conflict_two_steps_away_is_explained_step_by_step() {
        // a needs b ^1 and c ^1; every b ^1 needs d ^1, every c ^1 needs d ^2.
        let idx = index(&[
            ("x/a", "1.0.0", false, &[("x/b", "^1"), ("x/c", "^1")]),
            ("x/b", "1.0.0", false, &[("x/d", "^1")]),
            ("x/b", "1.1.0", false, &[("x/d", "^1")]),
            ("x/b", "2.0.0", false, &[]),
            ("x/c", "1.0.0", false, &[("x/d", "^2")]),
            ("x/c", "1.1.0", false, &[("x/d", "^2")]),
            ("x/c", "2.0.0", false, &[]),
            ("x/d", "1.0.0", false, &[]),
            ("x/d", "2.0.0", false, &[]),
        ]);
        let msg = resolve(&idx, &[dep("x/a", "^1")], &none()).unwrap_err().to_string();
        assert!(msg.lines().count() >= 2, "{msg}");
        for part in [
            "`x/b` 1.0.0 or 1.1.0 cannot be used together with `x/c` 1.0.0 or 1.1.0",
            "`x/b` 1.0.0 or 1.1.0 depends on `x/d` ^1",
            "`x/c` 1.0.0 or 1.1.0 depends on `x/d` ^2",
            "`x/a` 1.0.0 depends on `x/b` ^1",
            "`x/a` 1.0.0 depends on `x/c` ^1",
            "your project depends on `x/a` ^1",
        ] {
            assert!(msg.contains(part), "{part}: {msg}");
        }
        // Without the clash, the highest versions that fit.
        let r = resolve(&idx, &[dep("x/b", "^1"), dep("x/c", "*")], &none()).unwrap();
        assert_eq!(picked(&r), ["x/b 1.1.0", "x/c 2.0.0", "x/d 1.0.0"]);
    }

    #[test]
    fn a_chain_of_200_packages_resolves_quickly() {
        // p0 → p1 → … → p199, three versions each; the newest p199 needs a package that
        // does not exist, so p199 1.1.0 is picked and everything else at its newest.
        let mut idx = Index::default();
        for i in 0..200 {
            let versions = (0..3)
                .map(|minor| Candidate {
                    version: v(&format!("1.{minor}.0")),
                    yanked: false,
                    deps: match (i, minor) {
                        (199, 2) => vec![dep("x/ghost", "^1")],
                        (199, _) => vec![],
                        _ => vec![dep(&format!("x/p{}", i + 1), "^1")],
                    },
                })
                .collect();
            idx.insert(&format!("x/p{i}"), versions);
        }
        let started = std::time::Instant::now();
        let r = resolve(&idx, &[dep("x/p0", "^1")], &none()).unwrap();
        let took = started.elapsed();
        assert_eq!(r.len(), 200);
        assert_eq!(r["x/p199"].version, v("1.1.0"));
        assert!(r.iter().all(|(n, p)| n == "x/p199" || p.version == v("1.2.0")));
        assert_eq!(r["x/p42"].deps, ["x/p43"]);
        assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
    }

    #[test]
    fn version_lists_are_short() {
        let cands: Vec<Candidate> = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "2.0.0", "2.1.0"]
            .iter()
            .map(|s| Candidate {
                version: v(s),
                yanked: false,
                deps: vec![],
            })
            .collect();
        let usable: Vec<&Candidate> = cands.iter().collect();
        let list = |vs: &[&str]| {
            let vs: Vec<Version> = vs.iter().map(|s| v(s)).collect();
            list_versions(&vs.iter().collect::<Vec<_>>(), &usable)
        };
        assert_eq!(list(&[]), "(no version)");
        assert_eq!(list(&["1.1.0"]), "1.1.0");
        assert_eq!(list(&["1.0.0", "1.2.0", "2.1.0"]), "1.0.0, 1.2.0 or 2.1.0");
        assert_eq!(list(&["1.0.0", "1.1.0", "1.2.0", "1.3.0"]), "1.0.0 through 1.3.0");
        assert_eq!(
            list(&["1.0.0", "1.1.0", "1.3.0", "2.0.0", "2.1.0"]),
            "1.0.0, 1.1.0, 1.3.0 and 2 more"
        );
    }

    #[test]
    fn version_sets_are_finite_or_cofinite() {
        let set = |vs: &[&str]| Versions::of(vs.iter().map(|s| v(s)).collect(), None);
        let (a, b) = (set(&["1.0.0", "1.1.0"]), set(&["1.1.0", "2.0.0"]));
        assert_eq!(a.intersection(&b), set(&["1.1.0"]));
        assert_eq!(a.union(&b), set(&["1.0.0", "1.1.0", "2.0.0"]));
        let not_a = a.complement();
        assert!(!not_a.contains(&v("1.0.0")) && not_a.contains(&v("3.0.0")));
        assert_eq!(not_a.intersection(&b), set(&["2.0.0"]));
        assert_eq!(not_a.union(&b), set(&["1.0.0"]).complement());
        assert_eq!(not_a.complement(), a);
        assert_eq!(a.intersection(&Versions::full()), a);
        assert_eq!(a.union(&Versions::empty()), a);
        assert!(a.union(&not_a) == Versions::full() && a.intersection(&not_a) == Versions::empty());
        // A result equal to an operand keeps that operand's requirement, for explanations.
        let req = Arc::new(Req {
            text: "^1".to_string(),
            req: VersionReq::parse("^1").unwrap(),
        });
        let named = Versions::of(vec![v("1.0.0"), v("1.1.0")], Some(req));
        assert_eq!(named.intersection(&b.union(&a)).to_string(), "^1");
        assert_eq!(named.intersection(&b).to_string(), "1.1.0");
    }
}
