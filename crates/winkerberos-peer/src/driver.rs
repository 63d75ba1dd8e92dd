//! The `check` side: runs the cross-platform checks, playing the native side in this process
//! and driving the Windows build (`peer.exe serve`, under Wine) over the line protocol.
//!
//! Every check states what real Windows does. Where Wine is known to differ, the check also
//! recognises Wine's exact behaviour and reports it as a `DIVERGENCE` with the reason, never
//! as a pass; any other result is a `FAIL`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use winkerberos::{
    Acceptor, AcceptorOptions, ChannelBindings, Credential, ErrorKind, Flags, Initiator,
    InitiatorOptions, Mech, Secret, SecurityContext, Step,
};

use crate::protocol::{Fault, credential_field, hex, mech_name, unhex};

/// How long one protocol call may take (a first call under Wine loads its Kerberos support).
const CALL_TIMEOUT: Duration = Duration::from_secs(90);

const SEC_E_UNSUPPORTED_FUNCTION: u32 = 0x8009_0302;
const SEC_E_INTERNAL_ERROR: u32 = 0x8009_0304;
const SEC_E_INVALID_TOKEN: u32 = 0x8009_0308;
const SEC_E_BUFFER_TOO_SMALL: u32 = 0x8009_0321;
const STATUS_UNSUCCESSFUL: u32 = 0xc000_0001;

const OID_KRB5: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02,
];
const OID_SPNEGO: &[u8] = &[0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

/// What a check concluded.
enum Outcome {
    Pass,
    /// Wine does something real Windows does not; the reason says what.
    Divergence(String),
    /// The check cannot run here (what it needs is missing); the reason says what.
    Skip(String),
}

type Checked = Result<Outcome, String>;

/// The test realm, from the environment `scripts/realm.sh` prints.
struct Realm {
    user: String,
    password: String,
    realm: String,
    spn: String,
    service: String,
    /// The principal whose password the checks may change, and its password.
    dave: String,
    dave_password: String,
    /// Set when the realm runs kadmind with kpasswd (`realm.sh start --kadmind`).
    kpasswd_port: Option<String>,
    /// Set for an Active Directory domain (tests/support/samba_ad.py): its NetBIOS name, and a
    /// second service whose account has AES keys (the first gets RC4 tickets, AD's default).
    netbios: Option<String>,
    aes_service: Option<String>,
}

impl Realm {
    fn from_env() -> Result<Self, String> {
        let var = |k: &str| std::env::var(k).map_err(|_| format!("{k} is not set"));
        Ok(Self {
            user: var("WKTEST_USER")?,
            password: var("WKTEST_PASS")?,
            realm: var("WKTEST_REALM")?,
            spn: var("WKTEST_SPN")?,
            service: var("WKTEST_SERVICE")?,
            dave: var("WKTEST_DAVE")?,
            dave_password: var("WKTEST_DAVE_PASS")?,
            kpasswd_port: var("WKTEST_KPASSWD_PORT").ok(),
            netbios: var("WKTEST_NETBIOS").ok(),
            aes_service: var("WKTEST_AES_SERVICE").ok(),
        })
    }
}

/// One `peer.exe serve` process under Wine.
struct Remote {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u32,
}

impl Remote {
    fn spawn(h: &Harness, profile: &str, env: &[(&str, String)]) -> Result<Self, String> {
        let log = h.logs.join(format!("wine-{profile}.log"));
        let log = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut command = match &h.runner {
            Some(runner) => {
                let mut c = Command::new(runner);
                c.arg(&h.exe);
                c
            }
            None => Command::new(&h.exe),
        };
        command
            .arg("serve")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", h.exe.display()))?;
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| "no stdout pipe".to_owned())?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            lines,
            next_id: 0,
        })
    }

    /// Sends one command; the fields after `OK`, or the `ERR` as a fault.
    fn call(&mut self, command: &str) -> Result<Vec<String>, Fault> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Fault::protocol("the Windows peer's stdin is closed"))?;
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .map_err(|e| Fault::protocol(format!("the Windows peer is gone: {e}")))?;
        let line = match self.lines.recv_timeout(CALL_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => {
                return Err(Fault::protocol(format!(
                    "no answer within {CALL_TIMEOUT:?} to {command:.40}"
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Fault::protocol("the Windows peer exited"));
            }
        };
        let mut words = line.splitn(5, ' ');
        match words.next() {
            Some("OK") => Ok(words
                .flat_map(|w| w.split(' '))
                .map(str::to_owned)
                .collect()),
            Some("ERR") => {
                let mut next = || words.next().unwrap_or("-").to_owned();
                Err(Fault {
                    kind: next(),
                    code: next(),
                    op: next(),
                    message: next(),
                })
            }
            _ => Err(Fault::protocol(format!("unexpected answer {line:.200}"))),
        }
    }
}

