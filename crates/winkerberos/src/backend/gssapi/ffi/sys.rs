//! C declarations of the RFC 2744 GSSAPI subset we call, written by hand (no bindgen, no
//! headers at build time) and checked against MIT krb5 1.20 and Heimdal 7.8 headers.
//!
//! Both MIT's and Heimdal's headers wrap these declarations in `#pragma pack(push, 2)` on Apple
//! x86_64 (not arm64); the `repr` attributes below reproduce that.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_void};

pub(crate) type OM_uint32 = u32;
pub(crate) type gss_qop_t = OM_uint32;
pub(crate) type gss_cred_usage_t = c_int;

/// Opaque `struct gss_name_struct`.
#[repr(C)]
pub(crate) struct gss_name_struct {
    _private: [u8; 0],
}
/// Opaque `struct gss_cred_id_struct`.
#[repr(C)]
pub(crate) struct gss_cred_id_struct {
    _private: [u8; 0],
}
/// Opaque `struct gss_ctx_id_struct`.
#[repr(C)]
pub(crate) struct gss_ctx_id_struct {
    _private: [u8; 0],
}

pub(crate) type gss_name_t = *mut gss_name_struct;
pub(crate) type gss_cred_id_t = *mut gss_cred_id_struct;
pub(crate) type gss_ctx_id_t = *mut gss_ctx_id_struct;

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct gss_buffer_desc {
    pub(crate) length: usize,
    pub(crate) value: *mut c_void,
}
pub(crate) type gss_buffer_t = *mut gss_buffer_desc;

#[cfg_attr(
    all(target_vendor = "apple", target_arch = "x86_64"),
    repr(C, packed(2))
)]
#[cfg_attr(not(all(target_vendor = "apple", target_arch = "x86_64")), repr(C))]
#[derive(Clone, Copy)]
pub(crate) struct gss_OID_desc {
    pub(crate) length: OM_uint32,
    pub(crate) elements: *mut c_void,
}
pub(crate) type gss_OID = *mut gss_OID_desc;

#[repr(C)]
pub(crate) struct gss_OID_set_desc {
    pub(crate) count: usize,
    pub(crate) elements: gss_OID,
}
pub(crate) type gss_OID_set = *mut gss_OID_set_desc;

#[cfg_attr(
    all(target_vendor = "apple", target_arch = "x86_64"),
    repr(C, packed(2))
)]
#[cfg_attr(not(all(target_vendor = "apple", target_arch = "x86_64")), repr(C))]
pub(crate) struct gss_channel_bindings_struct {
    pub(crate) initiator_addrtype: OM_uint32,
    pub(crate) initiator_address: gss_buffer_desc,
    pub(crate) acceptor_addrtype: OM_uint32,
    pub(crate) acceptor_address: gss_buffer_desc,
    pub(crate) application_data: gss_buffer_desc,
}
pub(crate) type gss_channel_bindings_t = *mut gss_channel_bindings_struct;

#[cfg_attr(
    all(target_vendor = "apple", target_arch = "x86_64"),
    repr(C, packed(2))
)]
#[cfg_attr(not(all(target_vendor = "apple", target_arch = "x86_64")), repr(C))]
#[derive(Clone, Copy)]
pub(crate) struct gss_iov_buffer_desc {
    pub(crate) type_: OM_uint32,
    pub(crate) buffer: gss_buffer_desc,
}

#[repr(C)]
pub(crate) struct gss_key_value_element_desc {
    pub(crate) key: *const c_char,
    pub(crate) value: *const c_char,
}

#[repr(C)]
pub(crate) struct gss_key_value_set_desc {
    pub(crate) count: OM_uint32,
    pub(crate) elements: *mut gss_key_value_element_desc,
}

pub(crate) const GSS_IOV_BUFFER_TYPE_DATA: OM_uint32 = 1;
pub(crate) const GSS_IOV_BUFFER_TYPE_HEADER: OM_uint32 = 2;
pub(crate) const GSS_IOV_BUFFER_TYPE_PADDING: OM_uint32 = 9;

#[cfg(not(all(target_vendor = "apple", target_arch = "x86_64")))]
const _: () = {
    assert!(size_of::<gss_buffer_desc>() == 2 * size_of::<usize>());
    assert!(size_of::<gss_OID_desc>() == 2 * size_of::<usize>());
};
#[cfg(all(
    target_pointer_width = "64",
    not(all(target_vendor = "apple", target_arch = "x86_64"))
))]
const _: () = assert!(size_of::<gss_channel_bindings_struct>() == 64);
#[cfg(all(target_vendor = "apple", target_arch = "x86_64"))]
const _: () = {
    assert!(size_of::<gss_OID_desc>() == 12);
    assert!(size_of::<gss_channel_bindings_struct>() == 56);
    assert!(size_of::<gss_iov_buffer_desc>() == 20);
};

pub(crate) const GSS_C_INDEFINITE: OM_uint32 = 0xffff_ffff;
pub(crate) const GSS_C_QOP_DEFAULT: gss_qop_t = 0;

