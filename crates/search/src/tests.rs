use crate::query::{ANSWERED_BY_TIER, FLOOR_RAISED, FULLY_SCORED};
use crate::*;

fn doc(id: i64, scope: &str, name: &str) -> Document {
    Document {
        id,
        namespace_id: id * 10,
        private: false,
        ecosystem: "native".into(),
        scope: scope.into(),
        name: name.into(),
        kind: "library".into(),
        description: None,
        license: None,
        keywords: vec![],
        categories: vec![],
        latest_version: Some("1.0.0".into()),
        downloads: 0,
        updated_at: 1_000 + id,
    }
}

fn names(ix: &Index, r: &SearchResult) -> Vec<String> {
    r.hits.iter().map(|h| ix.get(h.id).unwrap().name.clone()).collect()
}

fn find(ix: &Index, text: &str) -> Vec<String> {
    let r = ix.search(
        &Query {
            text,
            limit: 100,
            ..Query::default()
        },
        &Access::public(),
    );
    names(ix, &r)
}

/// A small corpus used by several tests.
fn corpus() -> Index {
    let mut ix = Index::new();
    let mut md = doc(1, "alice", "markdown");
    md.description = Some("A Markdown renderer".into());
    md.keywords = vec!["markdown".into(), "commonmark".into()];
    md.categories = vec!["parsing".into(), "web".into()];
    md.license = Some("MIT".into());
    md.downloads = 10;
    ix.upsert(md, "# markdown\nRender markdown to HTML.");
    ix.commit().unwrap();

    let mut mdp = doc(2, "bob", "markdown-parser");
    mdp.description = Some("Parse markdown into an AST".into());
    mdp.keywords = vec!["markdown".into(), "parser".into()];
    mdp.categories = vec!["parsing".into()];
    mdp.license = Some("Apache-2.0".into());
    mdp.downloads = 500;
    ix.upsert(mdp, "A fast parser.");
    ix.commit().unwrap();

    let mut toml = doc(3, "carol", "toml-edit");
    toml.description = Some("Format-preserving TOML editing".into());
    toml.keywords = vec!["toml".into(), "parser".into()];
    toml.categories = vec!["parsing".into()];
    toml.license = Some("MIT".into());
    toml.kind = "module".into();
    toml.downloads = 50;
    ix.upsert(toml, "Edit TOML documents. Works well with markdown front matter too.");
    ix.commit().unwrap();

    let mut http = doc(4, "dave", "http-client");
    http.description = Some("An async HTTP client".into());
    http.keywords = vec!["http".into(), "client".into()];
    http.categories = vec!["networking".into(), "web".into()];
    http.license = Some("MIT".into());
    http.kind = "plugin".into();
    http.downloads = 5_000;
    ix.upsert(http, "Send requests.");
    ix.commit().unwrap();
    ix
}

#[test]
fn exact_name_ranks_first_even_against_more_popular_packages() {
    let ix = corpus();
    let r = find(&ix, "markdown");
    assert_eq!(r[0], "markdown", "{r:?}");
    assert_eq!(r[1], "markdown-parser");
    // `markdown-parser` is exact for its own name, in any spelling.
    for q in [
        "markdown-parser",
        "markdown parser",
        "Markdown_Parser",
        "bob/markdown-parser",
    ] {
        assert_eq!(find(&ix, q)[0], "markdown-parser", "{q}");
    }
}

#[test]
fn a_name_match_beats_a_readme_match() {
    let mut ix = Index::new();
    let mut readme_only = doc(1, "a", "frontmatter");
    readme_only.downloads = 100_000;
    ix.upsert(readme_only, &"yaml yaml yaml yaml and more yaml ".repeat(5));
    ix.upsert(doc(2, "b", "yaml-tools"), "Tools.");
    ix.commit().unwrap();
    assert_eq!(find(&ix, "yaml"), ["yaml-tools", "frontmatter"]);
    // A description match also beats a README match.
    let mut described = doc(3, "c", "serde-thing");
    described.description = Some("Reads YAML".into());
    ix.upsert(described, "");
    ix.commit().unwrap();
    assert_eq!(find(&ix, "yaml"), ["yaml-tools", "serde-thing", "frontmatter"]);
}