impl Remote {
    /// Waits up to `limit` for the process to exit; its exit status, if it did.
    fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // Closing stdin ends `serve`; a peer that does not exit in time is killed.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one handshake leg gave.
struct Leg {
    complete: bool,
    token: Vec<u8>,
    flags: Flags,
}

/// One side of a context, native (in this process) or remote (the Windows build).
trait Party {
    fn step(&mut self, input: &[u8]) -> Result<Leg, Fault>;
    fn wrap(&mut self, message: &[u8], conf: bool) -> Result<Vec<u8>, Fault>;
    fn unwrap(&mut self, token: &[u8]) -> Result<(bool, Vec<u8>), Fault>;
    fn wrap_iov(&mut self, message: &[u8], conf: bool) -> Result<[Vec<u8>; 3], Fault>;
    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<(bool, Vec<u8>), Fault>;
    /// `initiator`, `target`, `account` or `credential`.
    fn name(&mut self, which: &str) -> Result<String, Fault>;
}

fn native_leg(step: Step, flags: Flags) -> Leg {
    match step {
        Step::Continue(token) => Leg {
            complete: false,
            token,
            flags,
        },
        Step::Complete(token) => Leg {
            complete: true,
            token: token.unwrap_or_default(),
            flags,
        },
    }
}

/// Either side of a native context, through the crate's shared surface.
impl<C: SecurityContext> Party for C {
    fn step(&mut self, input: &[u8]) -> Result<Leg, Fault> {
        let step = SecurityContext::step(self, input)?;
        Ok(native_leg(step, self.flags()))
    }
    fn wrap(&mut self, message: &[u8], conf: bool) -> Result<Vec<u8>, Fault> {
        Ok(SecurityContext::wrap(self, message, conf)?)
    }
    fn unwrap(&mut self, token: &[u8]) -> Result<(bool, Vec<u8>), Fault> {
        let u = SecurityContext::unwrap(self, token)?;
        Ok((u.confidential, u.data))
    }
    fn wrap_iov(&mut self, message: &[u8], conf: bool) -> Result<[Vec<u8>; 3], Fault> {
        let w = SecurityContext::wrap_iov(self, message, conf)?;
        Ok([w.header, w.data, w.padding])
    }
    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<(bool, Vec<u8>), Fault> {
        let u = SecurityContext::unwrap_iov(self, header, data)?;
        Ok((u.confidential, u.data))
    }
    /// `credential` is asked of the Windows side only (`RemoteParty`).
    fn name(&mut self, which: &str) -> Result<String, Fault> {
        Ok(match which {
            "initiator" => self.initiator_name()?,
            "target" => self.target_name()?,
            "account" => self.initiator_account_name()?,
            other => {
                return Err(Fault::protocol(format!(
                    "no name {other} of a native context"
                )));
            }
        })
    }
}

/// A context in a Windows peer process.
struct RemoteParty {
    remote: Rc<RefCell<Remote>>,
    id: String,
}

impl RemoteParty {
    fn call(&self, command: &str, args: &[&str]) -> Result<Vec<String>, Fault> {
        let line = std::iter::once(command)
            .chain(std::iter::once(self.id.as_str()))
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        self.remote.borrow_mut().call(&line)
    }
}

fn field(fields: &[String], i: usize) -> Result<&str, Fault> {
    fields
        .get(i)
        .map(String::as_str)
        .ok_or_else(|| Fault::protocol(format!("answer field {i} missing")))
}

fn bytes(fields: &[String], i: usize) -> Result<Vec<u8>, Fault> {
    unhex(field(fields, i)?).map_err(Fault::protocol)
}

fn conf_and_data(fields: &[String]) -> Result<(bool, Vec<u8>), Fault> {
    Ok((field(fields, 0)? == "1", bytes(fields, 1)?))
}

impl Party for RemoteParty {
    fn step(&mut self, input: &[u8]) -> Result<Leg, Fault> {
        let f = self.call("STEP", &[&hex(input)])?;
        let flags = field(&f, 2)?
            .parse()
            .map_err(|_| Fault::protocol("bad flags"))?;
        Ok(Leg {
            complete: field(&f, 0)? == "complete",
            token: bytes(&f, 1)?,
            flags: Flags::from_bits(flags),
        })
    }
    fn wrap(&mut self, message: &[u8], conf: bool) -> Result<Vec<u8>, Fault> {
        let f = self.call("WRAP", &[if conf { "1" } else { "0" }, &hex(message)])?;
        bytes(&f, 0)
    }
    fn unwrap(&mut self, token: &[u8]) -> Result<(bool, Vec<u8>), Fault> {
        conf_and_data(&self.call("UNWRAP", &[&hex(token)])?)
    }
    fn wrap_iov(&mut self, message: &[u8], conf: bool) -> Result<[Vec<u8>; 3], Fault> {
        let f = self.call("WRAPIOV", &[if conf { "1" } else { "0" }, &hex(message)])?;
        Ok([bytes(&f, 0)?, bytes(&f, 1)?, bytes(&f, 2)?])
    }
    fn unwrap_iov(&mut self, header: &[u8], data: &[u8]) -> Result<(bool, Vec<u8>), Fault> {
        conf_and_data(&self.call("UNWRAPIOV", &[&hex(header), &hex(data)])?)
    }
    fn name(&mut self, which: &str) -> Result<String, Fault> {
        let f = self.call("NAME", &[which])?;
        String::from_utf8(bytes(&f, 0)?).map_err(|_| Fault::protocol("name is not UTF-8"))
    }
}

impl Drop for RemoteParty {
    fn drop(&mut self) {
        let _ = self.call("DROP", &[]);
    }
}

/// A handshake's record.
struct Handshake {
    /// The initiator's first token.
    first_token: Vec<u8>,
    initiator_flags: Flags,
    acceptor_flags: Flags,
}

/// Runs a handshake to completion on both sides.
fn handshake(init: &mut dyn Party, acc: &mut dyn Party) -> Result<Handshake, String> {
    let leg = init.step(&[]).map_err(|f| format!("initiator: {f}"))?;
    let first_token = leg.token.clone();
    let (mut init_done, mut init_flags) = (leg.complete, leg.flags);
    let (mut acc_done, mut acc_flags) = (false, Flags::NONE);
    let mut to_acceptor = leg.token;
    for _ in 0..8 {
        if to_acceptor.is_empty() {
            break;
        }
        let reply = acc
            .step(&to_acceptor)
            .map_err(|f| format!("acceptor: {f}"))?;
        (acc_done, acc_flags) = (reply.complete, reply.flags);
        if reply.token.is_empty() {
            break;
        }
        if init_done {
            return Err("the acceptor answered an initiator that was already done".into());
        }
        let leg = init
            .step(&reply.token)
            .map_err(|f| format!("initiator: {f}"))?;
        (init_done, init_flags, to_acceptor) = (leg.complete, leg.flags, leg.token);
    }
    if !(init_done && acc_done) {
        return Err(format!(
            "handshake incomplete (initiator done: {init_done}, acceptor done: {acc_done})"
        ));
    }
    Ok(Handshake {
        first_token,
        initiator_flags: init_flags,
        acceptor_flags: acc_flags,
    })
}

fn token_mech(token: &[u8]) -> &'static str {
    let head = &token[..token.len().min(24)];
    let has = |oid: &[u8]| head.windows(oid.len()).any(|w| w == oid);
    if has(OID_SPNEGO) {
        "SPNEGO"
    } else if has(OID_KRB5) {
        "raw Kerberos"
    } else {
        "unknown"
    }
}

/// Everything the checks share.
struct Harness {
    runner: Option<PathBuf>,
    exe: PathBuf,
    logs: PathBuf,
    realm: Realm,
    ccache: String,
    remotes: HashMap<&'static str, Rc<RefCell<Remote>>>,
}

impl Harness {
    fn under_wine(&self) -> bool {
        self.runner.is_some()
    }

    /// The Windows peer process of `profile`, started on first use. Profiles differ in their
    /// default credential cache: `memory` has an empty one of its own, because Wine's
    /// AcquireCredentialsHandle with explicit credentials replaces the default cache's
    /// contents; `acceptor` serves the acceptors of the Wine-to-Wine checks.
    fn remote(&mut self, profile: &'static str) -> Result<Rc<RefCell<Remote>>, String> {
        if let Some(r) = self.remotes.get(profile) {
            return Ok(Rc::clone(r));
        }
        let ccache = match profile {
            "memory" => "MEMORY:winkerberos-explicit".to_owned(),
            _ => self.ccache.clone(),
        };
        let remote = Rc::new(RefCell::new(Remote::spawn(
            self,
            profile,
            &[("KRB5CCNAME", ccache)],
        )?));
        self.remotes.insert(profile, Rc::clone(&remote));
        Ok(remote)
    }

    fn new_id(remote: &Rc<RefCell<Remote>>) -> String {
        let mut r = remote.borrow_mut();
        r.next_id += 1;
        format!("c{}", r.next_id)
    }

    /// An initiator in the Windows peer of `profile`.
    fn wine_initiator(
        &mut self,
        profile: &'static str,
        target: &str,
        mech: Mech,
        flags: Flags,
        cred: &Credential,
        bindings: Option<&[u8]>,
    ) -> Result<RemoteParty, Fault> {
        let remote = self.remote(profile).map_err(Fault::protocol)?;
        let id = Self::new_id(&remote);
        let party = RemoteParty { remote, id };
        let flags = flags.bits().to_string();
        let target = hex(target.as_bytes());
        let cred = credential_field(cred);
        let mut args = vec![mech_name(mech), &flags, &target, &cred];
        let cb = bindings.map(hex);
        args.extend(cb.as_deref());
        party.call("INIT", &args)?;
        Ok(party)
    }

    /// An acceptor in the Windows peer of `profile`.
    fn wine_acceptor(
        &mut self,
        profile: &'static str,
        service: Option<&str>,
        bindings: Option<&[u8]>,
    ) -> Result<RemoteParty, Fault> {
        let remote = self.remote(profile).map_err(Fault::protocol)?;
        let id = Self::new_id(&remote);
        let party = RemoteParty { remote, id };
        let service = hex(service.unwrap_or_default().as_bytes());
        let mut args = vec![service.as_str()];
        let cb = bindings.map(hex);
        args.extend(cb.as_deref());
        party.call("ACCEPT", &args)?;
        Ok(party)
    }

    fn password(&self) -> Credential {
        Credential::password(self.realm.user.clone(), self.realm.password.clone())
    }

    /// `Outcome::Divergence(reason)` when running under Wine and `wine_symptom` holds;
    /// otherwise a failure saying what Windows would have done.
    fn wine_only(&self, wine_symptom: bool, reason: &str, windows: String) -> Checked {
        if self.under_wine() && wine_symptom {
            Ok(Outcome::Divergence(reason.to_owned()))
        } else {
            Err(windows)
        }
    }
}

