//! A client and a service authenticating each other in one process, then exchanging one
//! sealed message each way.
//!
//! The client uses the default credentials (the ticket cache `KRB5CCNAME` names, from
//! `kinit`); the service uses its key from the keytab `KRB5_KTNAME` names.
//!
//! ```text
//! cargo run -p winkerberos --example handshake [SERVICE]    # SERVICE: HTTP@localhost
//! ```
//!
//! Against the repository's throwaway realm:
//!
//! ```text
//! bash scripts/realm.sh start /tmp/realm --watch $$ > /tmp/realm.env
//! env $(cat /tmp/realm.env) cargo run -p winkerberos --example handshake
//! bash scripts/realm.sh stop /tmp/realm
//! ```

// An example program: it reports on standard output and error.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use winkerberos::SecurityContext as _;
use winkerberos::{Acceptor, AcceptorOptions, Initiator, InitiatorOptions, Step};

fn main() -> ExitCode {
    let service = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "HTTP@localhost".into());
    match run(&service) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The error says which call failed and why; its hint (when it has one) says
            // what to try, such as `kinit` or setting KRB5_KTNAME.
            eprintln!("handshake with {service} failed: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(service: &str) -> winkerberos::Result<()> {
    let mut client = Initiator::new(service, InitiatorOptions::default())?;
    let mut server = Acceptor::new(AcceptorOptions {
        service: Some(service.to_owned()),
        ..AcceptorOptions::default()
    })?;

    // The client speaks first, with an empty input. Every token goes to the other side
    // until the client's step is complete.
    let mut to_server = client.step(&[])?;
    while let Some(token) = to_server.token() {
        let reply = server.step(token)?;
        if to_server.is_complete() {
            break;
        }
        to_server = match reply {
            Step::Continue(token) | Step::Complete(Some(token)) => client.step(&token)?,
            Step::Complete(None) => client.step(&[])?,
        };
    }
    println!(
        "{} authenticated to {} with flags {}",
        server.initiator_name()?,
        client.target_name()?,
        client.flags()
    );

    let sealed = client.wrap(b"hello from the client", true)?;
    let opened = server.unwrap(&sealed)?;
    println!(
        "service received {:?} (encrypted: {})",
        String::from_utf8_lossy(&opened.data),
        opened.confidential
    );
    let reply = server.wrap(b"hello from the service", true)?;
    println!(
        "client received {:?}",
        String::from_utf8_lossy(&client.unwrap(&reply)?.data)
    );
    Ok(())
}