#[test]
fn typos_are_tolerated_but_ranked_below_exact_words() {
    let ix = corpus();
    assert_eq!(find(&ix, "markdwn")[..2], ["markdown", "markdown-parser"]);
    assert_eq!(find(&ix, "makrdown")[0], "markdown", "transposition");
    assert_eq!(find(&ix, "marrkdown")[0], "markdown", "insertion");
    assert_eq!(
        find(&ix, "mrkdwn"),
        Vec::<String>::new(),
        "two typos in 6 letters is too many"
    );
    assert_eq!(
        find(&ix, "markdownparsr")[0],
        "markdown-parser",
        "joined name, one typo"
    );
    assert_eq!(find(&ix, "asnyc http"), ["http-client"]);
    // Short words get no typo budget: `tmol` is not `toml`.
    assert!(find(&ix, "tmol").is_empty());

    let mut ix = Index::new();
    ix.upsert(doc(1, "a", "parser"), "");
    ix.upsert(doc(2, "a", "parsed"), "");
    ix.commit().unwrap();
    assert_eq!(find(&ix, "parser"), ["parser", "parsed"], "exact word first");
}

#[test]
fn the_last_word_matches_as_a_prefix() {
    let ix = corpus();
    assert_eq!(find(&ix, "commonm"), ["markdown"]);
    assert_eq!(find(&ix, "http cli"), ["http-client"]);
    // Only the last word.
    assert!(find(&ix, "cli http").is_empty() || find(&ix, "cli http") == ["http-client"]);
}

#[test]
fn all_words_must_match_unless_none_do() {
    let ix = corpus();
    assert_eq!(find(&ix, "toml parser"), ["toml-edit"]);
    // No document has both words: fall back to any, most matched first.
    let r = find(&ix, "toml client");
    assert!(r.contains(&"toml-edit".to_string()) && r.contains(&"http-client".to_string()));
    // Unknown words are ignored, stop words too.
    assert_eq!(find(&ix, "the toml editing qqqqqzzz")[0], "toml-edit");
    assert!(find(&ix, "qqqqqzzz").is_empty());
}

#[test]
fn facets_are_counted_over_all_results() {
    let ix = corpus();
    let r = ix.search(
        &Query {
            text: "parser",
            limit: 1,
            ..Query::default()
        },
        &Access::public(),
    );
    assert_eq!(r.total, 2);
    assert_eq!(r.hits.len(), 1);
    let f = &r.facets;
    assert_eq!(f.ecosystem, [("native".to_string(), 2)]);
    assert_eq!(f.kind, [("library".to_string(), 1), ("module".to_string(), 1)]);
    assert_eq!(f.category, [("parsing".to_string(), 2)]);
    assert_eq!(f.license, [("Apache-2.0".to_string(), 1), ("MIT".to_string(), 1)]);
    assert_eq!(
        f.keyword,
        [
            ("parser".to_string(), 2),
            ("markdown".to_string(), 1),
            ("toml".to_string(), 1)
        ]
    );

    let all = ix.search(
        &Query {
            facet_limit: 1,
            ..Query::default()
        },
        &Access::public(),
    );
    assert_eq!(all.total, 4);
    assert_eq!(
        all.facets.category,
        [("parsing".to_string(), 3)],
        "limit 1, most frequent"
    );
    assert_eq!(all.facets.license, [("MIT".to_string(), 3)]);
}

#[test]
fn filters_narrow_results_and_facets() {
    let ix = corpus();
    let q = |f: &dyn Fn(&mut Query)| {
        let mut q = Query {
            limit: 100,
            ..Query::default()
        };
        f(&mut q);
        let r = ix.search(&q, &Access::public());
        let mut n = names(&ix, &r);
        n.sort();
        (n, r)
    };
    assert_eq!(q(&|q| q.category = Some("web")).0, ["http-client", "markdown"]);
    assert_eq!(q(&|q| q.kind = Some("module")).0, ["toml-edit"]);
    assert_eq!(q(&|q| q.license = Some("Apache-2.0")).0, ["markdown-parser"]);
    assert_eq!(q(&|q| q.keyword = Some("parser")).0, ["markdown-parser", "toml-edit"]);
    assert_eq!(q(&|q| q.ecosystem = Some("native")).0.len(), 4);
    let (n, r) = q(&|q| {
        q.text = "markdown";
        q.license = Some("MIT");
    });
    assert_eq!(n, ["markdown", "toml-edit"]);
    assert_eq!(r.facets.license, [("MIT".to_string(), 2)]);
    // Unknown values match nothing.
    let (n, r) = q(&|q| q.ecosystem = Some("npm"));
    assert!(n.is_empty() && r.total == 0 && r.facets == Facets::default());
}