fn native_acceptor(service: Option<&str>, bindings: Option<&[u8]>) -> Result<Acceptor, Fault> {
    Ok(Acceptor::new(AcceptorOptions {
        service: service.map(str::to_owned),
        channel_bindings: bindings.map(ChannelBindings::with_application_data),
    })?)
}

fn native_initiator(
    target: &str,
    mech: Mech,
    flags: Flags,
    bindings: Option<&[u8]>,
) -> Result<Initiator, Fault> {
    Ok(Initiator::new(
        target,
        InitiatorOptions {
            mech,
            flags,
            channel_bindings: bindings.map(ChannelBindings::with_application_data),
            ..InitiatorOptions::default()
        },
    )?)
}

fn fault(f: Fault) -> String {
    f.to_string()
}

const ALL_FLAGS: Flags = Flags::from_bits(2 | 4 | 8 | 16 | 32);
const MESSAGE: &[u8] = b"a message for the peer, 42 bytes long....";

fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {want:?}"))
    }
}

// ---------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------

/// Wine's Kerberos initiator (default credentials) against a native acceptor.
fn wine_kerberos_initiator(h: &mut Harness) -> Checked {
    let cred = Credential::Default;
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            ALL_FLAGS,
            &cred,
            None,
        )
        .map_err(fault)?;
    let mut acc = native_acceptor(None, None).map_err(fault)?;
    let hs = handshake(&mut init, &mut acc)?;
    expect_eq("first token", token_mech(&hs.first_token), "raw Kerberos")?;
    expect_eq(
        "client seen by the acceptor",
        acc.initiator_name().map_err(|e| e.to_string())?,
        h.realm.user.clone(),
    )?;
    expect_eq(
        "service seen by the acceptor",
        acc.target_name().map_err(|e| e.to_string())?,
        h.realm.spn.clone(),
    )?;
    expect_eq(
        "flags granted to the Windows initiator",
        hs.initiator_flags & ALL_FLAGS,
        ALL_FLAGS,
    )?;
    expect_eq(
        "flags seen by the acceptor",
        hs.acceptor_flags & ALL_FLAGS,
        ALL_FLAGS,
    )?;
    Ok(Outcome::Pass)
}

/// Wine's Negotiate initiator against a native acceptor.
fn wine_negotiate_initiator(h: &mut Harness) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.spn.clone(),
            Mech::Spnego,
            Flags::MUTUAL | Flags::SEQUENCE,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    let mut acc = native_acceptor(None, None).map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    expect_eq(
        "client seen by the acceptor",
        acc.initiator_name().map_err(|e| e.to_string())?,
        h.realm.user.clone(),
    )?;
    Ok(Outcome::Pass)
}

/// Windows' Negotiate package sends SPNEGO (NegTokenInit) as its first token.
fn wine_negotiate_token_is_spnego(h: &mut Harness) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.spn.clone(),
            Mech::Spnego,
            Flags::MUTUAL,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    let first = init.step(&[]).map_err(fault)?.token;
    match token_mech(&first) {
        "SPNEGO" => Ok(Outcome::Pass),
        kind => h.wine_only(
            kind == "raw Kerberos",
            "Wine's Negotiate package sends a raw Kerberos AP-REQ, not a SPNEGO NegTokenInit \
             (the native acceptor takes either)",
            format!("the Negotiate package's first token is {kind}, not SPNEGO"),
        ),
    }
}

/// A native krb5 initiator against Wine's acceptor (Negotiate package, keytab key).
fn native_kerberos_to_wine_acceptor(h: &mut Harness) -> Checked {
    let mut acc = h.wine_acceptor("acceptor", None, None).map_err(fault)?;
    let mut init = native_initiator(&h.realm.service.clone(), Mech::Kerberos, ALL_FLAGS, None)
        .map_err(fault)?;
    let hs = handshake(&mut init, &mut acc)?;
    expect_eq(
        "flags granted to the native initiator",
        hs.initiator_flags & ALL_FLAGS,
        ALL_FLAGS,
    )?;
    expect_eq(
        "flags seen by the Windows acceptor",
        hs.acceptor_flags & ALL_FLAGS,
        ALL_FLAGS,
    )?;
    Ok(Outcome::Pass)
}

/// A native SPNEGO initiator against Wine's acceptor for a named service.
fn native_spnego_to_wine_acceptor(h: &mut Harness) -> Checked {
    let service = h.realm.service.clone();
    let mut acc = h
        .wine_acceptor("acceptor", Some(&service), None)
        .map_err(fault)?;
    let mut init = native_initiator(
        &service,
        Mech::Spnego,
        Flags::MUTUAL | Flags::SEQUENCE,
        None,
    )
    .map_err(fault)?;
    let hs = handshake(&mut init, &mut acc)?;
    expect_eq("native first token", token_mech(&hs.first_token), "SPNEGO")?;
    Ok(Outcome::Pass)
}

/// The Windows acceptor names the client (`SECPKG_ATTR_NATIVE_NAMES`).
fn wine_acceptor_names_client(h: &mut Harness) -> Checked {
    let mut acc = h.wine_acceptor("acceptor", None, None).map_err(fault)?;
    let mut init = native_initiator(
        &h.realm.service.clone(),
        Mech::Kerberos,
        Flags::MUTUAL,
        None,
    )
    .map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    match acc.name("initiator") {
        Ok(name) => {
            expect_eq("client name", name, h.realm.user.clone())?;
            Ok(Outcome::Pass)
        }
        Err(f) => h.wine_only(
            f.sspi_code() == Some(SEC_E_UNSUPPORTED_FUNCTION),
            "Wine's QueryContextAttributesW supports neither SECPKG_ATTR_NATIVE_NAMES nor \
             SECPKG_ATTR_NAMES (SEC_E_UNSUPPORTED_FUNCTION), so a Wine service cannot learn \
             the client's name",
            fault(f),
        ),
    }
}

/// The Windows initiator names itself and the service once complete.
fn wine_initiator_names(h: &mut Harness) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            Flags::MUTUAL,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    let mut acc = native_acceptor(None, None).map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    let names = init
        .name("initiator")
        .and_then(|i| Ok((i, init.name("target")?, init.name("account")?)));
    match names {
        Ok((client, _target, account)) => {
            expect_eq("client name", client, h.realm.user.clone())?;
            if account.is_empty() {
                return Err("empty account name".into());
            }
            Ok(Outcome::Pass)
        }
        Err(f) => h.wine_only(
            f.sspi_code() == Some(SEC_E_UNSUPPORTED_FUNCTION),
            "Wine's QueryContextAttributesW does not support SECPKG_ATTR_NATIVE_NAMES or \
             SECPKG_ATTR_NAMES (SEC_E_UNSUPPORTED_FUNCTION)",
            fault(f),
        ),
    }
}

/// The credential's principal (`QueryCredentialsAttributesW`).
fn wine_credential_name(h: &mut Harness) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            Flags::MUTUAL,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    match init.name("credential") {
        Ok(name) if !name.is_empty() => Ok(Outcome::Pass),
        Ok(_) => Err("empty credential name".into()),
        Err(f) => h.wine_only(
            f.sspi_code() == Some(SEC_E_UNSUPPORTED_FUNCTION),
            "Wine's secur32 has no QueryCredentialsAttributesW for the Kerberos package \
             (SEC_E_UNSUPPORTED_FUNCTION)",
            fault(f),
        ),
    }
}

/// Explicit credentials (`SEC_WINNT_AUTH_IDENTITY_W`) with either package.
fn wine_explicit_credentials(h: &mut Harness, mech: Mech) -> Checked {
    let cred = h.password();
    let mut init = h
        .wine_initiator(
            "memory",
            &h.realm.spn.clone(),
            mech,
            Flags::MUTUAL | Flags::SEQUENCE,
            &cred,
            None,
        )
        .map_err(fault)?;
    let mut acc = native_acceptor(None, None).map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    expect_eq(
        "client seen by the acceptor",
        acc.initiator_name().map_err(|e| e.to_string())?,
        h.realm.user.clone(),
    )?;
    Ok(Outcome::Pass)
}