pub(crate) const GSS_C_INITIATE: gss_cred_usage_t = 1;
pub(crate) const GSS_C_ACCEPT: gss_cred_usage_t = 2;

pub(crate) const GSS_C_GSS_CODE: c_int = 1;
pub(crate) const GSS_C_MECH_CODE: c_int = 2;

pub(crate) const GSS_S_CONTINUE_NEEDED: OM_uint32 = 1;
pub(crate) const GSS_S_DUPLICATE_TOKEN: OM_uint32 = 2;
pub(crate) const GSS_S_OLD_TOKEN: OM_uint32 = 4;
pub(crate) const GSS_S_UNSEQ_TOKEN: OM_uint32 = 8;
pub(crate) const GSS_S_GAP_TOKEN: OM_uint32 = 16;

/// Offset of the routine-error field in a major status.
pub(crate) const GSS_C_ROUTINE_ERROR_OFFSET: u32 = 16;
/// Mask of the calling-error and routine-error fields: any bit set there is a failure.
pub(crate) const GSS_ERROR_MASK: OM_uint32 = 0xffff_0000;

/// Routine errors (already shifted into place).
pub(crate) mod routine {
    use super::{GSS_C_ROUTINE_ERROR_OFFSET as S, OM_uint32};
    pub(crate) const BAD_MECH: OM_uint32 = 1 << S;
    pub(crate) const BAD_NAME: OM_uint32 = 2 << S;
    pub(crate) const BAD_NAMETYPE: OM_uint32 = 3 << S;
    pub(crate) const BAD_BINDINGS: OM_uint32 = 4 << S;
    pub(crate) const BAD_STATUS: OM_uint32 = 5 << S;
    pub(crate) const BAD_SIG: OM_uint32 = 6 << S;
    pub(crate) const NO_CRED: OM_uint32 = 7 << S;
    pub(crate) const NO_CONTEXT: OM_uint32 = 8 << S;
    pub(crate) const DEFECTIVE_TOKEN: OM_uint32 = 9 << S;
    pub(crate) const DEFECTIVE_CREDENTIAL: OM_uint32 = 10 << S;
    pub(crate) const CREDENTIALS_EXPIRED: OM_uint32 = 11 << S;
    pub(crate) const CONTEXT_EXPIRED: OM_uint32 = 12 << S;
    pub(crate) const FAILURE: OM_uint32 = 13 << S;
    pub(crate) const BAD_QOP: OM_uint32 = 14 << S;
    pub(crate) const UNAVAILABLE: OM_uint32 = 16 << S;
    pub(crate) const MASK: OM_uint32 = 0xff << S;
}

/// 1.2.840.113554.1.2.2, the Kerberos V5 mechanism.
pub(crate) const OID_KRB5: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02";
/// 1.3.6.1.5.5.2, SPNEGO.
pub(crate) const OID_SPNEGO: &[u8] = b"\x2b\x06\x01\x05\x05\x02";
/// 1.2.840.113554.1.2.1.4, `GSS_C_NT_HOSTBASED_SERVICE`.
pub(crate) const OID_NT_HOSTBASED_SERVICE: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04";
/// 1.2.840.113554.1.2.1.1, `GSS_C_NT_USER_NAME`.
pub(crate) const OID_NT_USER_NAME: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x01";
/// 1.2.840.113554.1.2.2.1, `GSS_KRB5_NT_PRINCIPAL_NAME`.
pub(crate) const OID_KRB5_NT_PRINCIPAL_NAME: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01";

pub(crate) type gss_import_name_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    input_name: gss_buffer_t,
    name_type: gss_OID,
    output_name: *mut gss_name_t,
) -> OM_uint32;
pub(crate) type gss_release_name_fn =
    unsafe extern "C" fn(minor: *mut OM_uint32, name: *mut gss_name_t) -> OM_uint32;
pub(crate) type gss_display_name_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    name: gss_name_t,
    output: gss_buffer_t,
    output_type: *mut gss_OID,
) -> OM_uint32;
pub(crate) type gss_acquire_cred_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    desired_name: gss_name_t,
    time_req: OM_uint32,
    desired_mechs: gss_OID_set,
    cred_usage: gss_cred_usage_t,
    output_cred: *mut gss_cred_id_t,
    actual_mechs: *mut gss_OID_set,
    time_rec: *mut OM_uint32,
) -> OM_uint32;
pub(crate) type gss_acquire_cred_with_password_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    desired_name: gss_name_t,
    password: gss_buffer_t,
    time_req: OM_uint32,
    desired_mechs: gss_OID_set,
    cred_usage: gss_cred_usage_t,
    output_cred: *mut gss_cred_id_t,
    actual_mechs: *mut gss_OID_set,
    time_rec: *mut OM_uint32,
) -> OM_uint32;
pub(crate) type gss_inquire_cred_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    cred: gss_cred_id_t,
    name: *mut gss_name_t,
    lifetime: *mut OM_uint32,
    cred_usage: *mut gss_cred_usage_t,
    mechanisms: *mut gss_OID_set,
) -> OM_uint32;
pub(crate) type gss_release_cred_fn =
    unsafe extern "C" fn(minor: *mut OM_uint32, cred: *mut gss_cred_id_t) -> OM_uint32;
