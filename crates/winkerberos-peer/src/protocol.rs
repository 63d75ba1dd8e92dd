//! The `serve` side of the line protocol, and the encoding both sides share.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use winkerberos::{
    Acceptor, AcceptorOptions, ChannelBindings, Credential, Error, Flags, Initiator,
    InitiatorOptions, Mech, Secret, SecurityContext, Status, Step,
};

/// Hex of `bytes`, `-` when empty.
pub(crate) fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".to_owned();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex field (`-` is empty).
pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if text == "-" {
        return Ok(Vec::new());
    }
    if !text.len().is_multiple_of(2) {
        return Err(format!("odd-length hex field {text:?}"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("bad hex field {text:?}"))
        })
        .collect()
}

fn unhex_text(text: &str) -> Result<String, String> {
    String::from_utf8(unhex(text)?).map_err(|_| "a text field is not UTF-8".to_owned())
}

/// A failure, from either side, in the form both sides can compare.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    /// The `ErrorKind` name, or `Protocol` when the peer itself misbehaved.
    pub(crate) kind: String,
    /// `sspi:0x........`, `gss:major/minor`, `krb5:n` or `-`.
    pub(crate) code: String,
    pub(crate) op: String,
    pub(crate) message: String,
}

impl Fault {
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Self {
            kind: "Protocol".to_owned(),
            code: "-".to_owned(),
            op: "-".to_owned(),
            message: message.into(),
        }
    }

    /// The SSPI status, if SSPI reported this failure.
    pub(crate) fn sspi_code(&self) -> Option<u32> {
        let hex = self.code.strip_prefix("sspi:0x")?;
        u32::from_str_radix(hex, 16).ok()
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] in {}: {}",
            self.kind, self.code, self.op, self.message
        )
    }
}

impl From<Error> for Fault {
    fn from(e: Error) -> Self {
        let code = match e.status() {
            Status::Sspi { code, .. } => format!("sspi:{:#010x}", code.cast_unsigned()),
            Status::Gss { major, minor, .. } => format!("gss:{major:#x}/{minor:#x}"),
            Status::Krb5 { code, .. } => format!("krb5:{code}"),
            _ => "-".to_owned(),
        };
        Self {
            kind: format!("{:?}", e.kind()),
            code,
            op: e.operation().to_owned(),
            message: e.to_string(),
        }
    }
}

pub(crate) fn mech_name(mech: Mech) -> &'static str {
    match mech {
        Mech::Spnego => "spnego",
        _ => "kerberos",
    }
}

/// A credential as the protocol carries it.
pub(crate) fn credential_field(cred: &Credential) -> String {
    match cred {
        Credential::Principal(p) => format!("principal:{}", hex(p.as_bytes())),
        Credential::Password {
            principal,
            password,
        } => format!(
            "password:{}:{}",
            hex(principal.as_bytes()),
            hex(password.expose())
        ),
        _ => "default".to_owned(),
    }
}

fn parse_credential(field: &str) -> Result<Credential, String> {
    let mut parts = field.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("default"), None, None) => Ok(Credential::Default),
        (Some("principal"), Some(p), None) => Ok(Credential::Principal(unhex_text(p)?)),
        (Some("password"), Some(p), Some(pw)) => {
            Ok(Credential::password(unhex_text(p)?, unhex(pw)?))
        }
        _ => Err(format!("bad credential field {field:?}")),
    }
}

fn parse_bindings(field: Option<&&str>) -> Result<Option<ChannelBindings>, String> {
    field
        .map(|f| unhex(f).map(ChannelBindings::with_application_data))
        .transpose()
}

enum Peer {
    Initiator(Initiator),
    Acceptor(Acceptor),
}

impl Peer {
    /// Whichever side this is, through the crate's shared surface.
    fn context(&mut self) -> &mut dyn SecurityContext {
        match self {
            Peer::Initiator(c) => c,
            Peer::Acceptor(c) => c,
        }
    }
}

fn step_answer(step: Step, flags: Flags) -> String {
    let (state, token) = match &step {
        Step::Continue(t) => ("continue", t.as_slice()),
        Step::Complete(t) => ("complete", t.as_deref().unwrap_or_default()),
    };
    format!("OK {state} {} {}", hex(token), flags.bits())
}

/// `CHPW principal old new`: `change_password`, which needs no context.
fn change_password(words: &[&str]) -> Result<Result<String, Error>, String> {
    let [_, principal, old, new] = words else {
        return Err("expected: CHPW principal old new".to_owned());
    };
    let principal = unhex_text(principal)?;
    let (old, new) = (Secret::new(unhex(old)?), Secret::new(unhex(new)?));
    Ok(winkerberos::change_password(&principal, &old, &new).map(|()| "OK".to_owned()))
}

