//! Safe wrappers over the GSSAPI calls: every native allocation enters an owning type at once
//! and is released exactly once, in its `Drop`; every failure's texts are read right after the
//! failing call, on the same thread.
//!
//! This module and its children hold all of the GSSAPI backend's `unsafe` code.

mod heimdal;
pub(crate) mod krb5;
mod library;
mod sys;

use std::ffi::{CStr, c_int};
use std::ptr;
use std::slice;

pub(crate) use library::{Library, LoadError, library};
use sys::*;
pub(crate) use sys::{
    GSS_C_ACCEPT, GSS_C_INITIATE, GSS_S_DUPLICATE_TOKEN, GSS_S_GAP_TOKEN, GSS_S_OLD_TOKEN,
    GSS_S_UNSEQ_TOKEN, OID_KRB5, OID_KRB5_NT_PRINCIPAL_NAME, OID_NT_HOSTBASED_SERVICE,
    OID_NT_USER_NAME, OID_SPNEGO, gss_cred_usage_t, routine,
};

use crate::backend::StepOutput;
use crate::channel_bindings::ChannelBindings;
use crate::flags::Flags;

/// A failed GSSAPI call: its status codes and their texts.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) call: &'static str,
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) major_text: String,
    pub(crate) minor_text: String,
}

/// Borrows a byte slice as an input `gss_buffer_desc`, for the duration of one call.
///
/// Only for arguments the library reads and never writes (the integration tests check that
/// the tokens and messages handed over come back unchanged); see [`Context::unwrap`] for the
/// one call that writes into its input.
fn input_buffer(bytes: &[u8]) -> gss_buffer_desc {
    gss_buffer_desc {
        length: bytes.len(),
        value: bytes.as_ptr().cast_mut().cast(),
    }
}

/// Borrows static OID bytes as a `gss_OID_desc`.
fn oid(bytes: &'static [u8]) -> gss_OID_desc {
    // The OIDs are constants of at most a dozen bytes, so the length always fits.
    let length = OM_uint32::try_from(bytes.len()).unwrap_or(0);
    gss_OID_desc {
        length,
        elements: bytes.as_ptr().cast_mut().cast(),
    }
}

const EMPTY_BUFFER: gss_buffer_desc = gss_buffer_desc {
    length: 0,
    value: ptr::null_mut(),
};

impl Library {
    /// Turns a major status into `Ok(major)` or a [`Failure`] with both texts, read now.
    fn check(
        &'static self,
        call: &'static str,
        major: OM_uint32,
        minor: OM_uint32,
    ) -> Result<OM_uint32, Failure> {
        if major & GSS_ERROR_MASK == 0 {
            return Ok(major);
        }
        Err(Failure {
            call,
            major,
            minor,
            major_text: self.status_text(major, GSS_C_GSS_CODE),
            minor_text: if minor == 0 {
                String::new()
            } else {
                self.status_text(minor, GSS_C_MECH_CODE)
            },
        })
    }

    /// A failure of our own around a library call, with our explanation as its text.
    fn local_failure(&'static self, call: &'static str, why: String) -> Failure {
        Failure {
            call,
            major: routine::FAILURE,
            minor: 0,
            major_text: why,
            minor_text: String::new(),
        }
    }

    /// A library that moved or grew one of our buffers: reported as a failure, never trusted.
    fn misbehaved(&'static self, call: &'static str) -> Failure {
        Failure {
            call,
            major: routine::FAILURE,
            minor: 0,
            major_text: format!(
                "{} returned buffers outside the ones it was given",
                self.name
            ),
            minor_text: String::new(),
        }
    }