#[test]
fn every_sort_orders_as_documented() {
    let ix = corpus();
    let sorted = |sort: Sort, text: &'static str| {
        names(
            &ix,
            &ix.search(
                &Query {
                    text,
                    sort,
                    limit: 100,
                    ..Query::default()
                },
                &Access::public(),
            ),
        )
    };
    assert_eq!(
        sorted(Sort::Downloads, ""),
        ["http-client", "markdown-parser", "toml-edit", "markdown"]
    );
    assert_eq!(
        sorted(Sort::Recent, ""),
        ["http-client", "toml-edit", "markdown-parser", "markdown"]
    );
    assert_eq!(
        sorted(Sort::Name, ""),
        ["http-client", "markdown", "markdown-parser", "toml-edit"]
    );
    // Empty query, relevance: by downloads.
    assert_eq!(sorted(Sort::Relevance, ""), sorted(Sort::Downloads, ""));
    // With text, the sort applies to the matches only.
    assert_eq!(
        sorted(Sort::Downloads, "markdown"),
        ["markdown-parser", "toml-edit", "markdown"]
    );
    assert_eq!(sorted(Sort::Name, "parser"), ["markdown-parser", "toml-edit"]);
    assert_eq!(Sort::parse("recent"), Some(Sort::Recent));
    assert_eq!(Sort::parse("stars"), None);
}

#[test]
fn pages_partition_the_results() {
    let mut ix = Index::new();
    for i in 0..57 {
        let mut d = doc(i, "s", &format!("pkg-{i:02}"));
        d.downloads = i % 7;
        ix.upsert(d, "common words");
        ix.commit().unwrap();
    }
    for sort in [Sort::Relevance, Sort::Downloads, Sort::Recent, Sort::Name] {
        let full = ix.search(
            &Query {
                text: "common",
                sort,
                limit: 100,
                ..Query::default()
            },
            &Access::public(),
        );
        assert_eq!(full.total, 57);
        let mut paged = Vec::new();
        for page in 0..6 {
            let r = ix.search(
                &Query {
                    text: "common",
                    sort,
                    offset: page * 10,
                    limit: 10,
                    ..Query::default()
                },
                &Access::public(),
            );
            assert_eq!(r.total, 57);
            assert_eq!(r.hits.len(), if page == 5 { 7 } else { 10 });
            paged.extend(r.hits.iter().map(|h| h.id));
        }
        let all: Vec<i64> = full.hits.iter().map(|h| h.id).collect();
        assert_eq!(paged, all, "{sort:?}");
    }
    let past = ix.search(
        &Query {
            offset: 100,
            ..Query::default()
        },
        &Access::public(),
    );
    assert_eq!((past.total, past.hits.len()), (57, 0));
}

#[test]
fn private_documents_need_access() {
    let mut ix = corpus();
    let mut secret = doc(9, "acme", "secret-markdown");
    secret.private = true;
    secret.namespace_id = 77;
    secret.categories = vec!["security".into()];
    ix.upsert(secret, "");
    ix.commit().unwrap();
    let run = |access: &Access| {
        let r = ix.search(
            &Query {
                text: "markdown",
                limit: 100,
                ..Query::default()
            },
            access,
        );
        (names(&ix, &r), r)
    };
    let (n, r) = run(&Access::public());
    assert!(!n.contains(&"secret-markdown".to_string()));
    assert!(
        r.facets.category.iter().all(|(c, _)| c != "security"),
        "facets don't leak"
    );
    // Exact name match does not leak either.
    assert!(!find(&ix, "acme/secret-markdown").contains(&"secret-markdown".to_string()));

    let member = Access {
        namespaces: [77].into(),
        ..Access::default()
    };
    assert!(run(&member).0.contains(&"secret-markdown".to_string()));
    let owner = Access {
        packages: [9].into(),
        ..Access::default()
    };
    assert!(run(&owner).0.contains(&"secret-markdown".to_string()));
    assert!(run(&Access::all()).0.contains(&"secret-markdown".to_string()));
    let other = Access {
        namespaces: [78].into(),
        packages: [1, 2].into(),
        ..Access::default()
    };
    assert!(!run(&other).0.contains(&"secret-markdown".to_string()));
    let limited = Access {
        all: true,
        name_filter: Some(Box::new(|n: &str| n.starts_with("other/"))),
        ..Access::default()
    };
    let (n, _) = run(&limited);
    assert!(!n.contains(&"secret-markdown".to_string()));
    assert!(n.contains(&"markdown".to_string()), "public ones stay visible");
}