fn answer(
    peers: &mut HashMap<String, Peer>,
    words: &[&str],
) -> Result<Result<String, Error>, String> {
    if words.first() == Some(&"CHPW") {
        return change_password(words);
    }
    let (command, id) = match words {
        [command, id, ..] => (*command, (*id).to_owned()),
        _ => return Err("expected: COMMAND ID ...".to_owned()),
    };
    let arg = |i: usize| {
        words
            .get(i)
            .copied()
            .ok_or_else(|| format!("{command}: argument {i} missing"))
    };
    let peer = |peers: &mut HashMap<String, Peer>| {
        peers.remove(&id).ok_or_else(|| format!("no context {id}"))
    };
    Ok(match command {
        "INIT" => {
            let mech = match arg(2)? {
                "kerberos" => Mech::Kerberos,
                "spnego" => Mech::Spnego,
                other => return Err(format!("unknown mech {other}")),
            };
            let flags = Flags::from_bits(arg(3)?.parse().map_err(|_| "bad flags")?);
            let target = unhex_text(arg(4)?)?;
            let options = InitiatorOptions {
                credential: parse_credential(arg(5)?)?,
                mech,
                flags,
                channel_bindings: parse_bindings(words.get(6))?,
                ..InitiatorOptions::default()
            };
            Initiator::new(&target, options).map(|i| {
                peers.insert(id, Peer::Initiator(i));
                "OK".to_owned()
            })
        }
        "ACCEPT" => {
            let service = unhex_text(arg(2)?)?;
            let options = AcceptorOptions {
                service: (!service.is_empty()).then_some(service),
                channel_bindings: parse_bindings(words.get(3))?,
            };
            Acceptor::new(options).map(|a| {
                peers.insert(id, Peer::Acceptor(a));
                "OK".to_owned()
            })
        }
        "DROP" => {
            peer(peers)?;
            Ok("OK".to_owned())
        }
        _ => {
            let mut p = peer(peers)?;
            let result = run(&mut p, command, arg);
            peers.insert(id, p);
            result?
        }
    })
}

/// A command on an existing context.
fn run<'a>(
    p: &mut Peer,
    command: &str,
    arg: impl Fn(usize) -> Result<&'a str, String>,
) -> Result<Result<String, Error>, String> {
    Ok(match command {
        "STEP" => {
            let token = unhex(arg(2)?)?;
            let c = p.context();
            c.step(&token).map(|s| step_answer(s, c.flags()))
        }
        "WRAP" => {
            let conf = arg(2)? == "1";
            let message = unhex(arg(3)?)?;
            p.context()
                .wrap(&message, conf)
                .map(|t| format!("OK {}", hex(&t)))
        }
        "UNWRAP" => {
            let token = unhex(arg(2)?)?;
            p.context()
                .unwrap(&token)
                .map(|u| format!("OK {} {}", u8::from(u.confidential), hex(&u.data)))
        }
        "WRAPIOV" => {
            let conf = arg(2)? == "1";
            let message = unhex(arg(3)?)?;
            p.context()
                .wrap_iov(&message, conf)
                .map(|w| format!("OK {} {} {}", hex(&w.header), hex(&w.data), hex(&w.padding)))
        }
        "UNWRAPIOV" => {
            let header = unhex(arg(2)?)?;
            let data = unhex(arg(3)?)?;
            p.context()
                .unwrap_iov(&header, &data)
                .map(|u| format!("OK {} {}", u8::from(u.confidential), hex(&u.data)))
        }
        "NAME" => {
            let name = match (arg(2)?, &*p) {
                ("initiator", _) => p.context().initiator_name(),
                ("target", _) => p.context().target_name(),
                ("account", _) => p.context().initiator_account_name(),
                ("credential", Peer::Initiator(c)) => c.credential_name(),
                (other, _) => return Err(format!("no name {other} here")),
            };
            name.map(|n| format!("OK {}", hex(n.as_bytes())))
        }
        other => return Err(format!("unknown command {other}")),
    })
}

fn error_line(e: &Error) -> String {
    let f = Fault::from(e.clone());
    let message = f.message.replace(['\n', '\r'], " ");
    format!("ERR {} {} {} {message}", f.kind, f.code, f.op)
}

/// Answers commands until stdin closes.
pub(crate) fn serve() -> ExitCode {
    let mut peers = HashMap::new();
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            return ExitCode::FAILURE;
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let reply = match answer(&mut peers, &words) {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => error_line(&e),
            Err(problem) => format!("ERR Protocol - - {problem}"),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