    /// All the messages `gss_display_status` gives for one status code, joined by "; ".
    pub(crate) fn status_text(&'static self, code: OM_uint32, kind: c_int) -> String {
        let mut messages = Vec::new();
        let mut message_context: OM_uint32 = 0;
        // Bounded: a status code has a handful of messages; a broken library must not hang us.
        for _ in 0..8 {
            let mut minor = 0;
            let mut out = OwnedBuffer::new(self);
            // SAFETY: every pointer is valid for the call; `out` takes ownership of the
            // message buffer and releases it.
            let major = unsafe {
                (self.fns.gss_display_status)(
                    &mut minor,
                    code,
                    kind,
                    ptr::null_mut(),
                    &mut message_context,
                    out.as_mut_ptr(),
                )
            };
            if major & GSS_ERROR_MASK != 0 {
                break;
            }
            let text = String::from_utf8_lossy(out.as_slice());
            let text = text.trim_end_matches('\0').trim();
            if !text.is_empty() {
                messages.push(text.to_owned());
            }
            if message_context == 0 {
                break;
            }
        }
        messages.join("; ")
    }
}

/// A buffer the library allocated; released with `gss_release_buffer`.
pub(crate) struct OwnedBuffer {
    lib: &'static Library,
    desc: gss_buffer_desc,
}

impl OwnedBuffer {
    fn new(lib: &'static Library) -> Self {
        Self {
            lib,
            desc: EMPTY_BUFFER,
        }
    }

    fn as_mut_ptr(&mut self) -> gss_buffer_t {
        &mut self.desc
    }

    /// The buffer's bytes (empty when the library left it empty).
    pub(crate) fn as_slice(&self) -> &[u8] {
        if self.desc.value.is_null() || self.desc.length == 0 {
            return &[];
        }
        // SAFETY: the library filled `desc` with a buffer of `length` bytes that stays valid
        // until we release it in `drop`; the borrow of `self` keeps it alive.
        unsafe { slice::from_raw_parts(self.desc.value.cast::<u8>(), self.desc.length) }
    }
}

impl Drop for OwnedBuffer {
    fn drop(&mut self) {
        if !self.desc.value.is_null() {
            let mut minor = 0;
            // SAFETY: the buffer was allocated by this library and is released once.
            unsafe { (self.lib.fns.gss_release_buffer)(&mut minor, &mut self.desc) };
        }
    }
}

/// An imported name (`gss_name_t`).
pub(crate) struct Name {
    lib: &'static Library,
    raw: gss_name_t,
}

// SAFETY: a GSSAPI name is immutable once imported; MIT and Heimdal allow its use from any
// thread, and concurrent reads (display, use as a target) do not modify it.
unsafe impl Send for Name {}
// SAFETY: as above.
unsafe impl Sync for Name {}

impl Name {
    fn empty(lib: &'static Library) -> Self {
        Self {
            lib,
            raw: ptr::null_mut(),
        }
    }

    /// Imports `text` as a name of type `name_type` (one of the `OID_NT_*` constants).
    pub(crate) fn import(
        lib: &'static Library,
        text: &str,
        name_type: &'static [u8],
    ) -> Result<Self, Failure> {
        let mut name = Self::empty(lib);
        let mut input = input_buffer(text.as_bytes());
        let mut name_type = oid(name_type);
        let mut minor = 0;
        // SAFETY: `input` and `name_type` borrow live data for the call; the library only
        // reads them. `name` takes ownership of the output handle.
        let major = unsafe {
            (lib.fns.gss_import_name)(&mut minor, &mut input, &mut name_type, &mut name.raw)
        };
        lib.check("gss_import_name", major, minor)?;
        Ok(name)
    }

    /// The name's display form, such as `alice@EXAMPLE.COM`.
    pub(crate) fn display(&self) -> Result<String, Failure> {
        let mut out = OwnedBuffer::new(self.lib);
        let mut minor = 0;
        // SAFETY: `self.raw` is a valid name; `out` takes ownership of the output buffer.
        let major = unsafe {
            (self.lib.fns.gss_display_name)(&mut minor, self.raw, out.as_mut_ptr(), ptr::null_mut())
        };
        self.lib.check("gss_display_name", major, minor)?;
        Ok(String::from_utf8_lossy(out.as_slice()).into_owned())
    }
}

