//! The real `trove` binary driven as a user would: a temporary HOME and config directory, a
//! project folder per step, and a real server (`TestApp`) on SQLite or PostgreSQL.

mod audit;
mod hostile;
mod login;
mod manage;
mod retention;
mod webhooks;
mod workflow;

use crate::common::TestApp;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One user's machine: HOME, the client's config directory, and the registry URL.
pub struct CliEnv {
    pub home: tempfile::TempDir,
    pub base: String,
}

/// A finished command.
#[derive(Debug)]
pub struct Run {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success (showing the output otherwise).
    #[track_caller]
    pub fn ok(self) -> Run {
        assert!(
            self.success,
            "command failed ({:?})\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self.no_panic()
    }

    /// Asserts failure with a non-zero exit code and an `error:` line.
    #[track_caller]
    pub fn fails(self) -> Run {
        assert!(
            !self.success,
            "command should have failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(self.code.is_some_and(|c| c != 0), "exit code {:?}", self.code);
        assert!(self.stderr.contains("error: "), "no error line in: {}", self.stderr);
        self.no_panic()
    }

    #[track_caller]
    fn no_panic(self) -> Run {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "the binary panicked:\n{}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl CliEnv {
    pub fn new(app: &TestApp) -> CliEnv {
        Self::with_url(&app.base)
    }

    pub fn with_url(base: &str) -> CliEnv {
        CliEnv {
            home: tempfile::tempdir().expect("tempdir"),
            base: base.to_string(),
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config")
    }

    /// A fresh folder under HOME.
    pub fn dir(&self, name: &str) -> PathBuf {
        let d = self.home.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    pub fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_trove"));
        c.args(args)
            .current_dir(dir)
            .env("HOME", self.home.path())
            .env("TROVE_CONFIG_DIR", self.config_dir())
            .env("TROVE_REGISTRY_URL", &self.base)
            .env_remove("TROVE_TOKEN")
            .env_remove("TROVE_REGISTRY")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null());
        c
    }

    pub async fn run(&self, dir: &Path, args: &[&str]) -> Run {
        self.run_with(dir, args, &[], None).await
    }

    /// Runs the binary off the async workers (the server lives on them).
    pub async fn run_with(&self, dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
        let mut c = self.command(dir, args);
        for (k, v) in env {
            c.env(k, v);
        }
        let stdin = stdin.map(str::to_string);
        tokio::task::spawn_blocking(move || {
            c.stdout(Stdio::piped()).stderr(Stdio::piped());
            if stdin.is_some() {
                c.stdin(Stdio::piped());
            }
            let mut child = c.spawn().expect("spawn trove");
            if let Some(input) = stdin {
                let mut pipe = child.stdin.take().unwrap();
                pipe.write_all(input.as_bytes()).unwrap();
            }
            let out = child.wait_with_output().expect("wait trove");
            Run {
                success: out.status.success(),
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        })
        .await
        .unwrap()
    }

    /// `trove login --token` with `token`.
    pub async fn login(&self, token: &str) {
        let home = self.home.path().to_path_buf();
        self.run(&home, &["login", "--token", token]).await.ok();
    }
}

/// Writes a file, creating its folder.
pub fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, text).unwrap();
}
