//! End to end with the real clients against a running `trove server`: the machine's npm
//! publishes two scoped packages (one depending on the other by a semver range), and npm,
//! `npm ci` from the lock file, pnpm and yarn install them in fresh projects; then dist-tags,
//! a deprecation warning on install, unpublish, a private package refused without a token and
//! installed with one, legacy login and adduser, whoami, owners, search and audit — all with
//! the real npm. Runs on SQLite + filesystem and on PostgreSQL + S3. A missing client fails the
//! test: install pnpm and yarn with `scripts/install-npm-clients.sh` (scripts/test.sh does).

use super::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use trove_testkit::Backend;

/// Where scripts/install-npm-clients.sh put pnpm and yarn.
fn clients_bin() -> PathBuf {
    let dir = std::env::var("TROVE_TEST_NPM_CLIENTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/trove-npm-clients"));
    dir.join("bin")
}

/// Where scripts/install-npm-clients.sh put yarn 4 (its own prefix: it is `yarn` too).
fn yarn4() -> String {
    clients_bin()
        .parent()
        .unwrap()
        .join("yarn4/bin/yarn")
        .display()
        .to_string()
}

/// A sandbox for the clients: its own home (no user config of the machine), caches and
/// stores, and the pinned pnpm and yarn first on the PATH.
struct Sandbox {
    dir: tempfile::TempDir,
    registry: String,
}

struct Output {
    ok: bool,
    stdout: String,
    /// stdout and stderr.
    all: String,
}

impl Sandbox {
    fn new(app: &TestApp) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Sandbox {
            dir,
            registry: format!("{}/npm/", app.base),
        }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn envs(&self) -> Vec<(String, String)> {
        let path = format!(
            "{}:{}",
            clients_bin().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let d = self.dir.path();
        [
            ("HOME", self.home().display().to_string()),
            ("PATH", path),
            ("npm_config_cache", d.join("npm-cache").display().to_string()),
            ("npm_config_update_notifier", "false".into()),
            ("npm_config_fund", "false".into()),
            ("npm_config_loglevel", "warn".into()),
            ("YARN_CACHE_FOLDER", d.join("yarn-cache").display().to_string()),
            ("npm_config_store_dir", d.join("pnpm-store").display().to_string()),
            ("BUN_INSTALL_CACHE_DIR", d.join("bun-cache").display().to_string()),
            ("YARN_ENABLE_TELEMETRY", "0".into()),
            ("NO_COLOR", "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// A fresh project directory with an `.npmrc` naming the registry (and a token).
    fn project(&self, name: &str, package_json: Value, token: Option<&str>) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("package.json"),
            serde_json::to_vec_pretty(&package_json).unwrap(),
        )
        .unwrap();
        let mut npmrc = format!("registry={}\n", self.registry);
        if let Some(t) = token {
            npmrc += &format!("{}:_authToken={t}\n", self.registry.trim_start_matches("http:"));
        }
        std::fs::write(dir.join(".npmrc"), npmrc).unwrap();
        dir
    }

    /// A package to publish: package.json, index.js requiring its dependencies, a README.
    fn package(&self, name: &str, version: &str, deps: Value, token: &str) -> PathBuf {
        let dir_name = format!("src-{}-{version}", name.replace(['@', '/'], "_"));
        let requires: Vec<String> = deps
            .as_object()
            .map(|d| d.keys().map(|k| format!(" + ' ' + require('{k}')")).collect())
            .unwrap_or_default();
        let dir = self.project(
            &dir_name,
            json!({ "name": name, "version": version, "main": "index.js", "license": "MIT",
                    "description": format!("{name}, a test widget"), "keywords": ["widget"],
                    "dependencies": deps }),
            Some(token),
        );
        std::fs::write(
            dir.join("index.js"),
            format!("module.exports = '{name}@{version}'{};\n", requires.concat()),
        )
        .unwrap();
        std::fs::write(dir.join("README.md"), format!("# {name}\n")).unwrap();
        dir
    }

    /// Runs a client in `cwd`.
    async fn run(&self, cwd: &Path, program: &str, args: &[&str]) -> Output {
        let (cwd, envs) = (cwd.to_path_buf(), self.envs());
        let program = program.to_string();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let out = Command::new(&program)
                .args(&args)
                .current_dir(&cwd)
                .env_clear()
                .envs(envs)
                .output()
                .unwrap_or_else(|e| {
                    panic!("`{program}` could not be run ({e}): install the npm clients with scripts/install-npm-clients.sh")
                });
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            Output {
                ok: out.status.success(),
                all: format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
                stdout,
            }
        })
        .await
        .unwrap()
    }