impl Drop for Name {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            let mut minor = 0;
            // SAFETY: the handle is owned by us and released once.
            unsafe { (self.lib.fns.gss_release_name)(&mut minor, &mut self.raw) };
        }
    }
}

/// A credential handle (`gss_cred_id_t`).
pub(crate) struct Cred {
    lib: &'static Library,
    raw: gss_cred_id_t,
    /// Heimdal SPNEGO with a password only: the credential's tickets, also in a private
    /// memory cache that each init makes the thread's default (see `heimdal`). Dropped after
    /// the handle is released, which destroys the cache.
    memory_cache: Option<heimdal::MemoryCache>,
}

// SAFETY: MIT and Heimdal guard credential handles with an internal lock, so a credential may
// be used by several contexts on several threads at once (RFC 2743 §1.1.1.3 allows sharing).
unsafe impl Send for Cred {}
// SAFETY: as above.
unsafe impl Sync for Cred {}

impl Cred {
    fn empty(lib: &'static Library) -> Self {
        Self {
            lib,
            raw: ptr::null_mut(),
            memory_cache: None,
        }
    }

    /// Makes this Kerberos credential usable by Heimdal's SPNEGO, which takes no password
    /// credential: its tickets are copied into a private memory cache that every
    /// `gss_init_sec_context` with this credential uses as the thread's default instead.
    pub(crate) fn for_heimdal_spnego(mut self) -> Result<Self, Failure> {
        let cache = heimdal::MemoryCache::copy_of(self.lib, self.raw)
            .map_err(|why| self.lib.local_failure("gss_krb5_copy_ccache", why))?;
        self.memory_cache = Some(cache);
        Ok(self)
    }