#[test]
fn incremental_updates_give_the_same_results_as_a_fresh_build() {
    // Documents arrive in another order, some replaced and removed: the results must be
    // identical to an index built from the final set (as another node would have).
    let final_docs: Vec<(Document, String)> = (0..40)
        .map(|i| {
            let mut d = doc(i, ["ann", "ben", "cid"][i as usize % 3], &format!("lib-{}", i * 7 % 40));
            d.description = Some(format!(
                "tool number {i} for parsing {}",
                ["json", "yaml", "toml"][i as usize % 3]
            ));
            d.keywords = vec![["json", "yaml", "cli"][i as usize % 3].into()];
            d.downloads = (i * 37) % 11;
            (d, format!("readme {} parser markdown", i % 5))
        })
        .collect();
    let mut fresh = Index::new();
    for (d, r) in &final_docs {
        fresh.upsert(d.clone(), r);
        fresh.commit().unwrap();
    }
    let mut inc = Index::new();
    for (d, r) in final_docs.iter().rev() {
        let mut stale = d.clone();
        stale.name = format!("old-{}", d.name);
        stale.description = Some("something else entirely".into());
        inc.upsert(stale, "stale readme words");
        inc.upsert(doc(1000 + d.id, "tmp", "temporary-yaml"), "json json");
        inc.upsert(d.clone(), r);
        inc.commit().unwrap();
    }
    for (d, _) in &final_docs {
        assert!(inc.remove(1000 + d.id));
    }
    inc.commit().unwrap();
    for text in ["", "json", "parsing yaml", "tool", "markdwn", "lib-1", "pars", "ann"] {
        for sort in [Sort::Relevance, Sort::Downloads, Sort::Recent, Sort::Name] {
            let q = Query {
                text,
                sort,
                limit: 100,
                ..Query::default()
            };
            assert_eq!(
                fresh.search(&q, &Access::public()),
                inc.search(&q, &Access::public()),
                "{text:?} {sort:?}"
            );
        }
    }
}

#[test]
fn downloads_can_be_updated_in_place() {
    let mut ix = corpus();
    ix.add_downloads(1, 100_000);
    assert_eq!(ix.get(1).unwrap().downloads, 100_010);
    let r = ix.search(
        &Query {
            sort: Sort::Downloads,
            limit: 1,
            ..Query::default()
        },
        &Access::public(),
    );
    assert_eq!(r.hits[0].id, 1);
    ix.set_downloads(1, 0);
    ix.add_downloads(42, 5); // absent: no-op
    assert_eq!(ix.get(1).unwrap().downloads, 0);
}

#[test]
fn scope_words_find_a_publishers_packages() {
    let ix = corpus();
    assert_eq!(find(&ix, "carol"), ["toml-edit"]);
}

#[test]
fn a_filter_may_list_several_values() {
    let ix = corpus();
    let q = |f: &dyn Fn(&mut Query)| {
        let mut q = Query {
            limit: 100,
            ..Query::default()
        };
        f(&mut q);
        let mut n = names(&ix, &ix.search(&q, &Access::public()));
        n.sort();
        n
    };
    assert_eq!(q(&|q| q.kind = Some("module,plugin")), ["http-client", "toml-edit"]);
    assert_eq!(q(&|q| q.keyword = Some("toml, http")), ["http-client", "toml-edit"]);
    assert_eq!(q(&|q| q.category = Some("networking,unknown")), ["http-client"]);
    assert_eq!(q(&|q| q.license = Some("Apache-2.0,MIT")).len(), 4);
    // Filters of different facets all apply.
    assert_eq!(
        q(&|q| {
            q.kind = Some("module,plugin");
            q.keyword = Some("parser,markdown");
        }),
        ["toml-edit"]
    );
    assert!(q(&|q| q.ecosystem = Some("npm,cargo")).is_empty());
}

#[test]
fn a_namespace_filter_counts_that_namespace_only() {
    let mut ix = corpus();
    // A second document of bob's namespace (20), and an exact name match elsewhere.
    let mut other = doc(5, "bob", "markdown-lint");
    other.namespace_id = 20;
    ix.upsert(other, "");
    ix.commit().unwrap();
    let run = |text: &str, namespace: Option<i64>, limit: usize| {
        let r = ix.search(
            &Query {
                text,
                namespace,
                limit,
                ..Query::default()
            },
            &Access::public(),
        );
        let mut n = names(&ix, &r);
        n.sort();
        (n, r)
    };
    let (all, r) = run("markdown", None, 100);
    assert_eq!(r.total, all.len());
    assert!(all.contains(&"markdown".to_string()) && all.contains(&"toml-edit".to_string()));
    let (bobs, r) = run("markdown", Some(20), 100);
    assert_eq!(bobs, ["markdown-lint", "markdown-parser"]);
    assert_eq!(r.total, 2);
    assert_eq!(r.facets.license, [("Apache-2.0".to_string(), 1)]);
    // The total counts every match of the namespace, not just the page.
    let (page, r) = run("markdown", Some(20), 1);
    assert_eq!((page.len(), r.total), (1, 2));
    // An exact name match in another namespace is not returned; an empty query lists the
    // namespace's documents; an unknown namespace finds nothing.
    assert!(run("markdown-parser", Some(40), 100).0.is_empty());
    assert_eq!(run("", Some(20), 100).0, ["markdown-lint", "markdown-parser"]);
    assert_eq!(run("", Some(999), 100).1.total, 0);
}