    /// Runs a client that must succeed; returns its output.
    async fn ok(&self, cwd: &Path, program: &str, args: &[&str]) -> Output {
        let out = self.run(cwd, program, args).await;
        assert!(out.ok, "`{program} {}` failed:\n{}", args.join(" "), out.all);
        out
    }

    /// Runs `node -e 'console.log(require(<module>))'` in a project.
    async fn require(&self, cwd: &Path, module: &str) -> String {
        let script = format!("console.log(require('{module}'))");
        self.ok(cwd, "node", &["-e", &script]).await.stdout.trim().to_string()
    }

    /// Starts a client whose output is read as it comes (`npm login`, which prints a URL and
    /// waits); returns the child and its output lines.
    fn spawn(
        &self,
        cwd: &Path,
        program: &str,
        args: &[&str],
    ) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
        let mut child = Command::new(program)
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(self.envs())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("`{program}` could not be run: {e}"));
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                use std::io::BufRead as _;
                for line in std::io::BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        (child, rx)
    }

    /// Runs an interactive command under a pseudo-terminal (`script`), answering each prompt
    /// when it appears, as a person would.
    async fn interactive(&self, cwd: &Path, command: &str, answers: &[(&str, &str)]) -> String {
        let (cwd, envs) = (cwd.to_path_buf(), self.envs());
        let command = command.to_string();
        let answers: Vec<(String, String)> = answers.iter().map(|(p, a)| (p.to_string(), a.to_string())).collect();
        tokio::task::spawn_blocking(move || {
            let mut child = Command::new("script")
                .args(["-qec", &command, "/dev/null"])
                .current_dir(&cwd)
                .env_clear()
                .envs(envs)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("`script` (util-linux) runs interactive clients");
            let mut stdout = child.stdout.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stdout.read(&mut buf) {
                    if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            });
            let mut stdin = child.stdin.take().unwrap();
            let (mut seen, mut answered) = (String::new(), 0);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
            loop {
                match rx.recv_timeout(std::time::Duration::from_millis(100)) {
                    Ok(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                }
                if let Some((prompt, answer)) = answers.get(answered) {
                    if seen.matches(prompt.as_str()).count() > 0 {
                        stdin.write_all(format!("{answer}\r").as_bytes()).unwrap();
                        stdin.flush().unwrap();
                        seen = seen.replacen(prompt.as_str(), "", 1);
                        answered += 1;
                    }
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "`{command}` hangs; output so far:\n{seen}"
                );
            }
            let status = child.wait().unwrap();
            assert!(
                status.success() && answered == answers.len(),
                "`{command}` failed:\n{seen}"
            );
            seen
        })
        .await
        .unwrap()
    }
}