    /// Acquires credentials for `name` (or the default principal) from the ticket cache or
    /// keytab, for one mechanism (or all when `mech` is `None`).
    pub(crate) fn acquire(
        lib: &'static Library,
        name: Option<&Name>,
        usage: gss_cred_usage_t,
        mech: Option<&'static [u8]>,
    ) -> Result<Self, Failure> {
        let mut cred = Self::empty(lib);
        let mut mechs = MechSet::new(mech);
        let mut minor = 0;
        // SAFETY: the name handle (or null for the default) and the mechanism set (or null
        // for all) are valid for the call; `cred` takes ownership of the output handle; we
        // ask for no actual mechanisms or lifetime.
        let major = unsafe {
            (lib.fns.gss_acquire_cred)(
                &mut minor,
                name.map_or(ptr::null_mut(), |n| n.raw),
                GSS_C_INDEFINITE,
                mechs.as_ptr(),
                usage,
                &mut cred.raw,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        lib.check("gss_acquire_cred", major, minor)?;
        Ok(cred)
    }

    /// Obtains initiator credentials for `name` from the KDC with a password, into memory.
    /// Returns `None` when the library has no `gss_acquire_cred_with_password`.
    pub(crate) fn acquire_with_password(
        lib: &'static Library,
        name: &Name,
        password: &[u8],
        mech: &'static [u8],
    ) -> Option<Result<Self, Failure>> {
        let acquire = lib.fns.gss_acquire_cred_with_password?;
        let mut cred = Self::empty(lib);
        let mut secret = input_buffer(password);
        let mut mechs = MechSet::new(Some(mech));
        let mut minor = 0;
        // SAFETY: `secret` borrows the caller's password for the call and the library copies
        // what it keeps; the mechanism set is valid for the call; `cred` takes ownership of
        // the output handle.
        let major = unsafe {
            acquire(
                &mut minor,
                name.raw,
                &mut secret,
                GSS_C_INDEFINITE,
                mechs.as_ptr(),
                GSS_C_INITIATE,
                &mut cred.raw,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        Some(
            lib.check("gss_acquire_cred_with_password", major, minor)
                .map(|_| cred),
        )
    }

    /// Initiator credentials for one mechanism from the credential cache `ccache`
    /// (`gss_acquire_cred_from`). Returns `None` when the library lacks that function.
    pub(crate) fn acquire_from_ccache(
        lib: &'static Library,
        ccache: &CStr,
        mech: &'static [u8],
    ) -> Option<Result<Self, Failure>> {
        let acquire = lib.fns.gss_acquire_cred_from?;
        let mut cred = Self::empty(lib);
        let mut mechs = MechSet::new(Some(mech));
        let mut element = gss_key_value_element_desc {
            key: c"ccache".as_ptr(),
            value: ccache.as_ptr(),
        };
        let store = gss_key_value_set_desc {
            count: 1,
            elements: &mut element,
        };
        let mut minor = 0;
        // SAFETY: the mechanism set, the store and its C strings outlive the call, which only
        // reads them; `cred` takes ownership of the output handle.
        let major = unsafe {
            acquire(
                &mut minor,
                ptr::null_mut(),
                GSS_C_INDEFINITE,
                mechs.as_ptr(),
                GSS_C_INITIATE,
                &store,
                &mut cred.raw,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        Some(
            lib.check("gss_acquire_cred_from", major, minor)
                .map(|_| cred),
        )
    }

    /// The principal of `cred`, or of the default initiator credentials when `None`.
    pub(crate) fn principal(lib: &'static Library, cred: Option<&Self>) -> Result<Name, Failure> {
        Self::inquire(lib, cred).map(|(name, _)| name)
    }

    /// The principal of `cred` (or of the default initiator credentials when `None`) and
    /// the seconds it remains valid (`u32::MAX` for no limit).
    pub(crate) fn inquire(
        lib: &'static Library,
        cred: Option<&Self>,
    ) -> Result<(Name, u32), Failure> {
        let mut name = Name::empty(lib);
        let mut lifetime: OM_uint32 = 0;
        let mut minor = 0;
        // SAFETY: the credential handle (or null for the default) is valid for the call;
        // `name` takes ownership of the returned name, `lifetime` is a plain integer; the
        // other outputs are not requested.
        let major = unsafe {
            (lib.fns.gss_inquire_cred)(
                &mut minor,
                cred.map_or(ptr::null_mut(), |c| c.raw),
                &mut name.raw,
                &mut lifetime,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        lib.check("gss_inquire_cred", major, minor)?;
        Ok((name, lifetime))
    }

    /// Stores these (delegated) Kerberos initiator credentials into the credential cache
    /// named `ccache` (such as `FILE:/path`), replacing its contents. Returns `None` when the
    /// library has no `gss_store_cred_into` (MIT krb5 >= 1.11 has it).
    pub(crate) fn store_into(&self, ccache: &CStr) -> Option<Result<(), Failure>> {
        let store = self.lib.fns.gss_store_cred_into?;
        let mut element = gss_key_value_element_desc {
            key: c"ccache".as_ptr(),
            value: ccache.as_ptr(),
        };
        let set = gss_key_value_set_desc {
            count: 1,
            elements: &mut element,
        };
        let mut mech = oid(OID_KRB5);
        let mut minor = 0;
        // SAFETY: the credential handle is valid; `set`, `element`, the two C strings and
        // `mech` outlive the call, which only reads them; no outputs are requested.
        let major = unsafe {
            store(
                &mut minor,
                self.raw,
                GSS_C_INITIATE,
                &mut mech,
                1,
                0,
                &set,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        Some(
            self.lib
                .check("gss_store_cred_into", major, minor)
                .map(drop),
        )
    }
}

impl Drop for Cred {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            let mut minor = 0;
            // SAFETY: the handle is owned by us and released once.
            unsafe { (self.lib.fns.gss_release_cred)(&mut minor, &mut self.raw) };
        }
    }
}

/// A set of at most one mechanism, laid out for the library; null for "all mechanisms".
struct MechSet {
    oid: gss_OID_desc,
    set: gss_OID_set_desc,
    empty: bool,
}

impl MechSet {
    fn new(mech: Option<&'static [u8]>) -> Self {
        let oid_desc = oid(mech.unwrap_or_default());
        Self {
            oid: oid_desc,
            set: gss_OID_set_desc {
                count: 1,
                elements: ptr::null_mut(),
            },
            empty: mech.is_none(),
        }
    }

    /// The set, or null; valid while `self` is neither moved nor dropped.
    fn as_ptr(&mut self) -> gss_OID_set {
        if self.empty {
            return ptr::null_mut();
        }
        self.set.elements = &mut self.oid;
        &mut self.set
    }
}

/// Channel bindings laid out for the library; borrows the caller's bytes.
struct Bindings<'a> {
    desc: gss_channel_bindings_struct,
    _borrow: std::marker::PhantomData<&'a ChannelBindings>,
}

impl<'a> Bindings<'a> {
    fn new(cb: &'a ChannelBindings) -> Self {
        Self {
            desc: gss_channel_bindings_struct {
                initiator_addrtype: cb.initiator_addrtype,
                initiator_address: input_buffer(&cb.initiator_address),
                acceptor_addrtype: cb.acceptor_addrtype,
                acceptor_address: input_buffer(&cb.acceptor_address),
                application_data: input_buffer(&cb.application_data),
            },
            _borrow: std::marker::PhantomData,
        }
    }
}

fn bindings_ptr(bindings: &mut Option<Bindings<'_>>) -> gss_channel_bindings_t {
    bindings.as_mut().map_or(ptr::null_mut(), |b| &mut b.desc)
}

/// What one `gss_accept_sec_context` call produced besides its step.
pub(crate) struct Accepted {
    pub(crate) step: StepOutput,
    /// The credentials the initiator delegated.
    pub(crate) delegated: Option<Cred>,
    /// The initiator's name, once the library reports it.
    pub(crate) source: Option<Name>,
}

/// An unwrapped message and its protection.
pub(crate) struct UnwrapOutput {
    pub(crate) data: OwnedBuffer,
    pub(crate) confidential: bool,
    /// Supplementary status bits (`GSS_S_DUPLICATE_TOKEN` and the like).
    pub(crate) supplementary: u32,
}

/// A message wrapped with a detached header (`gss_wrap_iov`), as WinRM sends it.
pub(crate) struct IovOutput {
    pub(crate) header: Vec<u8>,
    pub(crate) data: Vec<u8>,
    pub(crate) padding: Vec<u8>,
    pub(crate) confidential: bool,
}

/// A message unwrapped from a detached header and its data (`gss_unwrap_iov`).
pub(crate) struct IovUnwrapped {
    pub(crate) data: Vec<u8>,
    pub(crate) confidential: bool,
    pub(crate) supplementary: u32,
}

/// An IOV entry pointing at a buffer we own (or at nothing).
fn iov(type_: OM_uint32, bytes: &mut [u8]) -> gss_iov_buffer_desc {
    gss_iov_buffer_desc {
        type_,
        buffer: gss_buffer_desc {
            length: bytes.len(),
            value: bytes.as_mut_ptr().cast(),
        },
    }
}

/// The length the library left in an IOV entry that points at `bytes`, checked to stay
/// within it.
fn iov_len(entry: &gss_iov_buffer_desc, bytes: &[u8]) -> Option<usize> {
    let buffer = entry.buffer;
    (buffer.length <= bytes.len() && buffer.value.cast::<u8>() == bytes.as_ptr().cast_mut())
        .then_some(buffer.length)
}

/// A handshake call's output token (copied out of the library's buffer, which `token` frees),
/// whether the context is established, and the flags in effect.
fn step_output(token: &OwnedBuffer, major: OM_uint32, flags: OM_uint32) -> StepOutput {
    StepOutput {
        token: token.as_slice().to_vec(),
        complete: major & GSS_S_CONTINUE_NEEDED == 0,
        flags: Flags::from_bits(flags),
    }
}

/// A security context handle (`gss_ctx_id_t`), null until the first step creates it.
pub(crate) struct Context {
    lib: &'static Library,
    raw: gss_ctx_id_t,
}

// SAFETY: a context is only ever used through `&mut self` (or `&self` for read-only inquiry),
// so one thread at a time, as RFC 2744 requires; it may move between threads.
unsafe impl Send for Context {}

impl Context {
    pub(crate) fn new(lib: &'static Library) -> Self {
        Self {
            lib,
            raw: ptr::null_mut(),
        }
    }

    /// One `gss_init_sec_context` step.
    pub(crate) fn initiate(
        &mut self,
        cred: Option<&Cred>,
        target: &Name,
        mech: &'static [u8],
        flags: Flags,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<StepOutput, Failure> {
        let lib = self.lib;
        let mut mech = oid(mech);
        let mut bindings = bindings.map(Bindings::new);
        let mut input = input_buffer(input);
        let mut token = OwnedBuffer::new(lib);
        let mut ret_flags = 0;
        let mut minor = 0;
        // A credential behind a private default cache is used through that cache.
        let via_default = cred.and_then(|c| c.memory_cache.as_ref());
        let cred = match via_default {
            Some(_) => ptr::null_mut(),
            None => cred.map_or(ptr::null_mut(), |c| c.raw),
        };
        let context = &mut self.raw;
        // SAFETY: the context handle is ours (null on the first step, then the library's);
        // cred, target, mech, bindings and input borrow live data for the call; `token`
        // takes ownership of the output token, even on failure.
        let mut init = || unsafe {
            (lib.fns.gss_init_sec_context)(
                &mut minor,
                cred,
                context,
                target.raw,
                &mut mech,
                flags.bits(),
                GSS_C_INDEFINITE,
                bindings_ptr(&mut bindings),
                &mut input,
                ptr::null_mut(),
                token.as_mut_ptr(),
                &mut ret_flags,
                ptr::null_mut(),
            )
        };
        let major = match via_default {
            Some(cache) => cache
                .as_thread_default(lib, init)
                .map_err(|why| lib.local_failure("gss_krb5_ccache_name", why))?,
            None => init(),
        };
        let major = lib.check("gss_init_sec_context", major, minor)?;
        Ok(step_output(&token, major, ret_flags))
    }

    /// One `gss_accept_sec_context` step.
    pub(crate) fn accept(
        &mut self,
        cred: Option<&Cred>,
        bindings: Option<&ChannelBindings>,
        input: &[u8],
    ) -> Result<Accepted, Failure> {
        let lib = self.lib;
        let mut bindings = bindings.map(Bindings::new);
        let mut input = input_buffer(input);
        let mut token = OwnedBuffer::new(lib);
        let mut delegated = Cred::empty(lib);
        let mut source = Name::empty(lib);
        let mut ret_flags = 0;
        let mut minor = 0;
        // SAFETY: as for `initiate`; `token`, `source` and `delegated` take ownership of
        // their outputs.
        let major = unsafe {
            (lib.fns.gss_accept_sec_context)(
                &mut minor,
                &mut self.raw,
                cred.map_or(ptr::null_mut(), |c| c.raw),
                &mut input,
                bindings_ptr(&mut bindings),
                &mut source.raw,
                ptr::null_mut(),
                token.as_mut_ptr(),
                &mut ret_flags,
                ptr::null_mut(),
                &mut delegated.raw,
            )
        };
        let major = lib.check("gss_accept_sec_context", major, minor)?;
        let delegated = (!delegated.raw.is_null()).then_some(delegated);
        let source = (!source.raw.is_null()).then_some(source);
        Ok(Accepted {
            step: step_output(&token, major, ret_flags),
            delegated,
            source,
        })
    }

    /// The name of the initiator (when `initiator`) or of the acceptor; only that one is
    /// requested from the library.
    pub(crate) fn inquire_name(&self, initiator: bool) -> Result<Name, Failure> {
        let mut name = Name::empty(self.lib);
        let out: *mut gss_name_t = &mut name.raw;
        let (source, target) = if initiator {
            (out, ptr::null_mut())
        } else {
            (ptr::null_mut(), out)
        };
        let mut minor = 0;
        // SAFETY: the context handle is valid (callers check it is established); the one
        // name requested is written straight into `name`, its owner; other outputs are not
        // requested.
        let major = unsafe {
            (self.lib.fns.gss_inquire_context)(
                &mut minor,
                self.raw,
                source,
                target,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        self.lib.check("gss_inquire_context", major, minor)?;
        Ok(name)
    }

    /// `gss_wrap`; returns the token and whether it is encrypted.
    pub(crate) fn wrap(
        &mut self,
        message: &[u8],
        encrypt: bool,
    ) -> Result<(OwnedBuffer, bool), Failure> {
        let mut input = input_buffer(message);
        let mut out = OwnedBuffer::new(self.lib);
        let mut conf_state: c_int = 0;
        let mut minor = 0;
        // SAFETY: the context is established (checked by callers); `input` borrows the
        // message for the call; `out` takes ownership of the token.
        let major = unsafe {
            (self.lib.fns.gss_wrap)(
                &mut minor,
                self.raw,
                c_int::from(encrypt),
                GSS_C_QOP_DEFAULT,
                &mut input,
                &mut conf_state,
                out.as_mut_ptr(),
            )
        };
        self.lib.check("gss_wrap", major, minor)?;
        Ok((out, conf_state != 0))
    }

    /// `gss_unwrap`.
    pub(crate) fn unwrap(&mut self, token: &[u8]) -> Result<UnwrapOutput, Failure> {
        // MIT decrypts the input buffer in place, although RFC 2744 makes it an input: the
        // library gets a copy it may scribble on, never the caller's bytes.
        let mut scratch = token.to_vec();
        let mut input = gss_buffer_desc {
            length: scratch.len(),
            value: scratch.as_mut_ptr().cast(),
        };
        let mut out = OwnedBuffer::new(self.lib);
        let mut conf_state: c_int = 0;
        let mut minor = 0;
        // SAFETY: as for `wrap`; `input` points at `scratch`, which we own, may be written and
        // outlives the call.
        let major = unsafe {
            (self.lib.fns.gss_unwrap)(
                &mut minor,
                self.raw,
                &mut input,
                out.as_mut_ptr(),
                &mut conf_state,
                ptr::null_mut(),
            )
        };
        let major = self.lib.check("gss_unwrap", major, minor)?;
        Ok(UnwrapOutput {
            data: out,
            confidential: conf_state != 0,
            supplementary: major & 0xffff,
        })
    }

    /// `gss_wrap_iov` into a header, the data (encrypted in place) and padding. Returns
    /// `None` when the library has no IOV functions.
    pub(crate) fn wrap_iov(
        &mut self,
        message: &[u8],
        encrypt: bool,
    ) -> Option<Result<IovOutput, Failure>> {
        let (wrap, length) = (
            self.lib.fns.gss_wrap_iov?,
            self.lib.fns.gss_wrap_iov_length?,
        );
        Some(self.wrap_iov_with(wrap, length, message, encrypt))
    }

    fn wrap_iov_with(
        &mut self,
        wrap: gss_wrap_iov_fn,
        length: gss_wrap_iov_fn,
        message: &[u8],
        encrypt: bool,
    ) -> Result<IovOutput, Failure> {
        let lib = self.lib;
        let conf_req = c_int::from(encrypt);
        let mut data = message.to_vec();
        let mut header = Vec::new();
        let mut padding = Vec::new();
        let mut iovs = [
            iov(GSS_IOV_BUFFER_TYPE_HEADER, &mut header),
            iov(GSS_IOV_BUFFER_TYPE_DATA, &mut data),
            iov(GSS_IOV_BUFFER_TYPE_PADDING, &mut padding),
        ];
        let mut conf_state: c_int = 0;
        let mut minor = 0;
        // SAFETY: the context is established (checked by callers); the three entries point
        // at buffers we own that outlive the call; `gss_wrap_iov_length` only writes the
        // header and padding lengths.
        let major = unsafe {
            length(
                &mut minor,
                self.raw,
                conf_req,
                GSS_C_QOP_DEFAULT,
                &mut conf_state,
                iovs.as_mut_ptr(),
                3,
            )
        };
        lib.check("gss_wrap_iov_length", major, minor)?;
        header = vec![0; iovs[0].buffer.length];
        padding = vec![0; iovs[2].buffer.length];
        let mut iovs = [
            iov(GSS_IOV_BUFFER_TYPE_HEADER, &mut header),
            iov(GSS_IOV_BUFFER_TYPE_DATA, &mut data),
            iov(GSS_IOV_BUFFER_TYPE_PADDING, &mut padding),
        ];
        // SAFETY: as above; the header and padding buffers now have the sizes the library
        // asked for, and the data buffer is our copy, which it encrypts in place.
        let major = unsafe {
            wrap(
                &mut minor,
                self.raw,
                conf_req,
                GSS_C_QOP_DEFAULT,
                &mut conf_state,
                iovs.as_mut_ptr(),
                3,
            )
        };
        lib.check("gss_wrap_iov", major, minor)?;
        let lengths = (
            iov_len(&iovs[0], &header),
            iov_len(&iovs[1], &data),
            iov_len(&iovs[2], &padding),
        );
        let (Some(h), Some(d), Some(p)) = lengths else {
            return Err(lib.misbehaved("gss_wrap_iov"));
        };
        header.truncate(h);
        data.truncate(d);
        padding.truncate(p);
        Ok(IovOutput {
            header,
            data,
            padding,
            confidential: conf_state != 0,
        })
    }

    /// `gss_unwrap_iov` of a detached header and its data. Returns `None` when the library
    /// has no IOV functions.
    pub(crate) fn unwrap_iov(
        &mut self,
        header: &[u8],
        data: &[u8],
    ) -> Option<Result<IovUnwrapped, Failure>> {
        let unwrap = self.lib.fns.gss_unwrap_iov?;
        let lib = self.lib;
        // Decryption is in place: the library works on our copies.
        let mut header = header.to_vec();
        let mut data = data.to_vec();
        let mut iovs = [
            iov(GSS_IOV_BUFFER_TYPE_HEADER, &mut header),
            iov(GSS_IOV_BUFFER_TYPE_DATA, &mut data),
        ];
        let mut conf_state: c_int = 0;
        let mut minor = 0;
        // SAFETY: the context is established (checked by callers); both entries point at
        // buffers we own that outlive the call.
        let major = unsafe {
            unwrap(
                &mut minor,
                self.raw,
                &mut conf_state,
                ptr::null_mut(),
                iovs.as_mut_ptr(),
                2,
            )
        };
        Some(lib.check("gss_unwrap_iov", major, minor).and_then(|major| {
            let Some(len) = iov_len(&iovs[1], &data) else {
                return Err(lib.misbehaved("gss_unwrap_iov"));
            };
            data.truncate(len);
            Ok(IovUnwrapped {
                data,
                confidential: conf_state != 0,
                supplementary: major & 0xffff,
            })
        }))
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            let mut minor = 0;
            // SAFETY: the handle is owned by us and deleted once; no output token is asked for.
            unsafe {
                (self.lib.fns.gss_delete_sec_context)(&mut minor, &mut self.raw, ptr::null_mut())
            };
        }
    }
}