/// A principal picked from the credential cache (`pszPrincipal`).
fn wine_principal_credential(h: &mut Harness) -> Checked {
    let cred = Credential::Principal(h.realm.user.clone());
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            Flags::MUTUAL,
            &cred,
            None,
        )
        .map_err(fault)?;
    let mut acc = native_acceptor(None, None).map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    Ok(Outcome::Pass)
}

/// A wrong password fails with `AuthenticationFailed` (SEC_E_LOGON_DENIED from the first
/// InitializeSecurityContextW on Windows).
fn wine_wrong_password(h: &mut Harness) -> Checked {
    let cred = Credential::password(h.realm.user.clone(), "not-the-password");
    let attempt = h
        .wine_initiator(
            "memory",
            &h.realm.spn.clone(),
            Mech::Kerberos,
            Flags::MUTUAL,
            &cred,
            None,
        )
        .and_then(|mut init| init.step(&[]));
    let f = match attempt {
        Ok(_) => return Err("a wrong password was accepted".into()),
        Err(f) => f,
    };
    if f.kind == "AuthenticationFailed" && !f.message.contains("not-the-password") {
        return Ok(Outcome::Pass);
    }
    if f.message.contains("not-the-password") {
        return Err(format!("the error shows the password: {f}"));
    }
    h.wine_only(
        f.op == "AcquireCredentialsHandleW" && f.sspi_code() == Some(STATUS_UNSUCCESSFUL),
        "Wine's AcquireCredentialsHandleW gets a ticket at once and fails with the NTSTATUS \
         STATUS_UNSUCCESSFUL (0xc0000001); Windows fails the first step with \
         SEC_E_LOGON_DENIED",
        fault(f),
    )
}

/// An unknown service fails with `UnknownPrincipal` (SEC_E_TARGET_UNKNOWN on Windows).
fn wine_unknown_service(h: &mut Harness) -> Checked {
    let target = format!("HTTP/no-such-host.invalid@{}", h.realm.realm);
    let attempt = h
        .wine_initiator(
            "ccache",
            &target,
            Mech::Kerberos,
            Flags::MUTUAL,
            &Credential::Default,
            None,
        )
        .and_then(|mut init| init.step(&[]));
    match attempt {
        Ok(_) => Err("a ticket for an unknown service was issued".into()),
        Err(f) if f.kind == "UnknownPrincipal" => Ok(Outcome::Pass),
        Err(f) => h.wine_only(
            f.sspi_code() == Some(SEC_E_INTERNAL_ERROR),
            "Wine maps the KDC's 'server not found' to SEC_E_INTERNAL_ERROR; Windows returns \
             SEC_E_TARGET_UNKNOWN",
            fault(f),
        ),
    }
}

/// Default credentials with an empty credential cache fail with `NoCredentials`.
fn wine_no_credentials(h: &mut Harness) -> Checked {
    // A cache that exists in no process: nothing was ever stored in it.
    let remote = Remote::spawn(
        h,
        "empty",
        &[("KRB5CCNAME", "MEMORY:winkerberos-empty".to_owned())],
    )?;
    let remote = Rc::new(RefCell::new(remote));
    let id = Harness::new_id(&remote);
    let mut init = RemoteParty { remote, id };
    let target = hex(h.realm.spn.as_bytes());
    let attempt = init
        .call("INIT", &["kerberos", "2", &target, "default"])
        .and_then(|_| init.step(&[]));
    match attempt {
        Ok(_) => Err("authenticated without credentials".into()),
        Err(f) if f.kind == "NoCredentials" => Ok(Outcome::Pass),
        Err(f) => Err(fault(f)),
    }
}

/// Tokens that are not Kerberos, one per class of malformation. Each is a fixed input and a
/// check of its own, so a class that Wine answers differently from another shows as itself.
/// Wine's answer also depends on whether Samba's `ntlm_auth` is installed (Negotiate then
/// falls back to NTLM, and NTLM's failure is what it reports): without it, Wine 8 answers
/// the bad-length class, and Wine 10 the bad-length and SPNEGO classes, as Windows does.
/// That is what made the single garbage check of old flip between machines and runs; the
/// leg's set-up installs `winbind` for both Wines, so the outcome is fixed.
const GARBAGE_TOKENS: &[(&str, &[u8])] = &[
    // No RFC 2743 framing at all.
    ("not-gss", b"not a token at all"),
    // RFC 2743 framing whose length (5) disagrees with the token's.
    ("bad-length", b"\x60\x05not a token at all"),
    // Well-framed, the krb5 mechanism's OID and an AP-REQ token ID, then junk.
    (
        "krb5-junk",
        &[
            0x60, 0x15, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01,
            0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03,
        ],
    ),
    // Well-framed, SPNEGO's OID, then a NegTokenInit that is empty junk.
    (
        "spnego-junk",
        &[
            0x60, 0x0e, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x04, 0x30, 0x02,
            0xde, 0xad,
        ],
    ),
];

/// A token of one garbage class fails with `DefectiveToken` at the acceptor. The acceptor
/// runs in a Windows process of its own, started for this check, so nothing an earlier
/// check left in a shared process can change the answer; the token is sent to three fresh
/// contexts, which must all answer alike.
fn wine_acceptor_rejects_garbage(h: &mut Harness, class: &str) -> Checked {
    let token = GARBAGE_TOKENS
        .iter()
        .find(|(name, _)| *name == class)
        .map(|(_, token)| *token)
        .ok_or_else(|| format!("no garbage class {class}"))?;
    let profile = format!("garbage-{class}");
    let remote = Rc::new(RefCell::new(Remote::spawn(
        h,
        &profile,
        &[("KRB5CCNAME", h.ccache.clone())],
    )?));
    let mut answers = Vec::new();
    for _ in 0..3 {
        let id = Harness::new_id(&remote);
        let mut acc = RemoteParty {
            remote: Rc::clone(&remote),
            id,
        };
        acc.call("ACCEPT", &["-"]).map_err(fault)?;
        match acc.step(token) {
            Ok(_) => return Err("a garbage token was accepted".into()),
            Err(f) => answers.push(f),
        }
    }
    let first = &answers[0];
    if let Some(other) = answers
        .iter()
        .find(|f| (&f.kind, &f.code) != (&first.kind, &first.code))
    {
        return Err(format!(
            "the same token got different answers: {first} / {other}"
        ));
    }
    if first.kind == "DefectiveToken" {
        return Ok(Outcome::Pass);
    }
    h.wine_only(
        first.sspi_code() == Some(SEC_E_INTERNAL_ERROR),
        "Wine's Negotiate acceptor answers this malformed token with SEC_E_INTERNAL_ERROR: \
         once its Kerberos package has refused the token it hands it to NTLM (Samba's \
         ntlm_auth), whose failure is what it returns, and its Kerberos package maps every \
         GSS failure but GSS_S_DEFECTIVE_TOKEN to that code too; Windows returns \
         SEC_E_INVALID_TOKEN",
        fault(first.clone()),
    )
}

/// Both sides under Wine (two processes), with either package.
fn wine_to_wine(h: &mut Harness, mech: Mech) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            mech,
            ALL_FLAGS,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    let mut acc = h.wine_acceptor("acceptor", None, None).map_err(fault)?;
    let hs = handshake(&mut init, &mut acc)?;
    expect_eq(
        "flags granted to the initiator",
        hs.initiator_flags & ALL_FLAGS,
        ALL_FLAGS,
    )?;
    Ok(Outcome::Pass)
}