#[test]
fn private_documents_change_nothing_a_public_caller_sees() {
    // The same public catalogue, with and without private packages that share its words,
    // have words of their own and near-spellings of public words: every public answer
    // (hits, scores, totals, facets) must be identical.
    let public = corpus();
    let mut with_private = corpus();
    let secrets = [
        ("acme", "markdown-secret", "markdown parser internal"),
        ("acme", "zyxwvut-tool", "zyxwvut internal"),
        ("acme", "http-internal", "http client markdwon"),
    ];
    for (i, (scope, name, readme)) in secrets.iter().enumerate() {
        let mut d = doc(100 + i as i64, scope, name);
        d.private = true;
        d.namespace_id = 77;
        d.description = Some((*readme).into());
        d.keywords = vec!["internal".into(), "markdown".into()];
        d.categories = vec!["security".into()];
        with_private.upsert(d, readme);
    }
    with_private.commit().unwrap();
    for text in [
        "",
        "markdown",
        "markdwn",
        "markdown zyxwvut",
        "http internal",
        "toml client",
        "parser",
        "pars",
        "zyxwvut",
        "acme/markdown-secret",
    ] {
        for sort in [Sort::Relevance, Sort::Downloads, Sort::Name] {
            let q = Query {
                text,
                sort,
                limit: 100,
                ..Query::default()
            };
            assert_eq!(
                public.search(&q, &Access::public()),
                with_private.search(&q, &Access::public()),
                "{text:?} {sort:?}"
            );
        }
    }
    // Those who may read them still find them.
    let member = Access {
        namespaces: [77].into(),
        ..Access::default()
    };
    let r = with_private.search(
        &Query {
            text: "zyxwvut",
            ..Query::default()
        },
        &member,
    );
    assert_eq!(names(&with_private, &r), ["zyxwvut-tool"]);
}

