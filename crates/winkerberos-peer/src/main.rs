//! A Kerberos peer driven over a line protocol, for testing one build of this crate against
//! another: the Windows build (SSPI, run under Wine) against the native one (GSSAPI).
//!
//! ```text
//! peer serve          answer protocol commands on stdin/stdout, with this build's backend
//! peer check --runner WINE --exe peer.exe --logs DIR
//!                     run the cross-platform checks: this process plays the native side
//!                     (GSSAPI) and starts `WINE peer.exe serve` for the Windows side
//! ```
//!
//! `check` needs the environment of a realm made by `scripts/realm.sh` (`KRB5_CONFIG`,
//! `KRB5CCNAME`, `KRB5_KTNAME`, `WKTEST_*`). It prints one line per check (`PASS name`,
//! `FAIL name: why`, `DIVERGENCE name: why` for a known difference of Wine from Windows)
//! and a summary, and exits non-zero if any check failed. `scripts/windows/test.sh` runs it.
//!
//! The protocol (one command per line, one answer per line; byte strings in hex, `-` for
//! an empty one):
//!
//! ```text
//! INIT id mech flags target cred [bindings]  mech: kerberos|spnego; cred: default,
//!                                            principal:HEX or password:HEX:HEX
//! ACCEPT id service|- [bindings]             -> OK
//! STEP id token                              -> OK continue|complete token flags
//! WRAP id conf message                       -> OK token
//! UNWRAP id token                            -> OK conf message
//! WRAPIOV id conf message                    -> OK header data padding
//! UNWRAPIOV id header data                   -> OK conf message
//! NAME id initiator|target|account|credential -> OK name
//! DROP id                                    -> OK
//! CHPW principal old new                     -> OK  (change_password; no context)
//! ```
//!
//! Any command may answer `ERR kind code operation message...` instead, with the error's
//! `ErrorKind`, its status (`sspi:0x...`, `gss:major/minor`, `krb5:n` or `-`), the failing
//! call and the message.

// A test tool: it reports on standard output and error.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod driver;
mod protocol;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => protocol::serve(),
        Some("check") => driver::check(&args[1..]),
        _ => {
            eprintln!("usage: peer serve | peer check --runner WINE --exe PEER.EXE --logs DIR");
            ExitCode::from(2)
        }
    }
}