/// Requested flags that were not granted fail the handshake; requesting confidentiality
/// is refused by wrap when it was not requested.
fn wine_encrypt_needs_conf(h: &mut Harness) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            Flags::MUTUAL | Flags::INTEG,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    if let Ok(t) = init.wrap(MESSAGE, false) {
        return Err(format!("wrap before the handshake gave {} bytes", t.len()));
    }
    let mut acc = native_acceptor(None, None).map_err(fault)?;
    let hs = handshake(&mut init, &mut acc)?;
    if hs.initiator_flags.contains(Flags::CONF) {
        // Then wrap may encrypt, and the check below is moot.
        return h.wine_only(
            true,
            "Wine's Kerberos package grants ISC_RET_CONFIDENTIALITY without \
             ISC_REQ_CONFIDENTIALITY (MIT always offers confidentiality); Windows grants \
             only what was requested, and EncryptMessage then refuses to encrypt",
            "CONF was granted without being requested".into(),
        );
    }
    match init.wrap(MESSAGE, true) {
        Ok(_) => Err("encrypted without CONF having been granted".into()),
        Err(f) if f.kind == "Unsupported" => Ok(Outcome::Pass),
        Err(f) => Err(fault(f)),
    }
}

/// Channel bindings sent by the Windows initiator reach a native acceptor that checks them.
fn wine_initiator_channel_bindings(h: &mut Harness) -> Checked {
    let cb = b"tls-server-end-point:0123456789abcdef0123456789abcdef";
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            Flags::MUTUAL,
            &Credential::Default,
            Some(cb),
        )
        .map_err(fault)?;
    let mut acc = native_acceptor(None, Some(cb)).map_err(fault)?;
    match handshake(&mut init, &mut acc) {
        Ok(hs) if hs.acceptor_flags.contains(Flags::CHANNEL_BOUND) => Ok(Outcome::Pass),
        Ok(_) => Err("the acceptor did not report the context as bound".into()),
        Err(e) => h.wine_only(
            e.contains("BadBindings") && e.starts_with("acceptor"),
            "Wine's InitializeSecurityContextW ignores SECBUFFER_CHANNEL_BINDINGS and sends \
             no bindings, so a native acceptor that requires them refuses the client",
            e,
        ),
    }
}

/// A Windows acceptor refuses an initiator whose channel bindings differ from its own.
fn wine_acceptor_channel_bindings_mismatch(h: &mut Harness) -> Checked {
    let mut acc = h
        .wine_acceptor("acceptor", None, Some(b"tls-server-end-point:server"))
        .map_err(fault)?;
    let mut init = native_initiator(
        &h.realm.service.clone(),
        Mech::Kerberos,
        Flags::MUTUAL,
        Some(b"tls-server-end-point:attacker"),
    )
    .map_err(fault)?;
    match handshake(&mut init, &mut acc) {
        Err(e) if e.contains("BadBindings") => Ok(Outcome::Pass),
        Err(e) => Err(e),
        Ok(_) => h.wine_only(
            true,
            "Wine's AcceptSecurityContext ignores SECBUFFER_CHANNEL_BINDINGS \
             (GSS_C_NO_CHANNEL_BINDINGS), so mismatched bindings are accepted",
            "mismatched channel bindings were accepted".into(),
        ),
    }
}

/// An established Windows initiator and native acceptor, with every protection flag.
fn wine_initiator_pair(h: &mut Harness) -> Result<(RemoteParty, Acceptor), String> {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            ALL_FLAGS,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    let mut acc = native_acceptor(None, None).map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    Ok((init, acc))
}

/// Wine's split of a gss_wrap token: the first `len(message)` bytes went to DATA, the rest
/// to TOKEN; PADDING was left alone (`pad` bytes). Rebuilds the gss_wrap token.
fn wine_layout(wrapped: &[u8], message_len: usize, pad: usize) -> Option<Vec<u8>> {
    let token_len = wrapped.len().checked_sub(message_len + pad)?;
    let data = wrapped.get(token_len..token_len + message_len)?;
    let mut rebuilt = data.to_vec();
    rebuilt.extend_from_slice(wrapped.get(..token_len)?);
    Some(rebuilt)
}

/// Windows wraps (integrity only); the native peer unwraps the RFC 4121 token.
fn wine_wrap_integrity_to_native(h: &mut Harness) -> Checked {
    let (mut init, mut acc) = wine_initiator_pair(h)?;
    let wrapped = init.wrap(MESSAGE, false).map_err(fault)?;
    match SecurityContext::unwrap(&mut acc, &wrapped) {
        Ok(u) => {
            expect_eq("message", u.data.as_slice(), MESSAGE)?;
            expect_eq("confidential", u.confidential, false)?;
            Ok(Outcome::Pass)
        }
        Err(e) => {
            // Wine's own layout (data first) must be what went wrong, and nothing else: the
            // rebuilt token must unwrap (a token that failed to parse used up no sequence
            // number).
            let rebuilt_ok = (0..=1).any(|pad| {
                wine_layout(&wrapped, MESSAGE.len(), pad).is_some_and(|t| {
                    SecurityContext::unwrap(&mut acc, &t).is_ok_and(|u| u.data == MESSAGE)
                })
            });
            h.wine_only(
                rebuilt_ok,
                "Wine's EncryptMessage puts the first len(message) bytes of gss_wrap's output \
                 (the RFC 4121 header) in DATA and the rest in TOKEN, so TOKEN||DATA is not a \
                 GSS token; reordered as DATA||TOKEN it unwraps natively (Windows writes the \
                 header into TOKEN)",
                format!("native unwrap failed: {e}"),
            )
        }
    }
}

/// Windows wraps with confidentiality; the native peer unwraps.
fn wine_wrap_confidential_to_native(h: &mut Harness) -> Checked {
    let (mut init, mut acc) = wine_initiator_pair(h)?;
    match init.wrap(MESSAGE, true) {
        Ok(wrapped) => {
            let u = SecurityContext::unwrap(&mut acc, &wrapped).map_err(|e| e.to_string())?;
            expect_eq("message", u.data.as_slice(), MESSAGE)?;
            expect_eq("confidential", u.confidential, true)?;
            Ok(Outcome::Pass)
        }
        Err(f) => h.wine_only(
            f.op == "EncryptMessage" && f.sspi_code() == Some(SEC_E_BUFFER_TOO_SMALL),
            "Wine reports cbSecurityTrailer = 49, but an encrypted AES token needs 60 bytes \
             after the data, so EncryptMessage with a TOKEN buffer of cbSecurityTrailer bytes \
             fails with SEC_E_BUFFER_TOO_SMALL",
            fault(f),
        ),
    }
}

/// The native peer wraps; Windows unwraps with `[STREAM | DATA]`.
fn native_wrap_to_wine(h: &mut Harness, conf: bool) -> Checked {
    let (mut init, mut acc) = wine_initiator_pair(h)?;
    let wrapped = SecurityContext::wrap(&mut acc, MESSAGE, conf).map_err(|e| e.to_string())?;
    match init.unwrap(&wrapped) {
        Ok((confidential, data)) => {
            expect_eq("message", data.as_slice(), MESSAGE)?;
            expect_eq("confidential", confidential, conf)?;
            Ok(Outcome::Pass)
        }
        Err(f) => h.wine_only(
            f.op == "DecryptMessage" && f.sspi_code() == Some(SEC_E_INVALID_TOKEN),
            "Wine's DecryptMessage needs a TOKEN and a DATA buffer and does not support \
             SECBUFFER_STREAM (SEC_E_INVALID_TOKEN)",
            fault(f),
        ),
    }
}

