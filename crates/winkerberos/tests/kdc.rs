//! Integration tests against a real MIT KDC and the system GSSAPI library.
//!
//! A `harness = false` test on libtest-mimic, so it takes the standard libtest command line
//! (`-- FILTER`, `--exact`, `--skip`, `--list`, ...). The first test that runs starts a
//! throwaway realm on 127.0.0.1; every test runs in a child process of this same binary whose
//! environment points GSSAPI at the realm (and, for some tests, at a broken variant of it).
//! Children never change their own environment (edition 2024 makes `set_var` unsafe), the realm
//! is stopped when `main` returns, and a watchdog stops it should this process die first.

// A child reports why its test failed on standard error, where the parent reads it.
#![allow(clippy::print_stderr)]

mod support;

use std::env;
use std::error::Error;
use std::fmt::Debug;
use std::fs;
use std::process::{Command, ExitCode};
use std::sync::{Arc, Barrier, LazyLock};
use std::thread;

use libtest_mimic::{Arguments, Failed, Trial};
use support::realm::{Realm, RealmOptions};
use winkerberos::SecurityContext as _;
use winkerberos::{
    Acceptor, AcceptorOptions, ChannelBindings, Credential, ErrorKind, Flags, Initiator,
    InitiatorOptions, Mech, Step,
};
use winkerberos::{Secret, change_password, check_password, keytab_principals};

/// What a test returns: `?` takes the crate's errors and plain messages alike.
type TestResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

/// A test: its name, the environment changes it needs, and its body.
struct Test {
    name: &'static str,
    env: fn(&Realm) -> Vec<(String, String)>,
    run: fn() -> TestResult,
}

/// Declares `TESTS`, in the order they run, each name written once: `body` runs in the
/// realm's environment, `body with env` with the changes `env(&realm)` makes to it.
macro_rules! tests {
    ($($run:ident $(with $env:ident)?),+ $(,)?) => {
        const TESTS: &[Test] = &[$(Test {
            name: stringify!($run),
            env: tests!(@env $($env)?),
            run: $run,
        }),+];
    };
    (@env) => { |_| Vec::new() };
    (@env $env:ident) => { $env };
}

tests![
    kerberos_handshake_with_default_credentials,
    spnego_handshake_with_default_credentials,
    wrap_and_unwrap_both_ways,
    the_handshake_example_runs,
    password_credentials_leave_the_default_cache_alone,
    principal_form_with_special_characters,
    wrong_password_is_authentication_failed,
    unknown_user_is_unknown_principal,
    misspelled_realm_is_unknown_realm,
    service_without_a_trust_path_is_no_cross_realm_trust,
    windows_style_domains_become_realms,
    principal_selects_from_the_cache_collection,
    unknown_service_is_unknown_principal,
    service_principal_name_forms,
    acceptor_without_service_reports_the_target,
    acceptor_for_a_service_missing_from_the_keytab,
    matching_channel_bindings_are_accepted,
    different_channel_bindings_are_rejected,
    missing_channel_bindings_are_rejected,
    garbage_truncated_and_oversized_tokens,
    replayed_token_is_rejected,
    tampered_and_replayed_messages_are_rejected,
    use_before_and_after_the_handshake,
    mutual_authentication_is_granted,
    delegated_credentials_reach_a_second_service,
    explicit_credentials_with_spnego,
    iov_wrap_round_trips_and_rejects_tampering,
    delegated_credentials_stored_in_a_private_file,
    check_password_with_and_without_verification,
    change_password_through_kadmind,
    keytab_principals_are_listed,
    contexts_run_in_parallel_threads,
    credentials_name,
    missing_ccache_is_no_credentials with missing_ccache,
    kdc_port_closed_is_kdc_unreachable with closed_kdc,
    missing_keytab_is_no_credentials with missing_keytab,
    missing_library_is_reported with missing_library,
];

