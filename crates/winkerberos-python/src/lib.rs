//! `winkerberos._native`: the pykerberos / kerberos / winkerberos function API over the
//! `winkerberos` crate.
//!
//! This crate only translates: Python arguments in, base64 and the originals' return values
//! and exception shapes out. Every call into Kerberos runs with the GIL released and the
//! context's own lock held, so contexts can be shared between threads and the module runs
//! without the GIL on free-threaded Python.

mod base64;
mod cache;
mod client;
mod context;
mod convert;
mod diagnostics;
mod errors;
mod locked;
mod objects;
mod password;
mod server;
mod winrm;

use pyo3::prelude::*;

use crate::convert::{AUTH_GSS_COMPLETE, AUTH_GSS_CONTINUE};

/// The `GSS_C_AF_*` address types (RFC 2744), as pykerberos exported them.
const ADDRESS_TYPES: [(&str, u32); 22] = [
    ("GSS_C_AF_UNSPEC", 0),
    ("GSS_C_AF_LOCAL", 1),
    ("GSS_C_AF_INET", 2),
    ("GSS_C_AF_IMPLINK", 3),
    ("GSS_C_AF_PUP", 4),
    ("GSS_C_AF_CHAOS", 5),
    ("GSS_C_AF_NS", 6),
    ("GSS_C_AF_NBS", 7),
    ("GSS_C_AF_ECMA", 8),
    ("GSS_C_AF_DATAKIT", 9),
    ("GSS_C_AF_CCITT", 10),
    ("GSS_C_AF_SNA", 11),
    ("GSS_C_AF_DECnet", 12),
    ("GSS_C_AF_DLI", 13),
    ("GSS_C_AF_LAT", 14),
    ("GSS_C_AF_HYLINK", 15),
    ("GSS_C_AF_APPLETALK", 16),
    ("GSS_C_AF_BSC", 17),
    ("GSS_C_AF_DSS", 18),
    ("GSS_C_AF_OSI", 19),
    ("GSS_C_AF_X25", 21),
    ("GSS_C_AF_NULLADDR", 255),
];

#[pymodule(gil_used = false)]
mod _native {
    use super::*;

    #[pymodule_export]
    use crate::client::{
        client_clean, client_init, client_inquire_cred, client_response, client_response_conf,
        client_step, client_unwrap, client_user_name, client_wrap,
    };
    #[pymodule_export]
    use crate::diagnostics::{
        client_target_name, default_credential, keytab_entries, krb5_config, library_info,
        read_ccache,
    };
    #[pymodule_export]
    use crate::objects::channel_bindings;
    #[pymodule_export]
    use crate::password::{change_password, check_password, get_server_principal_details};
    #[pymodule_export]
    use crate::server::{server_cache_name, server_store_delegate};
    #[pymodule_export]
    use crate::server::{
        server_clean, server_has_delegated, server_init, server_response, server_response_conf,
        server_step, server_target_name, server_unwrap, server_user_name, server_wrap,
    };
    #[pymodule_export]
    use crate::winrm::{client_unwrap_iov, client_wrap_iov, winrm_decrypt, winrm_encrypt};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        use winkerberos::{Flags, Mech};

        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        // winkerberos renamed authGSSClientUsername in 0.8.0; pure-sasl still looks it up.
        m.add("authGSSClientUsername", m.getattr("authGSSClientUserName")?)?;
        m.add("AUTH_GSS_COMPLETE", AUTH_GSS_COMPLETE)?;
        m.add("AUTH_GSS_CONTINUE", AUTH_GSS_CONTINUE)?;
        m.add("GSS_C_DELEG_FLAG", Flags::DELEG.bits())?;
        m.add("GSS_C_MUTUAL_FLAG", Flags::MUTUAL.bits())?;
        m.add("GSS_C_REPLAY_FLAG", Flags::REPLAY.bits())?;
        m.add("GSS_C_SEQUENCE_FLAG", Flags::SEQUENCE.bits())?;
        m.add("GSS_C_CONF_FLAG", Flags::CONF.bits())?;
        m.add("GSS_C_INTEG_FLAG", convert::INTEG_FLAG)?;
        m.add("GSS_C_ANON_FLAG", Flags::ANON.bits())?;
        m.add("GSS_C_PROT_READY_FLAG", Flags::PROT_READY.bits())?;
        m.add("GSS_C_TRANS_FLAG", Flags::TRANS.bits())?;
        for (name, value) in ADDRESS_TYPES {
            m.add(name, value)?;
        }
        m.add("GSS_MECH_OID_KRB5", objects::MechOid(Mech::Kerberos))?;
        m.add("GSS_MECH_OID_SPNEGO", objects::MechOid(Mech::Spnego))?;
        m.add_class::<objects::MechOid>()?;
        m.add_class::<objects::ChannelBindings>()?;
        m.add_class::<client::ClientContext>()?;
        m.add_class::<server::ServerContext>()?;
        // Every export lands in `__all__`; the doctor's underscored helpers (`_library_info`,
        // ...) are reachable as attributes but are not API, so `import *` must not bring them.
        let all: Vec<String> = m.getattr("__all__")?.extract()?;
        let public: Vec<String> = all
            .into_iter()
            .filter(|name| !name.starts_with('_') || name == "__version__")
            .collect();
        m.setattr("__all__", public)?;
        Ok(())
    }
}