/// The Windows acceptor wraps for a native initiator.
fn wine_acceptor_wrap_to_native(h: &mut Harness) -> Checked {
    let mut acc = h.wine_acceptor("acceptor", None, None).map_err(fault)?;
    let mut init = native_initiator(&h.realm.service.clone(), Mech::Kerberos, ALL_FLAGS, None)
        .map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    let wrapped = acc.wrap(MESSAGE, false).map_err(fault)?;
    match SecurityContext::unwrap(&mut init, &wrapped) {
        Ok(u) => {
            expect_eq("message", u.data.as_slice(), MESSAGE)?;
            Ok(Outcome::Pass)
        }
        Err(e) => {
            let rebuilt_ok = (0..=1).any(|pad| {
                wine_layout(&wrapped, MESSAGE.len(), pad).is_some_and(|t| {
                    SecurityContext::unwrap(&mut init, &t).is_ok_and(|u| u.data == MESSAGE)
                })
            });
            h.wine_only(
                rebuilt_ok,
                "the acceptor's EncryptMessage under Wine has the same DATA||TOKEN layout",
                format!("native unwrap failed: {e}"),
            )
        }
    }
}

/// Both sides under Wine: wrap and unwrap.
fn wine_to_wine_wrap(h: &mut Harness) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            ALL_FLAGS,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    let mut acc = h.wine_acceptor("acceptor", None, None).map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    let wrapped = init.wrap(MESSAGE, false).map_err(fault)?;
    match acc.unwrap(&wrapped) {
        Ok((_, data)) => {
            expect_eq("message", data.as_slice(), MESSAGE)?;
            Ok(Outcome::Pass)
        }
        Err(f) => h.wine_only(
            f.op == "DecryptMessage" && f.sspi_code() == Some(SEC_E_INVALID_TOKEN),
            "Wine's DecryptMessage does not support SECBUFFER_STREAM (SEC_E_INVALID_TOKEN)",
            fault(f),
        ),
    }
}