/// A catalogue of `n` packages drawn from a small vocabulary, so that words reach many
/// packages in every field, with private packages, several segments, replaced and removed
/// documents. Deterministic.
fn generated(n: i64) -> Index {
    const WORDS: [&str; 16] = [
        "json", "yaml", "parser", "http", "client", "server", "async", "markdown", "render", "toml", "cli", "stream",
        "cache", "crypto", "image", "logger",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let mut ix = Index::new();
    let mut taken = std::collections::HashSet::new();
    for i in 0..n {
        let w = |k: u64| WORDS[k as usize];
        // Full names are unique, as in a registry (sorts break ties by them).
        let scope = ["ann", "ben", "cid", "dee"][next(4) as usize];
        let mut name = format!("{}-{}", w(next(16)), w(next(16)));
        if next(3) == 0 || !taken.insert(format!("{scope}/{name}")) {
            name = format!("{name}-{i}");
        }
        let mut d = doc(i, scope, &name);
        d.private = next(10) == 0;
        d.namespace_id = 1 + next(3) as i64;
        d.description = Some((0..1 + next(6)).map(|_| w(next(16))).collect::<Vec<_>>().join(" "));
        d.keywords = (0..next(4)).map(|_| w(next(16)).to_string()).collect();
        d.categories = (0..next(3))
            .map(|k| ["parsing", "web", "cli"][k as usize].to_string())
            .collect();
        d.license = [None, Some("MIT".to_string()), Some("Apache-2.0".to_string())][next(3) as usize].clone();
        d.kind = ["library", "module", "plugin"][next(3) as usize].into();
        d.downloads = [0, 3, 40, 900, 25_000, 1_000_000][next(6) as usize] + next(7) as i64;
        // READMEs repeat common words and hold one word found nowhere else.
        let mut readme: Vec<&str> = (0..next(60)).map(|_| w(next(8))).collect();
        if next(4) == 0 {
            readme.push("onlyreadme");
        }
        ix.upsert(d, &readme.join(" "));
        if i % 97 == 0 {
            ix.commit().unwrap();
        }
    }
    ix.commit().unwrap();
    for i in (0..n).step_by(13) {
        ix.remove(i);
    }
    ix.commit().unwrap();
    ix
}

#[test]
fn the_pruned_path_answers_like_the_exhaustive_one() {
    let tiers = || ANSWERED_BY_TIER.with(|c| [c[0].get(), c[1].get(), c[2].get()]);
    // The two pruning tiers, without champion lists.
    let mut ix = generated(1500);
    ix.champions_most = 0;
    assert_same_as_exhaustive(&ix);
    let first = tiers();
    // With room for few documents in the first tier, queries go on to the second.
    ix.first_tier_most = 3;
    assert_same_as_exhaustive(&ix);
    let second = tiers();
    eprintln!("answered by tier: {first:?}, then with a small first tier {second:?}");
    let then = [second[0] - first[0], second[1] - first[1]];
    assert!(first[0] > 500 && first[1] > 500 && first[2] == 0, "{first:?}");
    assert!(then[1] > first[1] + 100, "{first:?} {then:?}");
    // And with the reaches of common terms cached as sets of docnos.
    assert_eq!(ix.cached_reaches(), 0);
    ix.reach_cache_min_docs = 1;
    assert_same_as_exhaustive(&ix);
    assert!(ix.cached_reaches() > 10, "{}", ix.cached_reaches());
    // Champion lists: complete (every segment here is small enough), then cut short so
    // that unlisted documents must be bounded, and some queries go on to the tiers.
    let mut complete = 0;
    for most in [crate::index::CHAMPIONS_MOST, 5] {
        let mut ix = generated(1500);
        ix.champions_most = most;
        let before = tiers();
        assert_same_as_exhaustive(&ix);
        let after = tiers();
        let (champions, others) = (after[2] - before[2], after[0] + after[1] - before[0] - before[1]);
        eprintln!(
            "lists of at most {most}: {champions} answered from them ({} after raising the floor), {others} by the tiers",
            FLOOR_RAISED.with(|c| c.get())
        );
        if most == 5 {
            assert!(
                champions > 100 && champions + 100 < complete,
                "{champions} of {complete}"
            );
        } else {
            assert!(champions > 500, "{champions}");
            complete = champions;
        }
    }
}

#[test]
fn filter_sets_follow_changed_documents() {
    let mut ix = generated(600);
    let q = |text, kind, category, keyword| Query {
        text,
        kind,
        category,
        keyword,
        limit: 1000,
        ..Query::default()
    };
    let cases = [
        q("", Some("module"), None, None),
        q("json", None, Some("web"), None),
        q("", None, Some("cli,parsing"), Some("toml")),
        q("http", Some("plugin,module"), None, Some("yaml")),
    ];
    let ids = |r: &SearchResult| {
        let mut v: Vec<i64> = r.hits.iter().map(|h| h.id).collect();
        v.sort();
        v
    };
    // Every filter's sets are cached by the first run.
    let before: Vec<Vec<i64>> = cases.iter().map(|c| ids(&ix.search(c, &Access::all()))).collect();
    assert!(before.iter().all(|r| !r.is_empty()), "{before:?}");
    // Documents that matched lose their values, some are removed (their docnos are reused
    // below), and new documents gain the values.
    let matched: Vec<i64> = before.iter().flatten().copied().collect();
    for (i, &id) in matched.iter().enumerate() {
        if i % 3 == 0 {
            ix.remove(id);
        } else {
            let mut d = ix.get(id).unwrap();
            d.kind = "library".into();
            d.categories = vec!["security".into()];
            d.keywords = vec!["other".into()];
            ix.upsert(d, "");
        }
    }
    ix.commit().unwrap();
    for i in 0..40 {
        let mut d = doc(20_000 + i, "eve", &format!("json-http-{i}"));
        d.kind = ["module", "plugin"][i as usize % 2].into();
        d.categories = vec!["web".into(), "cli".into()];
        d.keywords = vec!["toml".into(), "yaml".into()];
        ix.upsert(d, "");
    }
    ix.commit().unwrap();
    for c in &cases {
        let (pruned, full) = (
            ix.search(c, &Access::all()),
            ix.search_exhaustive_only(c, &Access::all()),
        );
        assert_eq!(pruned, full, "{c:?}");
        let found = ids(&pruned);
        assert!(
            found.iter().all(|id| *id >= 20_000 || !matched.contains(id)),
            "{c:?}: {found:?}"
        );
        assert_eq!(
            found.iter().filter(|&&id| id >= 20_000).count(),
            if c.kind == Some("module") { 20 } else { 40 },
            "{c:?}"
        );
    }
}

#[test]
fn sorted_pages_of_many_results_match_the_exhaustive_path() {
    // Enough results for the page to be cut from a sample's key threshold; recency grows
    // with docnos (each new document beats the page so far), downloads repeat a lot.
    let mut ix = Index::new();
    for i in 0..20_000i64 {
        let mut d = doc(i, "ann", &format!("pkg-{i}"));
        d.kind = ["library", "module"][(i % 7 == 0) as usize].into();
        d.downloads = (i * 7919) % 50;
        d.updated_at = i / 3;
        ix.upsert(d, "");
    }
    ix.commit().unwrap();
    let mut cases = 0;
    for sort in [Sort::Recent, Sort::Downloads, Sort::Name, Sort::Relevance] {
        for kind in [None, Some("library"), Some("module")] {
            for (offset, limit) in [(0, 20), (20, 20), (0, 100), (180, 20)] {
                let q = Query {
                    sort,
                    kind,
                    offset,
                    limit,
                    exact_facets: true,
                    ..Query::default()
                };
                let pruned = ix.search_pruned_only(&q, &Access::public()).expect("pruned");
                assert_eq!(pruned, ix.search_exhaustive_only(&q, &Access::public()), "{q:?}");
                assert_eq!(pruned.hits.len(), limit);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 48);
}

#[test]
fn full_scores_raise_the_floor_of_champion_lists() {
    // `beta` names 40 packages: its list (45 long) holds them and 5 of the 15 packages
    // describing both words, so its bound for unlisted ones is a description's. `alpha`
    // lists the 15 and 30 of the 100 packages whose READMEs alone hold both words. Lower
    // bounds (the listed words) leave the tenth best at one description: below what an
    // unlisted package could score (a README and a description). Full scores of the best
    // candidates raise the floor to two descriptions, above it.
    let mut ix = Index::new();
    for i in 0..40 {
        let mut d = doc(i, "ann", &format!("beta-{i}"));
        d.description = Some("beta".into());
        ix.upsert(d, "");
    }
    for i in 0..15 {
        let mut d = doc(100 + i, "ann", &format!("dee-{i}"));
        d.description = Some("alpha beta".into());
        ix.upsert(d, "");
    }
    for i in 0..100 {
        ix.upsert(doc(200 + i, "ann", &format!("you-{i}")), "alpha beta");
    }
    // Others, so that both words are rare enough to weigh.
    for i in 0..2000 {
        ix.upsert(doc(1000 + i, "ann", &format!("other-{i}")), "gamma");
    }
    ix.commit().unwrap();
    ix.champions_most = 45;
    let q = Query {
        text: "alpha beta",
        limit: 10,
        ..Query::default()
    };
    let (raised, by_lists) = (FLOOR_RAISED.with(|c| c.get()), ANSWERED_BY_TIER.with(|c| c[2].get()));
    let r = ix.search_pruned_only(&q, &Access::public()).unwrap();
    assert_eq!(r, ix.search_exhaustive_only(&q, &Access::public()));
    assert!(
        names(&ix, &r).iter().all(|n| n.starts_with("dee-")),
        "{:?}",
        names(&ix, &r)
    );
    assert_eq!(FLOOR_RAISED.with(|c| c.get()), raised + 1);
    assert_eq!(ANSWERED_BY_TIER.with(|c| c[2].get()), by_lists + 1);
}

#[test]
fn cached_reaches_follow_deletes_and_reused_docnos() {
    let mut ix = generated(600);
    ix.reach_cache_min_docs = 1;
    let q = |text| Query {
        text,
        limit: 1000,
        ..Query::default()
    };
    let before = ix.search(&q("yaml"), &Access::public());
    assert!(before.total > 20 && ix.cached_reaches() > 0);
    // Remove every package reaching `yaml`, then add as many without it: the freed docnos
    // are reused by documents that must not match.
    let gone: Vec<i64> = ix
        .search(&q("yaml"), &Access::all())
        .hits
        .iter()
        .map(|h| h.id)
        .collect();
    for &id in &gone {
        ix.remove(id);
    }
    ix.commit().unwrap();
    for i in 0..gone.len() as i64 {
        let mut d = doc(10_000 + i, "eve", &format!("fresh-{i}"));
        d.description = Some("nothing to see".into());
        ix.upsert(d, "plain words");
    }
    ix.commit().unwrap();
    let after = ix.search(&q("yaml"), &Access::all());
    assert_eq!(after.total, 0, "{:?}", after.hits);
    assert_eq!(ix.search_exhaustive_only(&q("yaml"), &Access::all()).total, 0);
    // Common words still answer like the exhaustive path.
    for text in ["json", "parser", "http client"] {
        assert_eq!(
            ix.search(&q(text), &Access::all()),
            ix.search_exhaustive_only(&q(text), &Access::all()),
            "{text}"
        );
    }
}

/// Checks that the pruned path answers like the exhaustive one over many queries, sorts,
/// pages, filters and accesses, and that it prunes.
fn assert_same_as_exhaustive(ix: &Index) {
    let accesses = [
        Access::public(),
        Access::all(),
        Access {
            namespaces: [2].into(),
            ..Access::default()
        },
        Access {
            all: true,
            name_filter: Some(Box::new(|n: &str| n.starts_with("ann/"))),
            ..Access::default()
        },
    ];
    let texts = [
        "",
        "json",
        "parser",
        "pars",
        "parsr",
        "markdwn",
        "http client",
        "async server json",
        "json-parser",
        "ann/json-parser",
        "ann",
        "onlyreadme",
        "cache onlyreadme",
        "stream ima",
        "crypto nothinglikeit",
        "zzzz qqqq",
        "the",
    ];
    let (mut pruned, mut relevance, mut results, mut scored) = (0, 0, 0, 0);
    for access in &accesses {
        for text in texts {
            for sort in [Sort::Relevance, Sort::Downloads, Sort::Recent, Sort::Name] {
                for (offset, limit, kind, category, namespace) in [
                    (0, 10, None, None, None),
                    (7, 5, None, None, None),
                    (0, 0, None, None, None),
                    (0, 2000, None, None, None),
                    (0, 10, Some("module"), None, None),
                    (3, 10, None, Some("web,cli"), None),
                    (0, 10, None, None, Some(2)),
                ] {
                    let q = Query {
                        text,
                        sort,
                        offset,
                        limit,
                        kind,
                        category,
                        namespace,
                        ..Query::default()
                    };
                    let full = ix.search_exhaustive_only(&q, access);
                    let before = FULLY_SCORED.with(|c| c.get());
                    if let Some(r) = ix.search_pruned_only(&q, access) {
                        let case = format!("{text:?} {sort:?} {offset} {limit} {kind:?} {category:?} {namespace:?}");
                        assert_eq!(r.total, full.total, "{case}");
                        let diff = r.hits.iter().zip(&full.hits).position(|(a, b)| a != b);
                        assert!(
                            diff.is_none(),
                            "{case}: hit {diff:?}: {:?} vs {:?}",
                            diff.map(|i| r.hits[i]),
                            diff.map(|i| full.hits[i])
                        );
                        assert_eq!(r, full, "{case}");
                        pruned += 1;
                        if sort == Sort::Relevance && !text.is_empty() && limit == 10 {
                            relevance += 1;
                            results += r.total;
                            scored += FULLY_SCORED.with(|c| c.get()) - before;
                        }
                    }
                    // And the public entry point gives the same answer either way.
                    assert_eq!(ix.search(&q, access), full);
                }
            }
        }
    }
    eprintln!("pruned {pruned}, relevance {relevance}, scored {scored} of {results}");
    // Most queries take the pruned path, and it scores a small part of what matches.
    assert!(pruned > 1500, "pruned answers: {pruned}");
    assert!(relevance > 200, "pruned relevance answers: {relevance}");
    assert!(scored * 4 < results, "scored {scored} of {results} results in full");
}

#[test]
fn facets_beyond_the_sample_size_are_estimated() {
    let mut ix = generated(1500);
    let q = Query {
        text: "json",
        facet_limit: 100,
        ..Query::default()
    };
    let exact = ix.search(&q, &Access::public());
    assert!(exact.facets_exact && exact.total > 400, "{}", exact.total);
    ix.facet_sample = 100;
    let estimated = ix.search(&q, &Access::public());
    assert!(!estimated.facets_exact);
    assert_eq!((estimated.total, &estimated.hits), (exact.total, &exact.hits));
    for (e, x) in [
        (&estimated.facets.kind, &exact.facets.kind),
        (&estimated.facets.license, &exact.facets.license),
        (&estimated.facets.category, &exact.facets.category),
    ] {
        assert_eq!(e.len(), x.len());
        for (value, count) in x {
            let got = e.iter().find(|v| &v.0 == value).map(|v| v.1).unwrap();
            let error = (got as f64 - *count as f64).abs() / *count as f64;
            assert!(error < 0.3, "{value}: {got} estimated, {count} exact");
        }
    }
    // Asked for, they are exact whatever the number of results.
    let all = ix.search(
        &Query {
            exact_facets: true,
            ..q.clone()
        },
        &Access::public(),
    );
    assert!(all.facets_exact);
    assert_eq!(all.facets, exact.facets);
}
