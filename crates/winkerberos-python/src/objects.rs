//! Value objects handed back and forth: mechanism OIDs and channel bindings.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use winkerberos::Mech;

use crate::convert::{bytes_like, type_name};

/// A mechanism, as `GSS_MECH_OID_KRB5` and `GSS_MECH_OID_SPNEGO`.
#[pyclass(frozen, module = "winkerberos", name = "MechOID")]
pub(crate) struct MechOid(pub(crate) Mech);

#[pymethods]
impl MechOid {
    fn __repr__(&self) -> &'static str {
        match self.0 {
            Mech::Spnego => "<winkerberos.MechOID SPNEGO 1.3.6.1.5.5.2>",
            _ => "<winkerberos.MechOID Kerberos 1.2.840.113554.1.2.2>",
        }
    }
}

/// Reads `mech_oid`: `None` (Kerberos) or one of the module's mechanism objects.
pub(crate) fn mech(value: Option<&Bound<'_, PyAny>>) -> PyResult<Mech> {
    match value {
        None => Ok(Mech::Kerberos),
        Some(v) if v.is_none() => Ok(Mech::Kerberos),
        Some(v) => v.cast::<MechOid>().map(|m| m.get().0).map_err(|_| {
            PyTypeError::new_err(format!(
                "Invalid type for mech_oid: expected GSS_MECH_OID_KRB5 or GSS_MECH_OID_SPNEGO, not {}",
                type_name(v)
            ))
        }),
    }
}

/// Channel bindings made by `channelBindings()`.
#[pyclass(frozen, module = "winkerberos", name = "ChannelBindings")]
pub(crate) struct ChannelBindings(pub(crate) winkerberos::ChannelBindings);

#[pymethods]
impl ChannelBindings {
    fn __repr__(&self) -> String {
        let cb = &self.0;
        format!(
            "<winkerberos.ChannelBindings initiator_addrtype={} initiator_address={}B \
             acceptor_addrtype={} acceptor_address={}B application_data={}B>",
            cb.initiator_addrtype,
            cb.initiator_address.len(),
            cb.acceptor_addrtype,
            cb.acceptor_address.len(),
            cb.application_data.len()
        )
    }
}

/// Reads `channel_bindings`: `None` or an object from `channelBindings()`.
pub(crate) fn bindings(
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<winkerberos::ChannelBindings>> {
    match value {
        Some(v) if !v.is_none() => v
            .cast::<ChannelBindings>()
            .map(|cb| Some(cb.get().0.clone()))
            .map_err(|_| {
                PyTypeError::new_err(format!(
                    "Expected a channel bindings object from channelBindings(), not {}",
                    type_name(v)
                ))
            }),
        _ => Ok(None),
    }
}

fn binding_value(value: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Vec<u8>> {
    match value {
        Some(v) if !v.is_none() => {
            let bytes = bytes_like(v, name)?;
            if u32::try_from(bytes.len()).is_err() {
                return Err(PyValueError::new_err(format!("{name} too large")));
            }
            Ok(bytes.to_vec())
        }
        _ => Ok(Vec::new()),
    }
}

/// Builds channel bindings for authGSSClientStep / authGSSServerStep. Addresses and
/// application data may be str (UTF-8) or bytes-like. For TLS use
/// application_data=b"tls-server-end-point:" + certificate_hash (RFC 5929).
#[pyfunction]
#[pyo3(name = "channelBindings", signature = (
    initiator_addrtype = 0, initiator_address = None, acceptor_addrtype = 0,
    acceptor_address = None, application_data = None,
))]
pub(crate) fn channel_bindings(
    initiator_addrtype: u32,
    initiator_address: Option<&Bound<'_, PyAny>>,
    acceptor_addrtype: u32,
    acceptor_address: Option<&Bound<'_, PyAny>>,
    application_data: Option<&Bound<'_, PyAny>>,
) -> PyResult<ChannelBindings> {
    Ok(ChannelBindings(winkerberos::ChannelBindings {
        initiator_addrtype,
        initiator_address: binding_value(initiator_address, "initiator_address")?,
        acceptor_addrtype,
        acceptor_address: binding_value(acceptor_address, "acceptor_address")?,
        application_data: binding_value(application_data, "application_data")?,
    }))
}