/// Both sides under Wine: detached-header wrapping (`[TOKEN | DATA | PADDING]`, the WinRM
/// layout), integrity only.
fn wine_to_wine_wrap_iov(h: &mut Harness) -> Checked {
    let mut init = h
        .wine_initiator(
            "ccache",
            &h.realm.service.clone(),
            Mech::Kerberos,
            ALL_FLAGS,
            &Credential::Default,
            None,
        )
        .map_err(fault)?;
    let mut acc = h.wine_acceptor("acceptor", None, None).map_err(fault)?;
    handshake(&mut init, &mut acc)?;
    let [header, data, padding] = init.wrap_iov(MESSAGE, false).map_err(fault)?;
    let mut body = data;
    body.extend_from_slice(&padding);
    match acc.unwrap_iov(&header, &body) {
        Ok((_, plain)) => {
            expect_eq("message", plain.as_slice(), MESSAGE)?;
            Ok(Outcome::Pass)
        }
        Err(f) => h.wine_only(
            !padding.is_empty() && f.op == "DecryptMessage",
            "Wine's EncryptMessage leaves the PADDING buffer untouched (its length stays \
             cbBlockSize), so the padding appended to the data corrupts the message Wine's \
             DecryptMessage reassembles",
            fault(f),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Password changes (ChangeAccountPasswordW), on the principal `dave` (policy `strict`:
// at least 12 characters of 3 classes)
// ---------------------------------------------------------------------------------------

/// Shorter than the `strict` policy's 12 characters (of 4 classes, so length is the reason).
const DAVE_SHORT_PASSWORD: &str = "Sh0rt-pw";
/// What the successful change sets: 17 characters of 4 classes.
const DAVE_NEW_PASSWORD: &str = "Changed-by-SSPI-5";
const NOT_DAVES_PASSWORD: &str = "not-daves-password-9";

/// What Wine (8.0 and 10.0) does when the peer calls ChangeAccountPasswordW: its loader,
/// which bound the import that secur32.dll does not export to a stub, says on standard error
const WINE_CHPW_STDERR: &str = "to unimplemented function secur32.dll.ChangeAccountPasswordW, \
                                aborting";
/// and the debugger it starts writes to the process's standard output, whose first line is
/// where the peer's answer should be: Wine 8's winedbg its crash report,
const WINE_CHPW_ANSWER: &str =
    "Unhandled exception: unimplemented function secur32.dll.ChangeAccountPasswordW called";
/// Wine 10's its banner (the report follows).
const WINE10_DEBUGGER_ANSWER: &str = "WineDbg attached to pid ";
const WINE_CHPW_REASON: &str = "Wine's secur32.dll does not export ChangeAccountPasswordW \
     (sspicli.dll has it only as an unimplemented stub), so the loader binds the import to a \
     stub that raises an exception: the call ends the process (\"Unhandled exception: \
     unimplemented function secur32.dll.ChangeAccountPasswordW called\"); Windows changes the \
     password through the Kerberos package";

/// How a Windows `change_password` ended.
enum Changed {
    Done,
    Refused(Fault),
    /// The peer process did not answer but ended.
    Died(Death),
}

/// A peer process that ended instead of answering.
struct Death {
    /// The line that came instead of the answer (empty if none).
    answer: String,
    stderr: String,
    status: String,
}

impl Death {
    /// Wine's symptom, exactly: the loader's message and the debugger's report.
    fn is_wine_missing_change_password(&self) -> bool {
        let debugger_answered = self.answer.starts_with(WINE_CHPW_ANSWER)
            || self.answer.starts_with(WINE10_DEBUGGER_ANSWER);
        debugger_answered && self.stderr.contains(WINE_CHPW_STDERR)
    }
}

impl std::fmt::Display for Death {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit status {}; answer {:?}; stderr {:?}",
            self.status,
            self.answer.chars().take(160).collect::<String>(),
            self.stderr.chars().take(400).collect::<String>()
        )
    }
}

/// `change_password(dave, old, new)` in a Windows peer process of its own (`profile`), since
/// under Wine the call ends the process.
fn wine_change_password(
    h: &Harness,
    profile: &'static str,
    old: &str,
    new: &str,
) -> Result<Changed, String> {
    if h.realm.kpasswd_port.is_none() {
        return Err("the realm runs no kpasswd (scripts/realm.sh start DIR --kadmind)".into());
    }
    let mut remote = Remote::spawn(
        h,
        profile,
        &[("KRB5CCNAME", format!("MEMORY:winkerberos-{profile}"))],
    )?;
    let line = format!(
        "CHPW {} {} {}",
        hex(h.realm.dave.as_bytes()),
        hex(old.as_bytes()),
        hex(new.as_bytes())
    );
    let f = match remote.call(&line) {
        Ok(_) => return Ok(Changed::Done),
        Err(f) => f,
    };
    for secret in [old, new] {
        if f.message.contains(secret) || f.op.contains(secret) {
            return Err(format!("the error shows a password: {f}"));
        }
    }
    if f.kind != "Protocol" {
        return Ok(Changed::Refused(f));
    }
    // No answer: a line that is none (`unexpected answer LINE`), or none at all.
    let answer = match f.message.strip_prefix("unexpected answer ") {
        Some(line) => line.to_owned(),
        None if f.message == "the Windows peer exited" => String::new(),
        None => return Err(fault(f)),
    };
    let status = remote
        .wait_exit(Duration::from_secs(30))
        .map_or_else(|| "none (still running)".to_owned(), |s| s.to_string());
    let log = h.logs.join(format!("wine-{profile}.log"));
    let stderr = std::fs::read_to_string(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    Ok(Changed::Died(Death {
        answer,
        stderr,
        status,
    }))
}

/// The Windows peer died in ChangeAccountPasswordW: a divergence only with Wine's symptom.
fn wine_died(h: &Harness, death: &Death) -> Checked {
    h.wine_only(
        death.is_wine_missing_change_password(),
        WINE_CHPW_REASON,
        format!("the Windows peer died in change_password: {death}"),
    )
}

/// Whether `password` is dave's password now, asked natively (GSSAPI): a ticket for the
/// service, accepted with the keytab.
fn dave_has_password(h: &Harness, password: &str) -> Result<bool, String> {
    match winkerberos::check_password(
        &h.realm.dave,
        &Secret::from(password),
        Some(&h.realm.service),
    ) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AuthenticationFailed => Ok(false),
        Err(e) => Err(format!("native check_password: {e}")),
    }
}

/// A new password the realm's policy refuses (too short) fails with `PasswordRejected`.
fn wine_change_password_too_short(h: &mut Harness) -> Checked {
    let old = h.realm.dave_password.clone();
    match wine_change_password(h, "chpw-short", &old, DAVE_SHORT_PASSWORD)? {
        Changed::Done => Err("a password shorter than the policy's minimum was accepted".into()),
        Changed::Refused(f) if f.kind == "PasswordRejected" => Ok(Outcome::Pass),
        Changed::Refused(f) => Err(fault(f)),
        Changed::Died(death) => wine_died(h, &death),
    }
}

/// A wrong old password fails with `AuthenticationFailed`.
fn wine_change_password_wrong_old(h: &mut Harness) -> Checked {
    match wine_change_password(h, "chpw-wrong-old", NOT_DAVES_PASSWORD, DAVE_NEW_PASSWORD)? {
        Changed::Done => Err("the password was changed with a wrong old password".into()),
        Changed::Refused(f) if f.kind == "AuthenticationFailed" => Ok(Outcome::Pass),
        Changed::Refused(f) => Err(fault(f)),
        Changed::Died(death) => wine_died(h, &death),
    }
}

/// A valid change: afterwards the new password works natively and the old one does not.
fn wine_change_password_ok(h: &mut Harness) -> Checked {
    let old = h.realm.dave_password.clone();
    match wine_change_password(h, "chpw", &old, DAVE_NEW_PASSWORD)? {
        Changed::Done => {
            expect_eq(
                "new password works natively",
                dave_has_password(h, DAVE_NEW_PASSWORD)?,
                true,
            )?;
            expect_eq(
                "old password works natively",
                dave_has_password(h, &old)?,
                false,
            )?;
            Ok(Outcome::Pass)
        }
        Changed::Refused(f) => Err(fault(f)),
        Changed::Died(death) => {
            // Nothing may have changed: the old password still works, the new one does not.
            if !dave_has_password(h, &old)? || dave_has_password(h, DAVE_NEW_PASSWORD)? {
                return Err(format!(
                    "the Windows peer died in change_password, and dave's password changed \
                     natively ({death})"
                ));
            }
            wine_died(h, &death)
        }
    }
}

// ---------------------------------------------------------------------------------------
// NTLM loopback: Negotiate without a KDC, client and server in one Windows process
// ---------------------------------------------------------------------------------------

/// The local account of the NTLM loopback under Wine: there is no logon session, so the
/// client states it (on a Windows runner the tests use the logged-on account instead).
const NTLM_USER: &str = "winkerberos";
const NTLM_DOMAIN: &str = "WINEHOST";
const NTLM_PASSWORD: &str = "Ntlm-l00pback-password";

/// Negotiate between an initiator and an acceptor in one Windows process, with no KDC
/// reachable, so the package falls back to NTLM (as on a Windows runner with its local
/// account): the handshake completes, messages go both ways wrapped and unwrapped, and
/// both sides name the client as `DOMAIN\user`. The Python form of this check is
/// tests_windows/test_ntlm_loopback.py, run on real Windows by .github/workflows/windows.yml.
fn wine_ntlm_loopback(h: &mut Harness) -> Checked {
    // No realm at all: Kerberos cannot be chosen, whatever the realm of the other checks.
    let remote = Rc::new(RefCell::new(Remote::spawn(
        h,
        "ntlm",
        &[
            ("KRB5CCNAME", "MEMORY:winkerberos-ntlm".to_owned()),
            ("KRB5_CONFIG", "/dev/null".to_owned()),
        ],
    )?));
    let party = |remote: &Rc<RefCell<Remote>>| RemoteParty {
        remote: Rc::clone(remote),
        id: Harness::new_id(remote),
    };
    let cred = credential_field(&Credential::password(
        format!("{NTLM_USER}@{NTLM_DOMAIN}"),
        NTLM_PASSWORD,
    ));
    let target = hex(b"HTTP/localhost");
    let pair = |flags: Flags| -> Result<(RemoteParty, RemoteParty), String> {
        let (mut init, mut acc) = (party(&remote), party(&remote));
        let flags = flags.bits().to_string();
        init.call("INIT", &["spnego", &flags, &target, &cred])
            .and_then(|_| acc.call("ACCEPT", &["-"]))
            .map_err(fault)?;
        handshake(&mut init, &mut acc)?;
        Ok((init, acc))
    };
    // First with no flags requested, so that only the package's own verdict counts: can the
    // acceptor check this client at all?
    if let Err(e) = pair(Flags::NONE) {
        if let Some(why) = ntlm_unavailable_under_wine(h, &e) {
            return Ok(Outcome::Skip(format!("{why} ({e})")));
        }
        return Err(e);
    }
    // Then as the Windows test does: the protection that wrapping needs.
    let (mut init, mut acc) = pair(Flags::SEQUENCE | Flags::CONF | Flags::INTEG)?;
    let account = format!("{NTLM_DOMAIN}\\{NTLM_USER}");
    for (side, name) in [
        ("client", init.name("account")),
        ("server", acc.name("account")),
    ] {
        let name = name.map_err(fault)?;
        if !name.eq_ignore_ascii_case(&account) {
            return Err(format!(
                "{side} names the client {name:?}, expected {account:?}"
            ));
        }
    }
    let wrapped = init.wrap(MESSAGE, true).map_err(fault)?;
    expect_eq(
        "client to server",
        acc.unwrap(&wrapped).map_err(fault)?,
        (true, MESSAGE.to_vec()),
    )?;
    let wrapped = acc.wrap(MESSAGE, true).map_err(fault)?;
    expect_eq(
        "server to client",
        init.unwrap(&wrapped).map_err(fault)?,
        (true, MESSAGE.to_vec()),
    )?;
    Ok(Outcome::Pass)
}

/// Why Wine's NTLM could not complete the handshake, if it is one of the known reasons.
fn ntlm_unavailable_under_wine(h: &Harness, e: &str) -> Option<&'static str> {
    if !h.under_wine() {
        return None;
    }
    if e.starts_with("acceptor:") && e.contains("0x8009030c") {
        return Some(
            "Wine's NTLM package runs Samba's ntlm_auth (Debian's winbind): it writes a \
             client's messages, but checks one only through a winbindd joined to a domain, \
             which this machine does not run (SEC_E_LOGON_DENIED); Windows checks a local \
             account itself",
        );
    }
    if e.contains("AcquireCredentialsHandleW") && e.contains("0xc0000001") {
        return Some(
            "Wine's Negotiate package has no NTLM to fall back on when Samba's ntlm_auth is \
             not installed, and its Kerberos package fails the explicit credentials without \
             a realm (STATUS_UNSUCCESSFUL)",
        );
    }
    None
}

// ---------------------------------------------------------------------------------------
// Active Directory only (a Samba AD DC as the KDC)
// ---------------------------------------------------------------------------------------

/// Explicit credentials whose domain is given as AD knows it but not as the realm's exact
/// name: SSPI's `SEC_WINNT_AUTH_IDENTITY_W` takes the NetBIOS name or the DNS name in any
/// case (the domain controller resolves it), so `alice` in `SAMBA` or `samba.local` logs on.
fn wine_explicit_credentials_domain_form(h: &mut Harness, domain: &str) -> Checked {
    let user = h
        .realm
        .user
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    let cred = Credential::password(format!("{user}@{domain}"), h.realm.password.clone());
    let attempt = h
        .wine_initiator(
            "memory",
            &h.realm.spn.clone(),
            Mech::Kerberos,
            Flags::MUTUAL,
            &cred,
            None,
        )
        .map_err(fault)
        .and_then(|mut init| {
            let mut acc = native_acceptor(None, None).map_err(fault)?;
            handshake(&mut init, &mut acc)?;
            acc.initiator_name().map_err(|e| e.to_string())
        });
    match attempt {
        Ok(client) => {
            expect_eq("client seen by the acceptor", client, h.realm.user.clone())?;
            Ok(Outcome::Pass)
        }
        Err(e) => h.wine_only(
            e.contains("AcquireCredentialsHandleW") && e.contains("0xc0000001"),
            "Wine's Kerberos package joins User and Domain into the principal user@Domain and \
             asks the KDC for that realm as is (STATUS_UNSUCCESSFUL from \
             AcquireCredentialsHandleW); Windows resolves a NetBIOS or lower-case DNS domain \
             name to the domain's realm",
            e,
        ),
    }
}

/// A native initiator to the service whose account has AES keys, accepted by the Windows
/// acceptor with the keys exported from the domain controller.
fn native_to_wine_acceptor_aes(h: &mut Harness) -> Checked {
    let service = h
        .realm
        .aes_service
        .clone()
        .ok_or("WKTEST_AES_SERVICE is not set")?;
    let mut acc = h.wine_acceptor("acceptor", None, None).map_err(fault)?;
    let mut init = native_initiator(&service, Mech::Kerberos, ALL_FLAGS, None).map_err(fault)?;
    let hs = handshake(&mut init, &mut acc)?;
    expect_eq(
        "flags seen by the Windows acceptor",
        hs.acceptor_flags & ALL_FLAGS,
        ALL_FLAGS,
    )?;
    Ok(Outcome::Pass)
}

/// Checks that need an Active Directory domain (`WKTEST_NETBIOS` set).
const AD_CHECKS: &[(&str, Check)] = &[
    ("wine-explicit-credentials-netbios-domain", |h| {
        let netbios = h.realm.netbios.clone().unwrap_or_default();
        wine_explicit_credentials_domain_form(h, &netbios)
    }),
    ("wine-explicit-credentials-lowercase-dns-domain", |h| {
        let dns = h.realm.realm.to_lowercase();
        wine_explicit_credentials_domain_form(h, &dns)
    }),
    (
        "native-kerberos-to-wine-acceptor-aes-account",
        native_to_wine_acceptor_aes,
    ),
];

/// The checks, in order.
type Check = fn(&mut Harness) -> Checked;

const CHECKS: &[(&str, Check)] = &[
    ("wine-kerberos-initiator-to-native", wine_kerberos_initiator),
    (
        "wine-negotiate-initiator-to-native",
        wine_negotiate_initiator,
    ),
    (
        "wine-negotiate-first-token-is-spnego",
        wine_negotiate_token_is_spnego,
    ),
    (
        "native-kerberos-to-wine-acceptor",
        native_kerberos_to_wine_acceptor,
    ),
    (
        "native-spnego-to-wine-acceptor-for-service",
        native_spnego_to_wine_acceptor,
    ),
    ("wine-kerberos-explicit-credentials", |h| {
        wine_explicit_credentials(h, Mech::Kerberos)
    }),
    ("wine-negotiate-explicit-credentials", |h| {
        wine_explicit_credentials(h, Mech::Spnego)
    }),
    ("wine-principal-from-ccache", wine_principal_credential),
    ("wine-wrong-password", wine_wrong_password),
    ("wine-unknown-service", wine_unknown_service),
    ("wine-no-credentials", wine_no_credentials),
    ("wine-acceptor-rejects-garbage-not-gss", |h| {
        wine_acceptor_rejects_garbage(h, "not-gss")
    }),
    ("wine-acceptor-rejects-garbage-bad-length", |h| {
        wine_acceptor_rejects_garbage(h, "bad-length")
    }),
    ("wine-acceptor-rejects-garbage-krb5-junk", |h| {
        wine_acceptor_rejects_garbage(h, "krb5-junk")
    }),
    ("wine-acceptor-rejects-garbage-spnego-junk", |h| {
        wine_acceptor_rejects_garbage(h, "spnego-junk")
    }),
    ("wine-to-wine-kerberos", |h| wine_to_wine(h, Mech::Kerberos)),
    ("wine-to-wine-negotiate", |h| wine_to_wine(h, Mech::Spnego)),
    ("wine-encrypt-needs-conf-flag", wine_encrypt_needs_conf),
    ("wine-initiator-names", wine_initiator_names),
    ("wine-acceptor-names-client", wine_acceptor_names_client),
    ("wine-credential-name", wine_credential_name),
    (
        "wine-initiator-channel-bindings",
        wine_initiator_channel_bindings,
    ),
    (
        "wine-acceptor-rejects-mismatched-bindings",
        wine_acceptor_channel_bindings_mismatch,
    ),
    (
        "wine-wrap-integrity-to-native",
        wine_wrap_integrity_to_native,
    ),
    (
        "wine-wrap-confidential-to-native",
        wine_wrap_confidential_to_native,
    ),
    ("native-wrap-integrity-to-wine", |h| {
        native_wrap_to_wine(h, false)
    }),
    ("native-wrap-confidential-to-wine", |h| {
        native_wrap_to_wine(h, true)
    }),
    ("wine-acceptor-wrap-to-native", wine_acceptor_wrap_to_native),
    ("wine-to-wine-wrap", wine_to_wine_wrap),
    ("wine-to-wine-wrap-iov", wine_to_wine_wrap_iov),
    // Last, in this order: the successful change changes dave's password.
    (
        "wine-change-password-too-short",
        wine_change_password_too_short,
    ),
    (
        "wine-change-password-wrong-old",
        wine_change_password_wrong_old,
    ),
    ("wine-change-password", wine_change_password_ok),
    ("wine-ntlm-loopback", wine_ntlm_loopback),
];

type Args = (Option<PathBuf>, PathBuf, PathBuf, Option<String>);

fn parse_args(args: &[String]) -> Result<Args, String> {
    let (mut runner, mut exe, mut logs, mut only) = (None, None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--runner" => runner = Some(PathBuf::from(value()?)),
            "--exe" => exe = Some(PathBuf::from(value()?)),
            "--logs" => logs = Some(PathBuf::from(value()?)),
            "--only" => only = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((
        runner,
        exe.ok_or("--exe is required")?,
        logs.unwrap_or_else(std::env::temp_dir),
        only,
    ))
}

/// `peer check`: runs every check and prints the results.
pub(crate) fn check(args: &[String]) -> ExitCode {
    let setup = parse_args(args).and_then(|(runner, exe, logs, only)| {
        std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
        let realm = Realm::from_env()?;
        let ccache = std::env::var("KRB5CCNAME").map_err(|_| "KRB5CCNAME is not set")?;
        Ok((
            Harness {
                runner,
                exe,
                logs,
                realm,
                ccache,
                remotes: HashMap::new(),
            },
            only,
        ))
    });
    let (mut h, only) = match setup {
        Ok(setup) => setup,
        Err(e) => {
            eprintln!("peer check: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut passed, mut failed, mut diverged, mut skipped) = (0, 0, 0, 0);
    let ad_checks = if h.realm.netbios.is_some() {
        AD_CHECKS
    } else {
        &[]
    };
    for (name, run) in CHECKS.iter().chain(ad_checks) {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let started = Instant::now();
        let outcome = run(&mut h);
        let took = started.elapsed().as_secs_f32();
        match outcome {
            Ok(Outcome::Pass) => {
                passed += 1;
                println!("PASS {name} ({took:.1}s)");
            }
            Ok(Outcome::Divergence(why)) => {
                diverged += 1;
                println!("DIVERGENCE {name} ({took:.1}s): known Wine difference: {why}");
            }
            Ok(Outcome::Skip(why)) => {
                skipped += 1;
                println!("SKIP {name} ({took:.1}s): {why}");
            }
            Err(why) => {
                failed += 1;
                println!("FAIL {name} ({took:.1}s): {why}");
            }
        }
    }
    // Windows peers exit when their stdin closes.
    h.remotes.clear();
    println!(
        "{passed} passed, {failed} failed, {diverged} known Wine divergences, {skipped} skipped"
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