async fn clients_end_to_end(app: TestApp) {
    let alice = app.user("alice").await;
    let _bob = app.user("bob").await;
    let sb = Sandbox::new(&app);
    let npm_api = Npm::anonymous(&app);

    // npm publish: @alice/a, and @alice/b depending on it by a range.
    let a = sb.package("@alice/a", "1.0.0", json!({}), &alice.token);
    let out = sb.ok(&a, "npm", &["publish"]).await;
    assert!(out.all.contains("+ @alice/a@1.0.0"), "{}", out.all);
    let b = sb.package("@alice/b", "1.0.0", json!({ "@alice/a": "^1.0.0" }), &alice.token);
    sb.ok(&b, "npm", &["publish"]).await;
    let doc = npm_api.packument("@alice/a").await;
    let integrity_a = doc["versions"]["1.0.0"]["dist"]["integrity"]
        .as_str()
        .unwrap()
        .to_string();

    // npm install in a fresh project (anonymous), then `npm ci` from its lock file elsewhere.
    let p1 = sb.project("p1", json!({ "name": "p1", "version": "1.0.0", "private": true }), None);
    sb.ok(&p1, "npm", &["install", "@alice/b"]).await;
    assert_eq!(sb.require(&p1, "@alice/b").await, "@alice/b@1.0.0 @alice/a@1.0.0");
    let lock: Value = serde_json::from_slice(&std::fs::read(p1.join("package-lock.json")).unwrap()).unwrap();
    let locked = &lock["packages"]["node_modules/@alice/a"];
    assert_eq!(locked["integrity"], integrity_a.as_str(), "{lock}");
    let p2 = sb.project("p2", json!({}), None);
    std::fs::copy(p1.join("package.json"), p2.join("package.json")).unwrap();
    std::fs::copy(p1.join("package-lock.json"), p2.join("package-lock.json")).unwrap();
    std::fs::remove_dir_all(sb.dir.path().join("npm-cache")).unwrap();
    sb.ok(&p2, "npm", &["ci"]).await;
    assert_eq!(sb.require(&p2, "@alice/b").await, "@alice/b@1.0.0 @alice/a@1.0.0");

    // pnpm and yarn install the same graph.
    let deps = json!({ "name": "p3", "version": "1.0.0", "private": true, "dependencies": { "@alice/b": "^1.0.0" } });
    let p3 = sb.project("p3", deps.clone(), None);
    sb.ok(&p3, "pnpm", &["install"]).await;
    assert_eq!(sb.require(&p3, "@alice/b").await, "@alice/b@1.0.0 @alice/a@1.0.0");
    let p4 = sb.project("p4", deps, None);
    sb.ok(&p4, "yarn", &["install", "--non-interactive"]).await;
    assert_eq!(sb.require(&p4, "@alice/b").await, "@alice/b@1.0.0 @alice/a@1.0.0");
    let yarn_lock = std::fs::read_to_string(p4.join("yarn.lock")).unwrap();
    assert!(
        yarn_lock.contains(&format!("{}@alice/a/-/a-1.0.0.tgz", sb.registry)),
        "{yarn_lock}"
    );

    // Dist-tags: publish --tag, npm dist-tag ls/add/rm.
    let a_beta = sb.package("@alice/a", "1.1.0-beta.1", json!({}), &alice.token);
    sb.ok(&a_beta, "npm", &["publish", "--tag", "beta"]).await;
    let tags = sb.ok(&a, "npm", &["dist-tag", "ls", "@alice/a"]).await.stdout;
    assert!(
        tags.contains("beta: 1.1.0-beta.1") && tags.contains("latest: 1.0.0"),
        "{tags}"
    );
    sb.ok(&a, "npm", &["dist-tag", "add", "@alice/a@1.1.0-beta.1", "next"])
        .await;
    assert!(sb
        .ok(&a, "npm", &["dist-tag", "ls", "@alice/a"])
        .await
        .stdout
        .contains("next: 1.1.0-beta.1"));
    sb.ok(&a, "npm", &["dist-tag", "rm", "@alice/a", "next"]).await;
    assert!(!sb
        .ok(&a, "npm", &["dist-tag", "ls", "@alice/a"])
        .await
        .stdout
        .contains("next"));

    // A deprecation shows on install, and goes away.
    sb.ok(&a, "npm", &["deprecate", "@alice/a@1.0.0", "use @alice/a@2"])
        .await;
    let p5 = sb.project("p5", json!({ "name": "p5", "version": "1.0.0", "private": true }), None);
    let out = sb.ok(&p5, "npm", &["install", "@alice/b"]).await;
    assert!(
        out.all.contains("deprecated @alice/a@1.0.0: use @alice/a@2"),
        "{}",
        out.all
    );
    sb.ok(&a, "npm", &["deprecate", "@alice/a@1.0.0", ""]).await;
    let view = sb.ok(&a, "npm", &["view", "@alice/a@1.0.0", "deprecated"]).await.stdout;
    assert_eq!(view.trim(), "", "{view}");

    // Unpublish a version; then the whole of a package.
    sb.ok(&a, "npm", &["unpublish", "@alice/a@1.1.0-beta.1"]).await;
    let versions = sb
        .ok(&a, "npm", &["view", "@alice/a", "versions", "--json"])
        .await
        .stdout;
    // npm prints a one-element list as its element.
    let versions: Value = serde_json::from_str(&versions).unwrap();
    assert!(versions == json!("1.0.0") || versions == json!(["1.0.0"]), "{versions}");
    let c = sb.package("@alice/c", "1.0.0", json!({}), &alice.token);
    sb.ok(&c, "npm", &["publish"]).await;
    sb.ok(&c, "npm", &["unpublish", "@alice/c", "--force"]).await;
    let out = sb.run(&c, "npm", &["view", "@alice/c"]).await;
    assert!(!out.ok && out.all.contains("E404"), "{}", out.all);

    // A private package: refused without a token (as if missing), installed with one.
    let secret = sb.package("@alice/secret", "1.0.0", json!({}), &alice.token);
    sb.ok(&secret, "npm", &["publish", "--access", "restricted"]).await;
    let p6 = sb.project("p6", json!({ "name": "p6", "version": "1.0.0", "private": true }), None);
    let out = sb.run(&p6, "npm", &["install", "@alice/secret"]).await;
    assert!(!out.ok && out.all.contains("E404"), "{}", out.all);
    let reader = alice
        .create_token(json!({ "name": "ci read", "scopes": ["read"] }))
        .await;
    let p7 = sb.project(
        "p7",
        json!({ "name": "p7", "version": "1.0.0", "private": true }),
        Some(&reader),
    );
    sb.ok(&p7, "npm", &["install", "@alice/secret"]).await;
    assert_eq!(sb.require(&p7, "@alice/secret").await, "@alice/secret@1.0.0");
    // A read-only token cannot publish.
    let ro = sb.package("@alice/secret", "1.0.1", json!({}), &reader);
    let out = sb.run(&ro, "npm", &["publish"]).await;
    assert!(!out.ok && out.all.contains("403"), "{}", out.all);

    // Owners.
    sb.ok(&a, "npm", &["owner", "add", "bob", "@alice/a"]).await;
    let owners = sb.ok(&a, "npm", &["owner", "ls", "@alice/a"]).await.stdout;
    assert!(owners.contains("alice") && owners.contains("bob"), "{owners}");
    sb.ok(&a, "npm", &["owner", "rm", "bob", "@alice/a"]).await;
    assert!(!sb
        .ok(&a, "npm", &["owner", "ls", "@alice/a"])
        .await
        .stdout
        .contains("bob"));

    // npm access: the package's Trove visibility.
    let status = sb.ok(&a, "npm", &["access", "get", "status", "@alice/a"]).await.stdout;
    assert!(status.contains("public"), "{status}");
    sb.ok(&a, "npm", &["access", "set", "status=private", "@alice/a"]).await;
    let out = sb.run(&p6, "npm", &["view", "@alice/a"]).await;
    assert!(!out.ok && out.all.contains("E404"), "{}", out.all);
    sb.ok(&a, "npm", &["access", "set", "status=public", "@alice/a"]).await;
    sb.ok(&p6, "npm", &["view", "@alice/a"]).await;

    // npm token list / revoke: Trove tokens (with a token allowed to manage them).
    let listed = sb.ok(&a, "npm", &["token", "list", "--parseable"]).await.stdout;
    let key = listed
        .lines()
        .find(|l| l.split('\t').nth(3) == Some("ci read"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_else(|| panic!("no `ci read` token listed:\n{listed}"))
        .to_string();
    sb.ok(&a, "npm", &["token", "revoke", &key[..8]]).await;
    let out = sb.run(&p7, "npm", &["view", "@alice/secret"]).await;
    assert!(
        !out.ok && out.all.contains("E401"),
        "a revoked token is refused: {}",
        out.all
    );

    // npm token create: the caller confirms their password; the new token is limited to the
    // scopes and permission asked for. A wrong password and an IP allow list are refused.
    let made = sb
        .ok(
            &a,
            "npm",
            &[
                "token",
                "create",
                "--json",
                "--password",
                "correct horse",
                "--name",
                "npm made",
                "--scopes",
                "@alice",
                "--packages-and-scopes-permission",
                "read-only",
            ],
        )
        .await
        .stdout;
    let made: Value = serde_json::from_str(&made).unwrap_or_else(|e| panic!("{e}: {made}"));
    let made = made["token"].as_str().expect("the new token").to_string();
    let p8 = sb.project(
        "p8",
        json!({ "name": "p8", "version": "1.0.0", "private": true }),
        Some(&made),
    );
    sb.ok(&p8, "npm", &["install", "@alice/secret"]).await;
    let ro = sb.package("@alice/secret", "1.0.2", json!({}), &made);
    let out = sb.run(&ro, "npm", &["publish"]).await;
    assert!(
        !out.ok && out.all.contains("403"),
        "a read-only token cannot publish: {}",
        out.all
    );
    let out = sb
        .run(
            &a,
            "npm",
            &["token", "create", "--password", "wrong horse", "--name", "x"],
        )
        .await;
    assert!(!out.ok && out.all.contains("401"), "{}", out.all);
    let out = sb
        .run(
            &a,
            "npm",
            &["token", "create", "--password", "correct horse", "--cidr", "10.0.0.0/8"],
        )
        .await;
    assert!(
        !out.ok && out.all.contains("IP allow lists"),
        "an allow list is refused, not ignored: {}",
        out.all
    );
    let listed = sb.ok(&a, "npm", &["token", "list", "--parseable"]).await.stdout;
    assert!(
        listed.lines().any(|l| l.split('\t').nth(3) == Some("npm made")),
        "{listed}"
    );

    // whoami, search, audit.
    assert_eq!(sb.ok(&a, "npm", &["whoami"]).await.stdout.trim(), "alice");
    let found = sb.ok(&p1, "npm", &["search", "widget", "--parseable"]).await.stdout;
    assert!(found.contains("@alice/a") && found.contains("@alice/b"), "{found}");
    assert!(
        !found.contains("@alice/secret"),
        "anonymous search hides private packages: {found}"
    );
    let audit = sb.ok(&p1, "npm", &["audit"]).await.stdout;
    assert!(audit.contains("found 0 vulnerabilities"), "{audit}");

    // Legacy login of an existing account, and adduser of a new one, through npm's prompts.
    let login_dir = sb.project("login", json!({}), None);
    let rc = sb.home().join(".npmrc");
    let registry = sb.registry.clone();
    sb.interactive(
        &login_dir,
        &format!("npm login --auth-type=legacy --registry {registry}"),
        &[("Username:", "bob"), ("Password:", "correct horse")],
    )
    .await;
    assert!(std::fs::read_to_string(&rc).unwrap().contains("_authToken=trv_"));
    assert_eq!(sb.ok(&login_dir, "npm", &["whoami"]).await.stdout.trim(), "bob");
    sb.interactive(
        &login_dir,
        &format!("npm adduser --auth-type=legacy --registry {registry}"),
        &[
            ("Username:", "carol"),
            ("Password:", "carol's password"),
            ("Email", "carol@example.com"),
        ],
    )
    .await;
    assert_eq!(sb.ok(&login_dir, "npm", &["whoami"]).await.stdout.trim(), "carol");

    // `npm login` (web, its default): npm shows the approval page's URL and polls; alice
    // approves the code in Trove (as in the web UI's device page); npm gets her token.
    let (mut child, lines) = sb.spawn(&login_dir, "npm", &["login", "--registry", &registry]);
    let mut seen = String::new();
    let code = loop {
        let line = lines
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("npm login shows no login URL:\n{seen}"));
        seen += &line;
        seen.push('\n');
        if let Some((_, code)) = line.split_once("/device?code=") {
            break code.trim().to_string();
        }
    };
    let res = alice
        .req(Method::POST, "/api/v1/device/approve")
        .json(&json!({ "user_code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(
        status.success(),
        "npm login failed:\n{seen}{}",
        lines.try_iter().collect::<Vec<_>>().join("\n")
    );
    assert_eq!(sb.ok(&login_dir, "npm", &["whoami"]).await.stdout.trim(), "alice");
    app.stop().await;
}

/// yarn 4 (berry) and bun, which read the registry in their own ways: bun publishes a package,
/// yarn 4 publishes one depending on it, each installs the other's in a fresh project, and
/// both audits report an advisory.
async fn yarn_berry_and_bun(app: TestApp) {
    let alice = app.user("alice").await;
    let sb = Sandbox::new(&app);
    // bun publishes with the `.npmrc` token.
    let base = sb.package("@alice/base", "1.0.0", json!({}), &alice.token);
    let out = sb.ok(&base, "bun", &["publish"]).await;
    assert!(out.all.contains("@alice/base@1.0.0"), "{}", out.all);

    // yarn 4 reads `.yarnrc.yml`. Its default `npmMinimalAgeGate` (1 day) ignores versions
    // younger than that, so a project using packages published today turns it off.
    let yarnrc = |token: Option<&str>| {
        let mut rc = format!(
            "npmRegistryServer: \"{}\"\nunsafeHttpWhitelist: [\"127.0.0.1\"]\nnodeLinker: node-modules\nnpmMinimalAgeGate: 0\nenableGlobalCache: false\n",
            sb.registry
        );
        if let Some(t) = token {
            rc += &format!("npmAuthToken: \"{t}\"\n");
        }
        rc
    };
    let top = sb.package("@alice/top", "1.0.0", json!({ "@alice/base": "^1.0.0" }), &alice.token);
    std::fs::write(top.join(".yarnrc.yml"), yarnrc(Some(&alice.token))).unwrap();
    sb.ok(&top, &yarn4(), &["install"]).await;
    sb.ok(&top, &yarn4(), &["npm", "publish", "--access", "public"]).await;
    let p = json_ok(app.get("/api/v1/packages/alice/top").send().await.unwrap()).await;
    assert_eq!(
        (p["ecosystem"].as_str(), p["visibility"].as_str()),
        (Some("npm"), Some("public")),
        "{p}"
    );

    // yarn 4 installs what bun published (through yarn's published package).
    let deps = json!({ "name": "y4", "version": "1.0.0", "private": true, "dependencies": { "@alice/top": "^1.0.0" } });
    let y4 = sb.project("y4", deps.clone(), None);
    std::fs::write(y4.join(".yarnrc.yml"), yarnrc(None)).unwrap();
    sb.ok(&y4, &yarn4(), &["install"]).await;
    assert_eq!(
        sb.require(&y4, "@alice/top").await,
        "@alice/top@1.0.0 @alice/base@1.0.0"
    );
    let lock = std::fs::read_to_string(y4.join("yarn.lock")).unwrap();
    assert!(
        lock.contains("\"@alice/base@npm:1.0.0\""),
        "conventional tarball URLs: {lock}"
    );

    // bun installs what yarn published, and reads the registry from `.npmrc`.
    let b = sb.project("b", deps, None);
    sb.ok(&b, "bun", &["install"]).await;
    assert_eq!(sb.require(&b, "@alice/top").await, "@alice/top@1.0.0 @alice/base@1.0.0");

    // `yarn npm audit` and `bun audit` ask the bulk advisory endpoint, as npm does.
    let adv = json!({
        "ecosystem": "npm", "package": "alice/top", "summary": "Top leaks the environment",
        "details": "Every call prints `process.env`.",
        "severity": [{ "type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" }],
        "affected": [{ "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }] }] }]
    });
    let res = alice
        .req(Method::POST, "/api/v1/advisories")
        .json(&adv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
    let out = sb.run(&y4, &yarn4(), &["npm", "audit"]).await;
    assert!(
        !out.ok && out.all.contains("Top leaks the environment") && out.all.contains("@alice/top"),
        "yarn npm audit:\n{}",
        out.all
    );
    let out = sb.run(&b, "bun", &["audit"]).await;
    assert!(
        !out.ok && out.all.contains("Top leaks the environment") && out.all.contains("@alice/top"),
        "bun audit:\n{}",
        out.all
    );

    // A package yarn publishes without --access is restricted (private), as on npmjs: hidden
    // from bun without a token, installed with one.
    let hidden = sb.package("@alice/hidden", "1.0.0", json!({}), &alice.token);
    std::fs::write(hidden.join(".yarnrc.yml"), yarnrc(Some(&alice.token))).unwrap();
    sb.ok(&hidden, &yarn4(), &["install"]).await;
    sb.ok(&hidden, &yarn4(), &["npm", "publish"]).await;
    let deps =
        json!({ "name": "h", "version": "1.0.0", "private": true, "dependencies": { "@alice/hidden": "1.0.0" } });
    let h = sb.project("h", deps.clone(), None);
    let out = sb.run(&h, "bun", &["install"]).await;
    assert!(!out.ok && out.all.contains("404"), "{}", out.all);
    let h2 = sb.project("h2", deps, Some(&alice.token));
    sb.ok(&h2, "bun", &["install"]).await;
    assert_eq!(sb.require(&h2, "@alice/hidden").await, "@alice/hidden@1.0.0");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yarn_berry_and_bun_on_sqlite_and_files() {
    yarn_berry_and_bun(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yarn_berry_and_bun_on_postgres_and_s3() {
    yarn_berry_and_bun(TestApp::builder(Backend::Postgres).s3().start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_pnpm_yarn_on_sqlite_and_files() {
    clients_end_to_end(TestApp::new(Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_pnpm_yarn_on_postgres_and_s3() {
    clients_end_to_end(TestApp::builder(Backend::Postgres).s3().start().await).await;
}