pub(crate) type gss_init_sec_context_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    initiator_cred: gss_cred_id_t,
    context: *mut gss_ctx_id_t,
    target_name: gss_name_t,
    mech_type: gss_OID,
    req_flags: OM_uint32,
    time_req: OM_uint32,
    input_chan_bindings: gss_channel_bindings_t,
    input_token: gss_buffer_t,
    actual_mech_type: *mut gss_OID,
    output_token: gss_buffer_t,
    ret_flags: *mut OM_uint32,
    time_rec: *mut OM_uint32,
) -> OM_uint32;
pub(crate) type gss_accept_sec_context_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    context: *mut gss_ctx_id_t,
    acceptor_cred: gss_cred_id_t,
    input_token: gss_buffer_t,
    input_chan_bindings: gss_channel_bindings_t,
    src_name: *mut gss_name_t,
    mech_type: *mut gss_OID,
    output_token: gss_buffer_t,
    ret_flags: *mut OM_uint32,
    time_rec: *mut OM_uint32,
    delegated_cred: *mut gss_cred_id_t,
) -> OM_uint32;
pub(crate) type gss_delete_sec_context_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    context: *mut gss_ctx_id_t,
    output_token: gss_buffer_t,
) -> OM_uint32;
pub(crate) type gss_inquire_context_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    context: gss_ctx_id_t,
    src_name: *mut gss_name_t,
    targ_name: *mut gss_name_t,
    lifetime: *mut OM_uint32,
    mech_type: *mut gss_OID,
    ctx_flags: *mut OM_uint32,
    locally_initiated: *mut c_int,
    open: *mut c_int,
) -> OM_uint32;
pub(crate) type gss_wrap_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    context: gss_ctx_id_t,
    conf_req: c_int,
    qop_req: gss_qop_t,
    input: gss_buffer_t,
    conf_state: *mut c_int,
    output: gss_buffer_t,
) -> OM_uint32;
pub(crate) type gss_unwrap_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    context: gss_ctx_id_t,
    input: gss_buffer_t,
    output: gss_buffer_t,
    conf_state: *mut c_int,
    qop_state: *mut gss_qop_t,
) -> OM_uint32;
pub(crate) type gss_release_buffer_fn =
    unsafe extern "C" fn(minor: *mut OM_uint32, buffer: gss_buffer_t) -> OM_uint32;
pub(crate) type gss_display_status_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    status: OM_uint32,
    status_type: c_int,
    mech_type: gss_OID,
    message_context: *mut OM_uint32,
    status_string: gss_buffer_t,
) -> OM_uint32;
pub(crate) type gss_wrap_iov_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    context: gss_ctx_id_t,
    conf_req: c_int,
    qop_req: gss_qop_t,
    conf_state: *mut c_int,
    iov: *mut gss_iov_buffer_desc,
    iov_count: c_int,
) -> OM_uint32;
pub(crate) type gss_unwrap_iov_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    context: gss_ctx_id_t,
    conf_state: *mut c_int,
    qop_state: *mut gss_qop_t,
    iov: *mut gss_iov_buffer_desc,
    iov_count: c_int,
) -> OM_uint32;
pub(crate) type gss_store_cred_into_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    cred: gss_cred_id_t,
    usage: gss_cred_usage_t,
    desired_mech: gss_OID,
    overwrite_cred: OM_uint32,
    default_cred: OM_uint32,
    cred_store: *const gss_key_value_set_desc,
    elements_stored: *mut gss_OID_set,
    cred_usage_stored: *mut gss_cred_usage_t,
) -> OM_uint32;
pub(crate) type gss_acquire_cred_from_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    desired_name: gss_name_t,
    time_req: OM_uint32,
    desired_mechs: gss_OID_set,
    cred_usage: gss_cred_usage_t,
    cred_store: *const gss_key_value_set_desc,
    output_cred: *mut gss_cred_id_t,
    actual_mechs: *mut gss_OID_set,
    time_rec: *mut OM_uint32,
) -> OM_uint32;

/// `gss_krb5_ccache_name` (MIT and Heimdal extension): sets the calling thread's default
/// credential cache of the Kerberos mechanism (Heimdal keeps one krb5 context per thread).
pub(crate) type gss_krb5_ccache_name_fn = unsafe extern "C" fn(
    minor: *mut OM_uint32,
    name: *const c_char,
    out_name: *mut *const c_char,
) -> OM_uint32;
/// `gss_krb5_copy_ccache`: copies a Kerberos credential's tickets into a `krb5_ccache`.
pub(crate) type gss_krb5_copy_ccache_fn =
    unsafe extern "C" fn(minor: *mut OM_uint32, cred: gss_cred_id_t, out: *mut c_void) -> OM_uint32;