fn main() -> ExitCode {
    if let [flag, name] = &env::args().skip(1).collect::<Vec<_>>()[..]
        && flag == "--child"
    {
        return run_child(name);
    }
    let mut args = Arguments::from_args();
    // One test at a time unless asked otherwise: the children share the realm's default
    // credential cache, which other tests add service tickets to while
    // password_credentials_leave_the_default_cache_alone compares it before and after.
    args.test_threads.get_or_insert(1);
    // Started by the first test that runs, so `--list` or a filter that selects nothing
    // starts none; stopped when the last reference goes, as `main` returns.
    let realm = Arc::new(LazyLock::new(|| {
        Realm::start(RealmOptions { kadmind: true })
    }));
    let trials = TESTS
        .iter()
        .map(|test| {
            let realm = Arc::clone(&realm);
            Trial::test(test.name, move || match &**realm {
                Ok(realm) => run_in_child(realm, test),
                Err(err) => Err(format!("cannot start the test realm: {err}").into()),
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

/// Runs `test` in a child process whose environment is the realm's with the test's changes.
fn run_in_child(realm: &Realm, test: &Test) -> Result<(), Failed> {
    let exe = env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let output = Command::new(exe)
        .args(["--child", test.name])
        .env_remove("KRB5_CLIENT_KTNAME")
        .envs(realm.vars().iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .envs((test.env)(realm))
        .output()
        .map_err(|e| format!("cannot run the child: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(format!("{} ({})", stderr.trim(), output.status).into())
}

fn run_child(name: &str) -> ExitCode {
    let Some(test) = TESTS.iter().find(|t| t.name == name) else {
        eprintln!("no test named {name}");
        return ExitCode::FAILURE;
    };
    match (test.run)() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

// ---------------------------------------------------------------------------------------------
// helpers

fn var(key: &str) -> String {
    env::var(key).unwrap_or_else(|_| panic!("{key} is not set by the realm"))
}

/// Fails the test with the message unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+).into());
        }
    };
}

/// Expects an error of `kind` and returns its text.
fn expect_kind<T: Debug>(result: winkerberos::Result<T>, kind: ErrorKind) -> TestResult<String> {
    match result {
        Ok(value) => Err(format!("expected a {kind:?} error, got Ok({value:?})").into()),
        Err(err) if err.kind() == kind => Ok(err.to_string()),
        Err(err) => Err(format!("expected a {kind:?} error, got {:?}: {err}", err.kind()).into()),
    }
}

fn client(options: InitiatorOptions) -> winkerberos::Result<Initiator> {
    Initiator::new(&var("WKTEST_SERVICE"), options)
}

fn server() -> winkerberos::Result<Acceptor> {
    Acceptor::new(AcceptorOptions {
        service: Some(var("WKTEST_SERVICE")),
        ..Default::default()
    })
}

/// A client made with `options` and a server, after a complete [`handshake`].
fn handshaken(options: InitiatorOptions) -> TestResult<(Initiator, Acceptor)> {
    let mut c = client(options)?;
    let mut s = server()?;
    handshake(&mut c, &mut s)?;
    Ok((c, s))
}

/// Runs a handshake to completion and checks that each side reports the other.
fn handshake(client: &mut Initiator, server: &mut Acceptor) -> TestResult {
    let mut input = Vec::new();
    for _ in 0..10 {
        let step = client.step(&input)?;
        let Some(token) = step.token() else { break };
        if step.is_complete() && server.is_complete() {
            break;
        }
        let reply = server.step(token)?;
        if step.is_complete() {
            break;
        }
        match reply {
            Step::Continue(t) => input = t,
            Step::Complete(Some(t)) => input = t,
            Step::Complete(None) => break,
        }
    }
    ensure!(client.is_complete(), "the client did not complete");
    ensure!(server.is_complete(), "the server did not complete");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// handshakes

fn kerberos_handshake_with_default_credentials() -> TestResult {
    let mut c = client(InitiatorOptions::default())?;
    let mut s = server()?;
    let first = c.step(&[])?;
    ensure!(
        matches!(first, Step::Continue(_)),
        "with MUTUAL the first step must continue: {first:?}"
    );
    let ap_req = first.token().unwrap_or_default().to_vec();
    ensure!(
        ap_req.first() == Some(&0x60),
        "a Kerberos initial token starts with 0x60"
    );
    let saved = ap_req.clone();
    let reply = s.step(&ap_req)?;
    ensure!(ap_req == saved, "gss_accept_sec_context modified its input");
    let Step::Complete(Some(ap_rep)) = reply else {
        return Err(format!("server: {reply:?}").into());
    };
    let last = c.step(&ap_rep)?;
    ensure!(
        last == Step::Complete(None),
        "the mutual-auth step ends with no token: {last:?}"
    );
    let user = var("WKTEST_USER");
    ensure!(
        c.initiator_name().ok() == Some(user.clone()),
        "client name {:?}",
        c.initiator_name()
    );
    ensure!(
        s.initiator_name().ok() == Some(user),
        "server saw {:?}",
        s.initiator_name()
    );
    ensure!(
        c.target_name().ok() == Some(var("WKTEST_SPN")),
        "target {:?}",
        c.target_name()
    );
    ensure!(c.mech() == Mech::Kerberos, "mech");
    Ok(())
}

fn spnego_handshake_with_default_credentials() -> TestResult {
    let mut c = client(InitiatorOptions {
        mech: Mech::Spnego,
        ..Default::default()
    })?;
    let mut s = server()?;
    let first = c.step(&[])?;
    // An SPNEGO NegTokenInit is an application-0 token holding the SPNEGO OID 1.3.6.1.5.5.2.
    let token = first.token().unwrap_or_default();
    ensure!(
        token.windows(6).any(|w| w == b"\x2b\x06\x01\x05\x05\x02"),
        "not an SPNEGO token"
    );
    let reply = s.step(token)?;
    let last = c.step(reply.token().unwrap_or_default())?;
    ensure!(
        last.is_complete() && s.is_complete(),
        "SPNEGO did not complete: {last:?} / {reply:?}"
    );
    ensure!(
        s.initiator_name().ok() == Some(var("WKTEST_USER")),
        "server saw {:?}",
        s.initiator_name()
    );
    Ok(())
}

/// examples/handshake.rs, as a user runs it: default credentials, the realm's keytab.
fn the_handshake_example_runs() -> TestResult {
    // `cargo test` builds the examples beside the test binaries: target/<profile>/examples.
    let exe = env::current_exe().map_err(|e| format!("cannot find the test binary: {e}"))?;
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join("handshake"))
        .ok_or("no target directory above the test binary")?;
    ensure!(
        example.is_file(),
        "{} is missing: run the tests with `cargo test -p winkerberos` (which builds the \
         examples), not only --test kdc",
        example.display()
    );
    let service = var("WKTEST_SERVICE");
    let output = Command::new(&example)
        .arg(&service)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", example.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "the example failed ({}): {}{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = format!(
        "{} authenticated to {}",
        var("WKTEST_USER"),
        var("WKTEST_SPN")
    );
    ensure!(
        stdout.contains(&expected)
            && stdout.contains("service received \"hello from the client\" (encrypted: true)")
            && stdout.contains("client received \"hello from the service\""),
        "expected {expected:?} and both messages, got: {stdout}"
    );
    Ok(())
}

fn wrap_and_unwrap_both_ways() -> TestResult {
    let (mut c, mut s) = handshaken(InitiatorOptions {
        flags: Flags::MUTUAL | Flags::CONF | Flags::INTEG,
        ..Default::default()
    })?;
    for (message, encrypt) in [
        (&b"hello"[..], true),
        (b"integrity only", false),
        (b"", true),
    ] {
        let token = c.wrap(message, encrypt)?;
        if encrypt && !message.is_empty() {
            ensure!(
                !token.windows(message.len()).any(|w| w == message),
                "plaintext visible in sealed token"
            );
        }
        let got = s.unwrap(&token)?;
        ensure!(
            got.data == message && got.confidential == encrypt,
            "server unwrapped {got:?}"
        );
        let back = s.wrap(message, encrypt)?;
        let got = c.unwrap(&back)?;
        ensure!(
            got.data == message && got.confidential == encrypt,
            "client unwrapped {got:?}"
        );
    }
    // The library must not write into the caller's buffers (MIT's gss_unwrap decrypts in
    // place, so the crate hands it a copy).
    let message = b"left intact".to_vec();
    let token = c.wrap(&message, true)?;
    let saved = token.clone();
    s.unwrap(&token)?;
    ensure!(
        message == b"left intact" && token == saved,
        "a buffer was modified"
    );
    let big = vec![0x5a; 1 << 20];
    let got = s.unwrap(&c.wrap(&big, true)?)?;
    ensure!(got.data == big, "1 MiB round trip");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// credentials

fn password_credentials_leave_the_default_cache_alone() -> TestResult {
    let ccache = var("KRB5CCNAME");
    let path = ccache.trim_start_matches("FILE:");
    let before = fs::read(path).map_err(|e| format!("read {path}: {e}"))?;
    let options = InitiatorOptions {
        credential: Credential::password(var("WKTEST_BOB"), var("WKTEST_BOB_PASS")),
        ..Default::default()
    };
    let (_c, s) = handshaken(options)?;
    ensure!(
        s.initiator_name().ok() == Some(var("WKTEST_BOB")),
        "server saw {:?}",
        s.initiator_name()
    );
    let after = fs::read(path).map_err(|e| format!("read {path}: {e}"))?;
    ensure!(before == after, "the default ccache changed");
    Ok(())
}

fn principal_form_with_special_characters() -> TestResult {
    // pymongo sends quote(user) + ":" + quote(password).
    let encoded: String = var("WKTEST_CAROL_PASS")
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let credential = Credential::parse_principal(&format!("{}:{encoded}", var("WKTEST_CAROL")))?;
    let (_c, s) = handshaken(InitiatorOptions {
        credential,
        ..Default::default()
    })?;
    ensure!(
        s.initiator_name().ok() == Some(var("WKTEST_CAROL")),
        "server saw {:?}",
        s.initiator_name()
    );
    Ok(())
}

fn wrong_password_is_authentication_failed() -> TestResult {
    let wrong = "not-bobs-password";
    let result = client(InitiatorOptions {
        credential: Credential::password(var("WKTEST_BOB"), wrong),
        ..Default::default()
    });
    let text = match result {
        Ok(_) => return Err("a wrong password was accepted".into()),
        Err(err) => err.to_string(),
    };
    ensure!(
        !text.contains(wrong),
        "the error shows the password: {text}"
    );
    let err = Initiator::new(
        &var("WKTEST_SERVICE"),
        InitiatorOptions {
            credential: Credential::password(var("WKTEST_BOB"), wrong),
            ..Default::default()
        },
    );
    let text = expect_kind(err, ErrorKind::AuthenticationFailed)?;
    ensure!(
        text.contains("password"),
        "no advice about the password: {text}"
    );
    Ok(())
}

fn unknown_user_is_unknown_principal() -> TestResult {
    let options = InitiatorOptions {
        credential: Credential::password(format!("nobody@{}", var("WKTEST_REALM")), "x"),
        ..Default::default()
    };
    expect_kind(
        Initiator::new(&var("WKTEST_SERVICE"), options),
        ErrorKind::UnknownPrincipal,
    )
    .map(drop)
}

fn misspelled_realm_is_unknown_realm() -> TestResult {
    let typo = var("WKTEST_REALM").replace("LOCAL", "LCOAL");
    let options = InitiatorOptions {
        credential: Credential::password(format!("alice@{typo}"), var("WKTEST_PASS")),
        ..Default::default()
    };
    let text = expect_kind(
        Initiator::new(&var("WKTEST_SERVICE"), options),
        ErrorKind::UnknownRealm,
    )?;
    ensure!(text.contains(&typo), "the realm is not named: {text}");
    ensure!(!text.contains("kinit"), "kinit cannot help: {text}");
    Ok(())
}

fn service_without_a_trust_path_is_no_cross_realm_trust() -> TestResult {
    let options = InitiatorOptions {
        credential: Credential::password(var("WKTEST_BOB"), var("WKTEST_BOB_PASS")),
        ..Default::default()
    };
    let mut client = Initiator::new("HTTP/localhost@OTHER.TEST", options)?;
    let text = expect_kind(client.step(&[]), ErrorKind::NoCrossRealmTrust)?;
    ensure!(text.contains("trust"), "no advice about the trust: {text}");
    Ok(())
}

fn windows_style_domains_become_realms() -> TestResult {
    for domain in ["wktest.local", "WKTEST", "wktest"] {
        let credential = Credential::from_parts(
            "bob",
            Some(domain),
            Some(Secret::from(var("WKTEST_BOB_PASS"))),
        )?;
        let (_c, s) = handshaken(InitiatorOptions {
            credential,
            ..Default::default()
        })?;
        let name = s.initiator_name()?;
        ensure!(name == var("WKTEST_BOB"), "{domain} authenticated {name}");
    }
    let err = Credential::from_parts("bob", Some("NOSUCH"), Some(Secret::from("x")));
    let text = expect_kind(err, ErrorKind::UnknownRealm)?;
    ensure!(text.contains("NOSUCH"), "the domain is not named: {text}");
    Ok(())
}

fn principal_selects_from_the_cache_collection() -> TestResult {
    let options = InitiatorOptions {
        credential: Credential::Principal(var("WKTEST_USER")),
        ..Default::default()
    };
    let (_c, _) = handshaken(options)?;
    let options = InitiatorOptions {
        credential: Credential::Principal(var("WKTEST_BOB")),
        ..Default::default()
    };
    let text = expect_kind(
        Initiator::new(&var("WKTEST_SERVICE"), options),
        ErrorKind::NoCredentials,
    )?;
    ensure!(text.contains("kinit"), "no advice: {text}");
    Ok(())
}

fn credentials_name() -> TestResult {
    let c = client(InitiatorOptions::default())?;
    ensure!(
        c.credential_name().ok() == Some(var("WKTEST_USER")),
        "default: {:?}",
        c.credential_name()
    );
    let c = client(InitiatorOptions {
        credential: Credential::password(var("WKTEST_BOB"), var("WKTEST_BOB_PASS")),
        ..Default::default()
    })?;
    ensure!(
        c.credential_name().ok() == Some(var("WKTEST_BOB")),
        "password: {:?}",
        c.credential_name()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// names

fn unknown_service_is_unknown_principal() -> TestResult {
    let mut c = Initiator::new("HTTP@nohost", InitiatorOptions::default())?;
    let text = expect_kind(c.step(&[]), ErrorKind::UnknownPrincipal)?;
    ensure!(
        text.contains("HTTP/nohost"),
        "message does not name the service: {text}"
    );
    ensure!(text.contains("service name"), "no advice: {text}");
    // The failed leg abandoned the handshake; the next step starts over and fails the same way.
    expect_kind(c.step(&[]), ErrorKind::UnknownPrincipal).map(drop)
}

fn service_principal_name_forms() -> TestResult {
    let realm = var("WKTEST_REALM");
    for target in [
        "HTTP@localhost".to_owned(),
        "HTTP/localhost".to_owned(),
        format!("HTTP/localhost@{realm}"),
        format!("HTTP@localhost@{realm}"),
    ] {
        let mut c = Initiator::new(&target, InitiatorOptions::default())
            .map_err(|e| format!("{target}: {e}"))?;
        handshake(&mut c, &mut server()?).map_err(|e| format!("{target}: {e}"))?;
    }
    Ok(())
}

fn acceptor_without_service_reports_the_target() -> TestResult {
    let mut s = Acceptor::new(AcceptorOptions::default())?;
    let mut c = Initiator::new("host@localhost", InitiatorOptions::default())?;
    handshake(&mut c, &mut s)?;
    let want = format!("host/localhost@{}", var("WKTEST_REALM"));
    ensure!(
        s.target_name().ok() == Some(want),
        "target {:?}",
        s.target_name()
    );
    Ok(())
}

fn acceptor_for_a_service_missing_from_the_keytab() -> TestResult {
    let result = Acceptor::new(AcceptorOptions {
        service: Some("HTTP@not-in-keytab".into()),
        ..Default::default()
    });
    let text = expect_kind(result, ErrorKind::NoCredentials)?;
    ensure!(
        text.contains("keytab"),
        "no advice about the keytab: {text}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// channel bindings

fn bound(client_cb: Option<&[u8]>, server_cb: Option<&[u8]>) -> winkerberos::Result<()> {
    let cb = |data: Option<&[u8]>| data.map(ChannelBindings::tls_server_end_point);
    let mut c = Initiator::new(
        &var("WKTEST_SERVICE"),
        InitiatorOptions {
            channel_bindings: cb(client_cb),
            ..Default::default()
        },
    )?;
    let mut s = Acceptor::new(AcceptorOptions {
        service: Some(var("WKTEST_SERVICE")),
        channel_bindings: cb(server_cb),
    })?;
    let first = c.step(&[])?;
    let reply = s.step(first.token().unwrap_or_default())?;
    c.step(reply.token().unwrap_or_default())?;
    Ok(())
}

fn matching_channel_bindings_are_accepted() -> TestResult {
    Ok(bound(Some(b"cert-hash-1"), Some(b"cert-hash-1"))?)
}

fn different_channel_bindings_are_rejected() -> TestResult {
    expect_kind(
        bound(Some(b"cert-hash-1"), Some(b"cert-hash-2")),
        ErrorKind::BadBindings,
    )
    .map(drop)
}

fn missing_channel_bindings_are_rejected() -> TestResult {
    let text = expect_kind(bound(None, Some(b"cert-hash-1")), ErrorKind::BadBindings)?;
    ensure!(text.contains("no channel bindings"), "{text}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// bad tokens and misuse

fn garbage_truncated_and_oversized_tokens() -> TestResult {
    let first = client(InitiatorOptions::default())?.step(&[])?;
    let token = first.token().unwrap_or_default().to_vec();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"this is not a kerberos token".to_vec()),
        ("truncated", token[..token.len() / 2].to_vec()),
        ("one byte", vec![0x60]),
        ("16 MiB", vec![0x60; 16 << 20]),
    ];
    for (what, bad) in cases {
        let mut s = server()?;
        match s.step(&bad) {
            Ok(step) => return Err(format!("{what}: accepted: {step:?}").into()),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::DefectiveToken | ErrorKind::Failure | ErrorKind::BadMechanism
                ) => {}
            Err(e) => return Err(format!("{what}: unexpected {:?}: {e}", e.kind()).into()),
        }
        // The failed context can start over with a good (fresh) token.
        let fresh = client(InitiatorOptions::default())?.step(&[])?;
        s.step(fresh.token().unwrap_or_default())
            .map_err(|e| format!("{what}: retry after failure: {e}"))?;
    }
    expect_kind(server()?.step(&[]), ErrorKind::InvalidArgument).map(drop)
}

fn replayed_token_is_rejected() -> TestResult {
    let token = client(InitiatorOptions::default())?.step(&[])?;
    let token = token.token().unwrap_or_default();
    server()?.step(token)?;
    let text = expect_kind(server()?.step(token), ErrorKind::Replay)?;
    ensure!(text.to_lowercase().contains("replay"), "{text}");
    Ok(())
}

fn tampered_and_replayed_messages_are_rejected() -> TestResult {
    let flags = Flags::MUTUAL | Flags::REPLAY | Flags::SEQUENCE | Flags::CONF | Flags::INTEG;
    let (mut c, mut s) = handshaken(InitiatorOptions {
        flags,
        ..Default::default()
    })?;
    let good = c.wrap(b"transfer 10 EUR", false)?;
    let mut tampered = good.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    expect_kind(s.unwrap(&tampered), ErrorKind::BadSignature)?;
    let copy = good.clone();
    s.unwrap(&good)?;
    ensure!(copy == good, "gss_unwrap modified its input");
    expect_kind(s.unwrap(&good), ErrorKind::Replay)?;
    // With sequence detection, a message that skips one is refused too.
    c.wrap(b"lost", true)?;
    let after_gap = c.wrap(b"after the gap", true)?;
    expect_kind(s.unwrap(&after_gap), ErrorKind::DefectiveToken).map(drop)
}

fn use_before_and_after_the_handshake() -> TestResult {
    let mut c = client(InitiatorOptions::default())?;
    expect_kind(c.wrap(b"x", false), ErrorKind::NotEstablished)?;
    expect_kind(c.unwrap(b"x"), ErrorKind::NotEstablished)?;
    expect_kind(c.initiator_name(), ErrorKind::NotEstablished)?;
    let mut s = server()?;
    handshake(&mut c, &mut s)?;
    expect_kind(c.step(&[]), ErrorKind::AlreadyEstablished)?;
    expect_kind(s.step(b"x"), ErrorKind::AlreadyEstablished).map(drop)
}

fn mutual_authentication_is_granted() -> TestResult {
    let (c, _) = handshaken(InitiatorOptions::default())?;
    ensure!(
        c.flags().contains(Flags::MUTUAL | Flags::SEQUENCE),
        "granted {}",
        c.flags()
    );
    // Without MUTUAL the first leg completes at once (and still yields the AP-REQ).
    let mut c = client(InitiatorOptions {
        flags: Flags::NONE,
        ..Default::default()
    })?;
    let step = c.step(&[])?;
    ensure!(matches!(step, Step::Complete(Some(_))), "{step:?}");
    Ok(())
}

fn delegated_credentials_reach_a_second_service() -> TestResult {
    let (_c, s) = handshaken(InitiatorOptions {
        flags: Flags::MUTUAL | Flags::DELEG,
        ..Default::default()
    })?;
    ensure!(
        s.flags().contains(Flags::DELEG),
        "delegation not granted: {}",
        s.flags()
    );
    let delegated = s.delegated_credential().ok_or("no delegated credential")?;
    // The service now acts as the user toward another service.
    act_as_delegating_user(delegated, Mech::Kerberos, &var("WKTEST_USER"))?;
    // Without DELEG nothing is delegated.
    let (_c, s) = handshaken(InitiatorOptions::default())?;
    ensure!(
        s.delegated_credential().is_none(),
        "delegated without DELEG"
    );
    Ok(())
}

/// Authenticates to host@localhost with `delegated` credentials over `mech` and checks that
/// the second service sees `user`, the client who delegated them.
fn act_as_delegating_user(
    delegated: winkerberos::DelegatedCredential,
    mech: Mech,
    user: &str,
) -> TestResult {
    let options = InitiatorOptions {
        delegated: Some(delegated),
        mech,
        ..Default::default()
    };
    let mut onward = Initiator::new("host@localhost", options)?;
    let mut backend = Acceptor::new(AcceptorOptions {
        service: Some("host@localhost".into()),
        ..Default::default()
    })?;
    handshake(&mut onward, &mut backend)?;
    ensure!(
        backend.initiator_name().ok().as_deref() == Some(user),
        "backend saw {:?}",
        backend.initiator_name()
    );
    Ok(())
}

fn contexts_run_in_parallel_threads() -> TestResult {
    const THREADS: usize = 4;
    let barrier = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || -> TestResult {
                barrier.wait();
                for round in 0..10 {
                    let (mut c, mut s) = handshaken(InitiatorOptions::default())
                        .map_err(|e| format!("thread {i} round {round}: {e}"))?;
                    let msg = format!("thread {i} round {round}");
                    let got = s.unwrap(&c.wrap(msg.as_bytes(), true)?)?;
                    ensure!(got.data == msg.as_bytes(), "thread {i}: wrong message");
                }
                Ok(())
            })
        })
        .collect();
    // A context also moves between threads between uses.
    let mut c = client(InitiatorOptions::default())?;
    let mut s = server()?;
    let token = c.step(&[])?.token().unwrap_or_default().to_vec();
    let reply = thread::spawn(move || s.step(&token).map(|r| (r, s)))
        .join()
        .map_err(|_| "thread panicked")?;
    let (reply, _s) = reply?;
    c.step(reply.token().unwrap_or_default())?;
    for w in workers {
        w.join().map_err(|_| "a worker panicked".to_owned())??;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// broken environments (each runs in a child with a changed environment)

fn missing_ccache(realm: &Realm) -> Vec<(String, String)> {
    vec![(
        "KRB5CCNAME".into(),
        format!("FILE:{}/no-such-ccache", realm.dir().display()),
    )]
}

fn missing_ccache_is_no_credentials() -> TestResult {
    let mut c = client(InitiatorOptions::default())?;
    let text = expect_kind(c.step(&[]), ErrorKind::NoCredentials)?;
    ensure!(text.contains("kinit"), "no advice: {text}");
    Ok(())
}

fn closed_kdc(realm: &Realm) -> Vec<(String, String)> {
    // A copy of the realm's krb5.conf whose KDC is a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let conf = fs::read_to_string(realm.var("KRB5_CONFIG")).unwrap_or_default();
    let conf = conf.replace(
        &format!("127.0.0.1:{}", realm.var("WKTEST_KDC_PORT")),
        &format!("127.0.0.1:{closed}"),
    );
    let path = realm.dir().join("closed-kdc.conf");
    let _ = fs::write(&path, conf);
    vec![("KRB5_CONFIG".into(), path.display().to_string())]
}

fn kdc_port_closed_is_kdc_unreachable() -> TestResult {
    let options = InitiatorOptions {
        credential: Credential::password(var("WKTEST_BOB"), var("WKTEST_BOB_PASS")),
        ..Default::default()
    };
    let text = expect_kind(
        Initiator::new(&var("WKTEST_SERVICE"), options),
        ErrorKind::KdcUnreachable,
    )?;
    ensure!(text.contains("KDC"), "{text}");
    // A service ticket not yet in the cache needs the KDC too (no other test asks for mongodb).
    let mut c = Initiator::new("mongodb@localhost", InitiatorOptions::default())?;
    expect_kind(c.step(&[]), ErrorKind::KdcUnreachable).map(drop)
}

fn missing_keytab(realm: &Realm) -> Vec<(String, String)> {
    vec![(
        "KRB5_KTNAME".into(),
        format!("FILE:{}/no-such-keytab", realm.dir().display()),
    )]
}

fn missing_keytab_is_no_credentials() -> TestResult {
    let text = expect_kind(
        Acceptor::new(AcceptorOptions {
            service: Some(var("WKTEST_SERVICE")),
            ..Default::default()
        }),
        ErrorKind::NoCredentials,
    )?;
    ensure!(text.contains("KRB5_KTNAME"), "no advice: {text}");
    Ok(())
}

fn missing_library(_: &Realm) -> Vec<(String, String)> {
    vec![(
        "WINKERBEROS_GSSAPI_LIBRARY".into(),
        "/nonexistent/libgssapi_krb5.so.2".into(),
    )]
}

fn missing_library_is_reported() -> TestResult {
    let text = expect_kind(
        winkerberos::ensure_available(),
        ErrorKind::LibraryUnavailable,
    )?;
    ensure!(
        text.contains("/nonexistent/libgssapi_krb5.so.2"),
        "does not name the library: {text}"
    );
    ensure!(
        text.contains("libgssapi-krb5-2") && text.contains("krb5-libs"),
        "does not say what to install: {text}"
    );
    let created = Initiator::new(&var("WKTEST_SERVICE"), InitiatorOptions::default());
    expect_kind(created, ErrorKind::LibraryUnavailable).map(drop)
}

// ---------------------------------------------------------------------------------------------
// detached-header wrapping, delegation storage, passwords, keytabs

fn iov_wrap_round_trips_and_rejects_tampering() -> TestResult {
    let flags = Flags::MUTUAL | Flags::SEQUENCE | Flags::CONF | Flags::INTEG;
    let (mut c, mut s) = handshaken(InitiatorOptions {
        flags,
        ..Default::default()
    })?;
    for (message, encrypt) in [
        (&b"<s:Envelope>WinRM</s:Envelope>"[..], true),
        (b"signed only", false),
        (b"", true),
    ] {
        let wrapped = c.wrap_iov(message, encrypt)?;
        ensure!(!wrapped.header.is_empty(), "no header");
        if encrypt && !message.is_empty() {
            ensure!(wrapped.data != message, "data not encrypted");
        }
        let mut data = wrapped.data.clone();
        data.extend_from_slice(&wrapped.padding);
        let got = s.unwrap_iov(&wrapped.header, &data)?;
        ensure!(
            got.data == message && got.confidential == encrypt,
            "server unwrapped {got:?}"
        );
        // The other way round, and through plain unwrap of header || data (the same token).
        let back = s.wrap_iov(message, encrypt)?;
        let mut stream = back.header.clone();
        stream.extend_from_slice(&back.data);
        stream.extend_from_slice(&back.padding);
        let got = c.unwrap(&stream)?;
        ensure!(
            got.data == message,
            "header || data is not a regular wrap token"
        );
    }
    let wrapped = c.wrap_iov(b"pay 10 EUR", true)?;
    let mut tampered = wrapped.data.clone();
    tampered[0] ^= 1;
    expect_kind(
        s.unwrap_iov(&wrapped.header, &tampered),
        ErrorKind::BadSignature,
    )?;
    expect_kind(
        s.unwrap_iov(&wrapped.header[..4], &wrapped.data),
        ErrorKind::DefectiveToken,
    )
    .map(drop)
}

fn delegated_credentials_stored_in_a_private_file() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let (_c, s) = handshaken(InitiatorOptions {
        flags: Flags::MUTUAL | Flags::DELEG,
        ..Default::default()
    })?;
    let delegated = s.delegated_credential().ok_or("no delegated credential")?;
    let dir = env::temp_dir();
    let path = delegated.store_in_new_file(&dir)?;
    let mode = fs::metadata(&path)?.permissions().mode() & 0o777;
    let listed = Command::new("klist")
        .arg("-c")
        .arg(format!("FILE:{}", path.display()))
        .output()
        .map_err(|e| format!("klist: {e}"))?;
    let _ = fs::remove_file(&path);
    ensure!(mode == 0o600, "mode {mode:o}");
    ensure!(path.starts_with(&dir), "not in {}", dir.display());
    let text = String::from_utf8_lossy(&listed.stdout);
    ensure!(
        text.contains(&var("WKTEST_USER")),
        "klist of the stored cache: {text}"
    );
    ensure!(
        text.contains("krbtgt/"),
        "no TGT in the stored cache: {text}"
    );
    Ok(())
}

fn check_password_with_and_without_verification() -> TestResult {
    let (bob, pw) = (var("WKTEST_BOB"), Secret::from(var("WKTEST_BOB_PASS")));
    check_password(&bob, &pw, None).map_err(|e| format!("unverified: {e}"))?;
    check_password(&bob, &pw, Some("HTTP/localhost")).map_err(|e| format!("verified: {e}"))?;
    let text = expect_kind(
        check_password(&bob, &Secret::from("wrong"), None),
        ErrorKind::AuthenticationFailed,
    )?;
    ensure!(!text.contains("wrong"), "{text}");
    // Verification needs the service's key: a service missing from the keytab fails.
    let no_key = check_password(&bob, &pw, Some("krbtgt/WKTEST.LOCAL"));
    ensure!(
        no_key.is_err(),
        "verified against a service whose key is not in the keytab"
    );
    Ok(())
}

fn change_password_through_kadmind() -> TestResult {
    let dave = var("WKTEST_DAVE");
    let old = Secret::from(var("WKTEST_DAVE_PASS"));
    let text = expect_kind(
        change_password(&dave, &Secret::from("not-the-old"), &old),
        ErrorKind::AuthenticationFailed,
    )?;
    ensure!(!text.contains("not-the-old"), "{text}");
    let text = expect_kind(
        change_password(&dave, &old, &Secret::from("short")),
        ErrorKind::PasswordRejected,
    )?;
    ensure!(text.to_lowercase().contains("password"), "{text}");
    let new = Secret::from("A-much-longer-Passw0rd");
    change_password(&dave, &old, &new)?;
    check_password(&dave, &new, None).map_err(|e| format!("new password: {e}"))?;
    // dave is the realm's one principal whose password tests may change; it stays changed.
    expect_kind(
        check_password(&dave, &old, None),
        ErrorKind::AuthenticationFailed,
    )
    .map(drop)
}

fn keytab_principals_are_listed() -> TestResult {
    let realm = var("WKTEST_REALM");
    let all = keytab_principals(None)?;
    let want: Vec<String> = ["HTTP", "host", "mongodb"]
        .iter()
        .map(|s| format!("{s}/localhost@{realm}"))
        .collect();
    ensure!(all == want, "default keytab lists {all:?}");
    let other = keytab_principals(Some(&var("WKTEST_OTHER_KEYTAB")))?;
    ensure!(
        other == [format!("host/localhost@{realm}")],
        "other keytab lists {other:?}"
    );
    let text = expect_kind(
        keytab_principals(Some("FILE:/nonexistent.keytab")),
        ErrorKind::NoCredentials,
    )?;
    ensure!(text.contains("KRB5_KTNAME"), "{text}");
    Ok(())
}

/// SPNEGO must use the given credentials too (MIT's SPNEGO ignores a credential acquired for
/// Kerberos only and falls back to the default cache, which here holds alice).
fn explicit_credentials_with_spnego() -> TestResult {
    let spnego = |credential| InitiatorOptions {
        credential,
        mech: Mech::Spnego,
        ..Default::default()
    };
    for credential in [
        Credential::password(var("WKTEST_BOB"), var("WKTEST_BOB_PASS")),
        Credential::Principal(var("WKTEST_USER")),
    ] {
        let expected = match &credential {
            Credential::Password { principal, .. } | Credential::Principal(principal) => {
                principal.clone()
            }
            _ => unreachable!(),
        };
        let (_c, s) = handshaken(spnego(credential))?;
        ensure!(
            s.initiator_name().ok() == Some(expected.clone()),
            "server saw {:?}, not {expected}",
            s.initiator_name()
        );
    }
    // Delegated credentials (Kerberos only) used for SPNEGO toward a second service.
    let (_c, s) = handshaken(InitiatorOptions {
        flags: Flags::MUTUAL | Flags::DELEG,
        ..spnego(Credential::password(
            var("WKTEST_BOB"),
            var("WKTEST_BOB_PASS"),
        ))
    })?;
    let delegated = s.delegated_credential().ok_or("bob delegated nothing")?;
    act_as_delegating_user(delegated, Mech::Spnego, &var("WKTEST_BOB"))?;
    Ok(())
}
