//! Facts for `python -m winkerberos doctor` (see `winkerberos/_doctor.py`): small functions
//! that each return plain Python data, or raise the `KrbError` saying why they cannot.
//! They are not part of the originals' API, hence the leading underscore.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use winkerberos::SecurityContext as _;
use winkerberos::diagnostics;
use winkerberos::krb5conf::Config;

use crate::client::with_state;
use crate::errors::api;

/// The system Kerberos library: `{"name", "path", "vendor", "version", "requested"}`.
#[pyfunction]
#[pyo3(name = "_library_info")]
pub(crate) fn library_info(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    api("_library_info", || {
        let info = py.detach(diagnostics::library_info)?;
        let d = PyDict::new(py);
        d.set_item("name", info.name)?;
        d.set_item("path", info.path)?;
        d.set_item("vendor", info.vendor)?;
        d.set_item("version", info.version)?;
        d.set_item("requested", info.requested)?;
        Ok(d)
    })
}

/// The krb5 configuration as the libraries read it: `{"files": [(path, readable)],
/// "default_realm", "dns_lookup_kdc", "clockskew", "default_ccache_name",
/// "default_keytab_name", "realms": {realm: {"kdc": [...], "admin_server": [...],
/// "kpasswd_server": [...]}}}`.
#[pyfunction]
#[pyo3(name = "_krb5_config")]
pub(crate) fn krb5_config(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let config = py.detach(Config::load);
    let d = PyDict::new(py);
    d.set_item("files", config.files().to_vec())?;
    d.set_item("default_realm", config.default_realm())?;
    d.set_item("dns_lookup_kdc", config.dns_lookup_kdc())?;
    d.set_item("clockskew", config.clockskew())?;
    d.set_item("default_ccache_name", diagnostics::default_ccache_name())?;
    d.set_item("default_keytab_name", winkerberos::default_keytab_name())?;
    let realms = PyDict::new(py);
    for realm in config.realms() {
        let entry = PyDict::new(py);
        for key in ["kdc", "admin_server", "kpasswd_server"] {
            entry.set_item(key, config.realm_values(&realm, key))?;
        }
        realms.set_item(realm, entry)?;
    }
    d.set_item("realms", realms)?;
    Ok(d)
}

/// The default credentials as the mechanism sees them: `{"principal", "lifetime"}`
/// (lifetime in seconds, None for no limit). Raises the GSSError saying why there are none.
#[pyfunction]
#[pyo3(name = "_default_credential")]
pub(crate) fn default_credential(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    api("_default_credential", || {
        let cred = py.detach(diagnostics::default_credential)?;
        let d = PyDict::new(py);
        d.set_item("principal", cred.principal)?;
        d.set_item("lifetime", cred.lifetime)?;
        Ok(d)
    })
}

/// The contents of a `FILE:` ticket cache: `{"principal", "tickets": [{"server", "start",
/// "end", "renew_till"}]}` (times in seconds since the epoch). Raises GSSError.
#[pyfunction]
#[pyo3(name = "_read_ccache")]
pub(crate) fn read_ccache<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    api("_read_ccache", || {
        let name = name.to_owned();
        let contents = py.detach(move || diagnostics::read_file_ccache(&name))?;
        let tickets = PyList::empty(py);
        for t in contents.tickets {
            let d = PyDict::new(py);
            d.set_item("server", t.server)?;
            d.set_item("start", t.start)?;
            d.set_item("end", t.end)?;
            d.set_item("renew_till", t.renew_till)?;
            tickets.append(d)?;
        }
        let d = PyDict::new(py);
        d.set_item("principal", contents.principal)?;
        d.set_item("tickets", tickets)?;
        Ok(d)
    })
}

/// The keys of a keytab (the default one when `name` is None): a list of
/// `{"principal", "kvno", "enctype", "enctype_name", "timestamp"}`; never the keys.
#[pyfunction]
#[pyo3(name = "_keytab_entries", signature = (name = None))]
pub(crate) fn keytab_entries<'py>(
    py: Python<'py>,
    name: Option<String>,
) -> PyResult<Bound<'py, PyList>> {
    api("_keytab_entries", || {
        let entries = py.detach(move || winkerberos::keytab_entries(name.as_deref()))?;
        let list = PyList::empty(py);
        for e in entries {
            let d = PyDict::new(py);
            d.set_item("principal", e.principal)?;
            d.set_item("kvno", e.kvno)?;
            d.set_item("enctype", e.enctype)?;
            d.set_item("enctype_name", winkerberos::enctype_name(e.enctype))?;
            d.set_item("timestamp", e.timestamp)?;
            list.append(d)?;
        }
        Ok(list)
    })
}

/// The service principal a complete client context authenticated to, such as
/// `HTTP/web.example.com@EXAMPLE.COM`, or None before the handshake is complete.
#[pyfunction]
#[pyo3(name = "_client_target_name")]
pub(crate) fn client_target_name(context: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    api("_client_target_name", || {
        with_state(context, |state| {
            if state.context.is_complete() {
                state.context.target_name().map(Some)
            } else {
                Ok(None)
            }
        })
    })
}
