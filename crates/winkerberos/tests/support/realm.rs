//! A throwaway MIT Kerberos realm for the integration tests.
//!
//! [`Realm::start`] runs `python3 tests/support/realmctl.py start DIR --watch
//! <this pid>` in a fresh directory under the system temp dir and parses the
//! `KEY=VALUE` lines it prints (see the docstring of `realmctl.py` for the
//! keys). The supervisor that owns the daemons stops them as soon as this test
//! process exits, even if it crashes or is killed; dropping the [`Realm`] stops
//! them at once and deletes the directory.
//!
//! The test process never changes its own environment: it hands
//! [`Realm::vars`] to the child processes that run the tests.

// Its one user is tests/kdc.rs (through `mod support`): `pub` marks the
// realm's API although nothing outside that test crate can reach it, and the
// test does not use every item of it (`krb5_env`).
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// Keys that `realmctl.py start` always prints; checked so that a truncated
/// output fails at start instead of in a test.
const REQUIRED_KEYS: &[&str] = &[
    "KRB5_CONFIG",
    "KRB5_KDC_PROFILE",
    "KRB5CCNAME",
    "KRB5_KTNAME",
    "KRB5RCACHEDIR",
    "WKTEST_DIR",
    "WKTEST_REALM",
    "WKTEST_KDC_PORT",
    "WKTEST_USER",
    "WKTEST_PASS",
    "WKTEST_SERVICE",
    "WKTEST_SPN",
];

/// What to start besides the KDC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RealmOptions {
    /// Also run kadmind (kadmin and kpasswd), for password-change tests. Adds
    /// `WKTEST_KADMIN_PORT` and `WKTEST_KPASSWD_PORT`.
    pub kadmind: bool,
}

/// A running realm; stopped and deleted on drop.
#[derive(Debug)]
pub struct Realm {
    dir: PathBuf,
    vars: Vec<(String, String)>,
}

impl Realm {
    /// Path of `tests/support/realmctl.py` in this repository.
    pub fn script() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/support/realmctl.py")
    }

    /// Create a fresh realm in a new temporary directory and start its KDC
    /// (and kadmind if asked), watched by a watchdog tied to this process.
    ///
    /// The error carries realmctl.py's diagnostics. Nothing is left behind on
    /// failure.
    pub fn start(opts: RealmOptions) -> Result<Realm, String> {
        let dir = create_unique_dir()?;
        match start_in(&dir, opts) {
            Ok(vars) => Ok(Realm { dir, vars }),
            Err(err) => {
                // Best effort: the daemons may have been started.
                let _ = run_script(&["stop".as_ref(), dir.as_os_str()]);
                let _ = fs::remove_dir_all(&dir);
                Err(err)
            }
        }
    }

    /// The realm's directory (configuration, database, keytabs, logs).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every `KEY=VALUE` pair printed by realmctl.py, in order.
    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    /// The value of `key`, if realmctl.py printed it (`WKTEST_KADMIN_PORT` and
    /// `WKTEST_KPASSWD_PORT` exist only with [`RealmOptions::kadmind`]).
    pub fn try_var(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key`, e.g. `realm.var("WKTEST_USER")`.
    ///
    /// # Panics
    ///
    /// If realmctl.py did not print `key`: that is a bug in the test.
    pub fn var(&self, key: &str) -> &str {
        match self.try_var(key) {
            Some(value) => value,
            None => panic!("the test realm has no variable {key:?}"),
        }
    }

    /// The `KRB5*` variables only (`KRB5_CONFIG`, `KRB5CCNAME`, ...): what a
    /// process needs to use this realm. Handy for `Command::envs`.
    pub fn krb5_env(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter(|(k, _)| k.starts_with("KRB5"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Stop the daemons now (e.g. to test a dead KDC); the directory stays
    /// until drop. Idempotent.
    pub fn stop(&self) -> Result<(), String> {
        let output = run_script(&["stop".as_ref(), self.dir.as_os_str()])?;
        if output.status.success() {
            Ok(())
        } else {
            Err(failure("realmctl.py stop", &output))
        }
    }
}

impl Drop for Realm {
    fn drop(&mut self) {
        if let Err(err) = self.stop() {
            let _ = writeln!(io::stderr(), "warning: {err}");
        }
        if let Err(err) = fs::remove_dir_all(&self.dir) {
            let _ = writeln!(
                io::stderr(),
                "warning: cannot remove test realm {}: {err}",
                self.dir.display()
            );
        }
    }
}

/// A new, empty directory `$TMPDIR/wktest-realm-<pid>-<nanos>[-<n>]`.
fn create_unique_dir() -> Result<PathBuf, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let base = format!("wktest-realm-{}-{nanos}", std::process::id());
    let tmp = std::env::temp_dir();
    for attempt in 0..100_u32 {
        let dir = if attempt == 0 {
            tmp.join(&base)
        } else {
            tmp.join(format!("{base}-{attempt}"))
        };
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(format!("cannot create {}: {err}", dir.display())),
        }
    }
    Err(format!(
        "cannot create a unique directory under {}",
        tmp.display()
    ))
}

/// Run `python3 tests/support/realmctl.py ARGS...` with stdin closed,
/// capturing output.
fn run_script(args: &[&std::ffi::OsStr]) -> Result<Output, String> {
    let script = Realm::script();
    Command::new("python3")
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", script.display()))
}

fn failure(what: &str, output: &Output) -> String {
    format!(
        "{what} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    )
}

fn start_in(dir: &Path, opts: RealmOptions) -> Result<Vec<(String, String)>, String> {
    let pid = std::process::id().to_string();
    let mut args = vec![
        "start".as_ref(),
        dir.as_os_str(),
        "--watch".as_ref(),
        pid.as_ref(),
    ];
    if opts.kadmind {
        args.push("--kadmind".as_ref());
    }
    let output = run_script(&args)?;
    if !output.status.success() {
        return Err(failure("realmctl.py start", &output));
    }
    let stdout = String::from_utf8(output.stdout)
        .map_err(|err| format!("realmctl.py printed invalid UTF-8: {err}"))?;
    let vars = parse_env_lines(&stdout)?;
    for key in REQUIRED_KEYS {
        if !vars.iter().any(|(k, _)| k == key) {
            return Err(format!("realmctl.py start did not print {key}:\n{stdout}"));
        }
    }
    Ok(vars)
}

/// Parse `KEY=VALUE` lines, splitting each on the first `=` only (values may
/// contain spaces and `=`). Blank lines are skipped.
fn parse_env_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut vars = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        match line.split_once('=') {
            Some((key, value))
                if !key.is_empty()
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
            {
                vars.push((key.to_owned(), value.to_owned()));
            }
            _ => return Err(format!("unexpected line in realmctl.py output: {line:?}")),
        }
    }
    Ok(vars)
}
