//! Safe wrappers over the SSPI calls (secur32, through `windows-sys`). This module holds all
//! of the SSPI backend's `unsafe` code.
//!
//! Rules kept here (see `SAFETY.md`):
//!
//! * Every handle or buffer the system allocates enters its owner at once and is released
//!   exactly once, in `Drop`: [`CredHandle`] (`FreeCredentialsHandle`), [`ContextHandle`]
//!   (`DeleteSecurityContext`, only once a call has created the context) and [`SspiBuffer`]
//!   (`FreeContextBuffer`, also for the response of `ChangeAccountPasswordW`).
//! * Tokens and messages are passed in buffers we allocate and keep ownership of; after a
//!   call, each output is taken from our own buffer, checking that the package left the
//!   pointer alone and reported a length within the buffer, so no pointer the package hands
//!   back is ever dereferenced, except the strings it allocates (read up to their NUL).
//! * Failure texts come from `FormatMessageW`, read right after the failing call.

use std::cell::Cell;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::ptr;

use windows_sys::Win32::Foundation::{
    GetLastError, SEC_E_OK, SEC_I_COMPLETE_AND_CONTINUE, SEC_I_COMPLETE_NEEDED,
    SEC_I_CONTINUE_NEEDED, SetLastError,
};
use windows_sys::Win32::Security::Authentication::Identity::{
    AcceptSecurityContext, AcquireCredentialsHandleW, ChangeAccountPasswordW, CompleteAuthToken,
    DecryptMessage, DeleteSecurityContext, EncryptMessage, FreeContextBuffer,
    FreeCredentialsHandle, InitializeSecurityContextW, QueryContextAttributesW,
    QueryCredentialsAttributesW, QuerySecurityPackageInfoW, SECBUFFER_CHANGE_PASS_RESPONSE,
    SECBUFFER_CHANNEL_BINDINGS, SECBUFFER_DATA, SECBUFFER_PADDING, SECBUFFER_STREAM,
    SECBUFFER_TOKEN, SECBUFFER_VERSION, SECPKG_ATTR_NAMES, SECPKG_ATTR_NATIVE_NAMES,
    SECPKG_ATTR_SIZES, SECPKG_CRED_ATTR_NAMES, SECURITY_NETWORK_DREP, SecBuffer, SecBufferDesc,
    SecPkgContext_NamesW, SecPkgContext_NativeNamesW, SecPkgContext_Sizes,
    SecPkgCredentials_NamesW, SecPkgInfoW,
};
use windows_sys::Win32::Security::Credentials::SecHandle;
use windows_sys::Win32::System::Diagnostics::Debug::{
    FORMAT_MESSAGE_FROM_SYSTEM, FORMAT_MESSAGE_IGNORE_INSERTS, FormatMessageW,
};
use windows_sys::Win32::System::Rpc::{SEC_WINNT_AUTH_IDENTITY_UNICODE, SEC_WINNT_AUTH_IDENTITY_W};
use zeroize::Zeroizing;

use crate::backend::StepOutput;
use crate::flags::Flags;

pub(crate) use windows_sys::Win32::Security::Authentication::Identity::{
    SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND,
};

/// A failed SSPI call: its status and the system's text for it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) call: &'static str,
    pub(crate) code: i32,
    pub(crate) text: String,
}

impl Failure {
    fn new(call: &'static str, code: i32) -> Self {
        Self {
            call,
            code,
            text: status_text(code),
        }
    }

    /// A call that reported success but broke the buffer contract.
    fn contract(call: &'static str, what: &str) -> Self {
        Self {
            call,
            // SEC_E_INTERNAL_ERROR: what the package did is not something a caller can fix.
            code: windows_sys::Win32::Foundation::SEC_E_INTERNAL_ERROR,
            text: format!("the security package returned {what}"),
        }
    }
}

/// Turns a status into `Ok(status)` for success and informational codes, `Err` for errors.
fn check(call: &'static str, status: i32) -> Result<i32, Failure> {
    if status < 0 {
        Err(Failure::new(call, status))
    } else {
        Ok(status)
    }
}

/// The system's message for a status code (`FormatMessageW`), trimmed; empty if it has none.
pub(crate) fn status_text(code: i32) -> String {
    let mut buf = [0u16; 1024];
    let capacity = u32::try_from(buf.len()).unwrap_or(0);
    // SAFETY: FROM_SYSTEM with IGNORE_INSERTS reads no source and no arguments; `buf` is
    // writable for `capacity` UTF-16 units and FormatMessageW writes at most that many,
    // returning the number written (excluding the NUL), or 0 on failure.
    let written = unsafe {
        FormatMessageW(
            FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
            ptr::null(),
            code.cast_unsigned(),
            0,
            buf.as_mut_ptr(),
            capacity,
            ptr::null(),
        )
    };
    let len = usize::try_from(written).unwrap_or(0).min(buf.len());
    String::from_utf16_lossy(&buf[..len]).trim().to_owned()
}

/// A NUL-terminated UTF-16 string without interior NULs (names, packages, SPNs).
#[derive(Clone, Debug)]
pub(crate) struct Wide(Vec<u16>);

impl Wide {
    /// `None` if `text` contains a NUL.
    pub(crate) fn new(text: &str) -> Option<Self> {
        if text.contains('\0') {
            return None;
        }
        Some(Self(text.encode_utf16().chain([0]).collect()))
    }

    /// A fixed name such as a package name. A NUL in it would only end the string early.
    pub(crate) fn from_static(text: &'static str) -> Self {
        Self(text.encode_utf16().chain([0]).collect())
    }

    fn as_ptr(&self) -> *const u16 {
        self.0.as_ptr()
    }
}

/// A UTF-16 copy of a secret (or of a name that travels with one), wiped on drop. Not
/// NUL-terminated inside the count: SSPI takes it with an explicit length.
pub(crate) struct SecretWide {
    units: Zeroizing<Vec<u16>>,
    len: u32,
}

impl SecretWide {
    /// Converts `text`; `None` if it contains a NUL or is longer than `u32::MAX` units.
    pub(crate) fn new(text: &str) -> Option<Self> {
        if text.contains('\0') {
            return None;
        }
        // UTF-16 never needs more units than UTF-8 has bytes: with this capacity the vector
        // never reallocates, so no unwiped copy is left behind in freed memory.
        let mut units = Zeroizing::new(Vec::with_capacity(text.len() + 1));
        units.extend(text.encode_utf16());
        let len = u32::try_from(units.len()).ok()?;
        units.push(0);
        Some(Self { units, len })
    }

    fn as_mut_ptr(&mut self) -> *mut u16 {
        self.units.as_mut_ptr()
    }

    /// The NUL-terminated string, for parameters SSPI only reads.
    fn as_ptr(&self) -> *const u16 {
        self.units.as_ptr()
    }

    /// The length in UTF-16 units, without the NUL.
    #[cfg(test)]
    pub(crate) fn units_len(&self) -> usize {
        usize_of(self.len)
    }
}

/// Explicit credentials: a user, an optional domain (realm) and a password.
pub(crate) struct Identity {
    pub(crate) user: SecretWide,
    pub(crate) domain: Option<SecretWide>,
    pub(crate) password: SecretWide,
}

/// Channel bindings in the `SEC_CHANNEL_BINDINGS` layout, in storage aligned for its `u32`
/// header fields.
pub(crate) struct Bindings {
    words: Vec<u32>,
    len: u32,
}

impl Bindings {
    /// Copies a serialized `SEC_CHANNEL_BINDINGS` block; `None` if it is too long for SSPI.
    pub(crate) fn new(block: &[u8]) -> Option<Self> {
        let len = u32::try_from(block.len()).ok()?;
        let mut words = vec![0u32; block.len().div_ceil(4)];
        for (word, chunk) in words.iter_mut().zip(block.chunks(4)) {
            let mut bytes = [0u8; 4];
            bytes[..chunk.len()].copy_from_slice(chunk);
            *word = u32::from_ne_bytes(bytes);
        }
        Some(Self { words, len })
    }
}

/// Owns a buffer allocated by the security package; `FreeContextBuffer` in `Drop`.
struct SspiBuffer(*mut c_void);

impl Drop for SspiBuffer {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer was returned by an SSPI call as memory the caller must free
            // with FreeContextBuffer, and this owner is its only holder, dropped once.
            unsafe { FreeContextBuffer(self.0) };
        }
    }
}

/// The longest string we read from a package, in UTF-16 units; a name is far shorter.
const MAX_STRING_UNITS: usize = 1 << 16;

impl SspiBuffer {
    /// Reads the NUL-terminated UTF-16 string this buffer holds; `None` when it is null.
    fn wide_string(&self) -> Option<String> {
        let start = self.0.cast::<u16>().cast_const();
        if start.is_null() {
            return None;
        }
        let mut len = 0;
        // SAFETY: the package returned this as a NUL-terminated UTF-16 string that stays
        // allocated until this owner frees it; we read unit by unit and stop at the NUL (or at
        // a bound far beyond any name, so a broken package cannot make us run away).
        while len < MAX_STRING_UNITS && unsafe { *start.add(len) } != 0 {
            len += 1;
        }
        // SAFETY: the `len` units before the NUL were just read, so they are valid and
        // initialised, and nothing writes them while this owner lives.
        let units = unsafe { std::slice::from_raw_parts(start, len) };
        Some(String::from_utf16_lossy(units))
    }
}

/// The largest token the package `package` produces (`cbMaxToken`).
pub(crate) fn max_token(package: &Wide) -> Result<u32, Failure> {
    const CALL: &str = "QuerySecurityPackageInfoW";
    let mut info: *mut SecPkgInfoW = ptr::null_mut();
    // SAFETY: `package` is NUL-terminated; `info` is a valid out-pointer.
    let status = unsafe { QuerySecurityPackageInfoW(package.as_ptr(), &mut info) };
    let owner = SspiBuffer(info.cast());
    check(CALL, status)?;
    if info.is_null() {
        return Err(Failure::contract(CALL, "no package information"));
    }
    // SAFETY: on success `info` points to a SecPkgInfoW, owned by `owner` until it drops.
    let max = unsafe { (*info).cbMaxToken };
    drop(owner);
    Ok(max)
}

/// A failed `ChangeAccountPasswordW`: its status, and the thread's last error as the call
/// left it (0 if it set none).
///
/// secur32 converts the package's NTSTATUS into the `SEC_E_*` status it returns, and a
/// refused new password and a wrong old one may come back as the same status; the last
/// error is read right after the call because it may still hold the package's NTSTATUS
/// (such as `STATUS_PASSWORD_RESTRICTION`), which tells them apart. That is not documented,
/// so it is only ever used to recognise specific codes.
#[derive(Debug)]
pub(crate) struct ChangeFailure {
    pub(crate) failure: Failure,
    pub(crate) last_error: u32,
}

/// `ChangeAccountPasswordW`: changes the password of `account` in `domain` from `old` to
/// `new`, through the security package `package`.
///
/// The output is what Microsoft documents: a descriptor with a single buffer of type
/// `SECBUFFER_CHANGE_PASS_RESPONSE`, whose `pvBuffer` points to a
/// `DOMAIN_PASSWORD_INFORMATION` on output. We offer no memory for it (length 0, null
/// pointer), so the package can write nothing through it; a pointer it leaves there is memory
/// it allocated, which is owned by an [`SspiBuffer`] at once and freed with
/// `FreeContextBuffer`, never read.
pub(crate) fn change_account_password(
    package: &Wide,
    domain: &SecretWide,
    account: &SecretWide,
    old: &SecretWide,
    new: &SecretWide,
) -> Result<(), ChangeFailure> {
    const CALL: &str = "ChangeAccountPasswordW";
    let mut response = [SecBuffer {
        cbBuffer: 0,
        BufferType: SECBUFFER_CHANGE_PASS_RESPONSE,
        pvBuffer: ptr::null_mut(),
    }];
    let mut output = desc(&mut response);
    // So that a last error found after the call was set by it.
    // SAFETY: sets this thread's last error value; no memory is involved.
    unsafe { SetLastError(0) };
    // SAFETY: the package name and the four strings ([in] parameters) are NUL-terminated
    // UTF-16 that outlive the call. `output` is a valid descriptor of one buffer, alive
    // across the call, that offers no memory (length 0, null pointer): the package can only
    // replace the pointer with memory of its own, which is taken over below. Not
    // impersonating a client (FALSE); the reserved argument is 0.
    let status = unsafe {
        ChangeAccountPasswordW(
            package.as_ptr(),
            domain.as_ptr(),
            account.as_ptr(),
            old.as_ptr(),
            new.as_ptr(),
            false,
            0,
            &mut output,
        )
    };
    // SAFETY: reads this thread's last error value, before any other call can change it.
    let last_error = unsafe { GetLastError() };
    // Whatever the package left in the buffer is its allocation, freed once when this owner
    // drops (after the status is examined), on success and on failure alike.
    let owner = SspiBuffer(response[0].pvBuffer);
    let failure = match status {
        SEC_E_OK => None,
        _ if status < 0 => Some(Failure::new(CALL, status)),
        // Not a documented outcome: do not report a password change that may not have
        // happened as done.
        _ => Some(Failure {
            call: CALL,
            code: status,
            text: format!("unexpected status {:#010x}", status.cast_unsigned()),
        }),
    };
    drop(owner);
    match failure {
        None => Ok(()),
        Some(failure) => Err(ChangeFailure {
            failure,
            last_error,
        }),
    }
}

fn empty_handle() -> SecHandle {
    SecHandle {
        dwLower: 0,
        dwUpper: 0,
    }
}

/// A credentials handle (`CredHandle`), freed with `FreeCredentialsHandle`.
///
/// SSPI credential handles may be used by several contexts on several threads at once, so
/// this is `Send + Sync`.
pub(crate) struct CredHandle {
    raw: SecHandle,
}

impl std::fmt::Debug for CredHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredHandle(..)")
    }
}

impl CredHandle {
    /// `AcquireCredentialsHandleW` for `package`, with an optional principal name and
    /// optional explicit credentials.
    pub(crate) fn acquire(
        principal: Option<&Wide>,
        package: &Wide,
        usage: u32,
        identity: Option<&mut Identity>,
    ) -> Result<Self, Failure> {
        let auth = identity.map(|id| {
            let (domain, domain_len) = match &mut id.domain {
                Some(d) => (d.as_mut_ptr(), d.len),
                None => (ptr::null_mut(), 0),
            };
            SEC_WINNT_AUTH_IDENTITY_W {
                User: id.user.as_mut_ptr(),
                UserLength: id.user.len,
                Domain: domain,
                DomainLength: domain_len,
                Password: id.password.as_mut_ptr(),
                PasswordLength: id.password.len,
                Flags: SEC_WINNT_AUTH_IDENTITY_UNICODE,
            }
        });
        let auth_ptr: *const c_void = match &auth {
            Some(a) => ptr::from_ref(a).cast(),
            None => ptr::null(),
        };
        let mut raw = empty_handle();
        let mut expiry = 0i64;
        // SAFETY: the strings are NUL-terminated and, like the identity's buffers (lengths in
        // UTF-16 units without the NUL), outlive the call; the package copies what it keeps.
        // `raw` and `expiry` are valid out-pointers.
        let status = unsafe {
            AcquireCredentialsHandleW(
                principal.map_or(ptr::null(), Wide::as_ptr),
                package.as_ptr(),
                usage,
                ptr::null(),
                auth_ptr,
                None,
                ptr::null(),
                &mut raw,
                &mut expiry,
            )
        };
        check("AcquireCredentialsHandleW", status)?;
        Ok(Self { raw })
    }

    /// The user name the credentials belong to (`SECPKG_CRED_ATTR_NAMES`).
    pub(crate) fn user_name(&self) -> Result<String, Failure> {
        const CALL: &str = "QueryCredentialsAttributesW";
        let mut names = SecPkgCredentials_NamesW {
            sUserName: ptr::null_mut(),
        };
        // SAFETY: the handle is live; `names` is the structure this attribute fills.
        let status = unsafe {
            QueryCredentialsAttributesW(
                &self.raw,
                SECPKG_CRED_ATTR_NAMES,
                ptr::from_mut(&mut names).cast(),
            )
        };
        let owner = SspiBuffer(names.sUserName.cast());
        check(CALL, status)?;
        owner
            .wide_string()
            .ok_or_else(|| Failure::contract(CALL, "no user name"))
    }
}

impl Drop for CredHandle {
    fn drop(&mut self) {
        // SAFETY: `raw` was filled by a successful AcquireCredentialsHandleW and is freed
        // only here, once.
        unsafe { FreeCredentialsHandle(&self.raw) };
    }
}

/// The sizes of a context's message-protection buffers (`SECPKG_ATTR_SIZES`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    pub(crate) security_trailer: u32,
    pub(crate) block_size: u32,
}

/// A message sealed by `EncryptMessage`: the three buffers, as the package left them.
#[derive(Debug)]
pub(crate) struct Sealed {
    pub(crate) token: Vec<u8>,
    pub(crate) data: Vec<u8>,
    pub(crate) padding: Vec<u8>,
}

/// A security context handle (`CtxtHandle`), deleted with `DeleteSecurityContext` once a
/// handshake call has created it.
///
/// `Send` but not `Sync`: SSPI forbids concurrent calls on one context.
pub(crate) struct ContextHandle {
    raw: SecHandle,
    /// Whether a call created the context; a handle that never held one is not deleted.
    live: bool,
    _not_sync: PhantomData<Cell<()>>,
}

impl std::fmt::Debug for ContextHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContextHandle")
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

impl Default for ContextHandle {
    fn default() -> Self {
        Self {
            raw: empty_handle(),
            live: false,
            _not_sync: PhantomData,
        }
    }
}

impl Drop for ContextHandle {
    fn drop(&mut self) {
        if self.live {
            // SAFETY: `live` is set only after a handshake call created the context in
            // `raw`; it is deleted only here, once.
            unsafe { DeleteSecurityContext(&self.raw) };
        }
    }
}

/// A caller-owned buffer described to SSPI, checked and read back after the call.
struct OwnedSecBuffer {
    bytes: Vec<u8>,
    kind: u32,
}

impl OwnedSecBuffer {
    fn new(bytes: Vec<u8>, kind: u32) -> Self {
        Self { bytes, kind }
    }

    /// The descriptor of this buffer; the pointer stays valid while `bytes` is not touched.
    fn describe(&mut self) -> Option<SecBuffer> {
        Some(SecBuffer {
            cbBuffer: u32::try_from(self.bytes.len()).ok()?,
            BufferType: self.kind,
            pvBuffer: self.bytes.as_mut_ptr().cast(),
        })
    }

    /// The length of our buffer that the package reports as used, after checking that the
    /// descriptor still points at our buffer and that the length is within it.
    fn used(&mut self, desc: &SecBuffer, call: &'static str) -> Result<usize, Failure> {
        let ours = self.bytes.as_mut_ptr().cast::<c_void>();
        let len = usize_of(desc.cbBuffer);
        if desc.pvBuffer != ours || len > self.bytes.len() {
            return Err(Failure::contract(
                call,
                "an output buffer outside the one it was given",
            ));
        }
        Ok(len)
    }

    /// Our buffer, cut to the length the package reports as used (checked by [`Self::used`]).
    fn take(mut self, desc: &SecBuffer, call: &'static str) -> Result<Vec<u8>, Failure> {
        let len = self.used(desc, call)?;
        self.bytes.truncate(len);
        Ok(self.bytes)
    }
}

fn desc(buffers: &mut [SecBuffer]) -> SecBufferDesc {
    SecBufferDesc {
        ulVersion: SECBUFFER_VERSION,
        cBuffers: u32::try_from(buffers.len()).unwrap_or(0),
        pBuffers: buffers.as_mut_ptr(),
    }
}

fn too_long(call: &'static str) -> Failure {
    Failure {
        call,
        code: windows_sys::Win32::Foundation::SEC_E_INVALID_PARAMETER,
        text: "a buffer is longer than SSPI accepts (4 GiB)".to_owned(),
    }
}

/// The input buffers of a handshake call: the peer's token and the channel bindings.
fn handshake_inputs(
    call: &'static str,
    token: &mut [u8],
    bindings: Option<&mut Bindings>,
) -> Result<Vec<SecBuffer>, Failure> {
    let mut inputs = Vec::with_capacity(2);
    if !token.is_empty() {
        inputs.push(SecBuffer {
            cbBuffer: u32::try_from(token.len()).map_err(|_| too_long(call))?,
            BufferType: SECBUFFER_TOKEN,
            pvBuffer: token.as_mut_ptr().cast(),
        });
    }
    if let Some(b) = bindings {
        inputs.push(SecBuffer {
            cbBuffer: b.len,
            BufferType: SECBUFFER_CHANNEL_BINDINGS,
            pvBuffer: b.words.as_mut_ptr().cast(),
        });
    }
    Ok(inputs)
}

impl ContextHandle {
    /// Whether a handshake call has created the context.
    pub(crate) fn is_live(&self) -> bool {
        self.live
    }

    /// One `InitializeSecurityContextW` call. `input` is empty on the first step; the output
    /// token is written into a buffer of `max_token` bytes that we own.
    pub(crate) fn initialize(
        &mut self,
        cred: &CredHandle,
        target: &Wide,
        request: u32,
        bindings: Option<&mut Bindings>,
        input: &[u8],
        max_token: u32,
    ) -> Result<StepOutput, Failure> {
        const CALL: &str = "InitializeSecurityContextW";
        // Private copies: the package gets mutable pointers, and what it does with input
        // buffers is its business, not our caller's.
        let mut token_in = input.to_vec();
        let mut inputs = handshake_inputs(CALL, &mut token_in, bindings)?;
        let input_desc = desc(&mut inputs);
        let mut output = OwnedSecBuffer::new(vec![0; usize_of(max_token)], SECBUFFER_TOKEN);
        let mut outputs = [output.describe().ok_or_else(|| too_long(CALL))?];
        let mut output_desc = desc(&mut outputs);
        let mut attrs = 0u32;
        let mut expiry = 0i64;
        let handle: *mut SecHandle = &mut self.raw;
        // SAFETY: the credential handle is live; `handle` points at our own storage, passed
        // as the existing context only once a call has created one (`live`) and always as
        // where the (same) context is written. The target is NUL-terminated. Every buffer
        // described in the two descriptors is ours, of the stated length, and outlives the
        // call; the out-pointers are valid.
        let status = unsafe {
            InitializeSecurityContextW(
                &cred.raw,
                if self.live { handle } else { ptr::null() },
                target.as_ptr(),
                request,
                0,
                SECURITY_NETWORK_DREP,
                if inputs.is_empty() {
                    ptr::null()
                } else {
                    &input_desc
                },
                0,
                handle,
                &mut output_desc,
                &mut attrs,
                &mut expiry,
            )
        };
        let flags = super::returned_flags(attrs, &super::ISC_RETURNED);
        self.finish_step(CALL, status, output, &mut outputs, flags)
    }

    /// One `AcceptSecurityContext` call with the initiator's `input` token.
    pub(crate) fn accept(
        &mut self,
        cred: &CredHandle,
        request: u32,
        bindings: Option<&mut Bindings>,
        input: &[u8],
        max_token: u32,
    ) -> Result<StepOutput, Failure> {
        const CALL: &str = "AcceptSecurityContext";
        let mut token_in = input.to_vec();
        let mut inputs = handshake_inputs(CALL, &mut token_in, bindings)?;
        let input_desc = desc(&mut inputs);
        let mut output = OwnedSecBuffer::new(vec![0; usize_of(max_token)], SECBUFFER_TOKEN);
        let mut outputs = [output.describe().ok_or_else(|| too_long(CALL))?];
        let mut output_desc = desc(&mut outputs);
        let mut attrs = 0u32;
        let mut expiry = 0i64;
        let handle: *mut SecHandle = &mut self.raw;
        // SAFETY: as for InitializeSecurityContextW: a live credential handle, our own
        // context storage (passed as existing only when `live`), buffers we own of the
        // stated lengths, valid out-pointers.
        let status = unsafe {
            AcceptSecurityContext(
                &cred.raw,
                if self.live { handle } else { ptr::null() },
                &input_desc,
                request,
                SECURITY_NETWORK_DREP,
                handle,
                &mut output_desc,
                &mut attrs,
                &mut expiry,
            )
        };
        let flags = super::returned_flags(attrs, &super::ASC_RETURNED);
        self.finish_step(CALL, status, output, &mut outputs, flags)
    }

    /// Interprets a handshake call's status: completes the token when the package asks for
    /// it, and takes the output token out of our buffer.
    fn finish_step(
        &mut self,
        call: &'static str,
        status: i32,
        mut output: OwnedSecBuffer,
        outputs: &mut [SecBuffer; 1],
        flags: Flags,
    ) -> Result<StepOutput, Failure> {
        let complete = match status {
            SEC_E_OK | SEC_I_COMPLETE_NEEDED => true,
            SEC_I_CONTINUE_NEEDED | SEC_I_COMPLETE_AND_CONTINUE => false,
            // An error, or an informational status that Kerberos and Negotiate never return
            // (such as Schannel's SEC_I_INCOMPLETE_CREDENTIALS): either way, not a step we can
            // continue.
            _ => {
                return Err(if status < 0 {
                    Failure::new(call, status)
                } else {
                    Failure {
                        call,
                        code: status,
                        text: format!("unexpected status {:#010x}", status.cast_unsigned()),
                    }
                });
            }
        };
        // The call succeeded, so the context exists now (or still does).
        self.live = true;
        if status == SEC_I_COMPLETE_NEEDED || status == SEC_I_COMPLETE_AND_CONTINUE {
            output.used(&outputs[0], call)?;
            let output_desc = desc(outputs);
            // SAFETY: the context is live; the descriptor describes our output buffer with
            // the length the package just reported, checked to lie within the buffer.
            let completed = unsafe { CompleteAuthToken(&self.raw, &output_desc) };
            check("CompleteAuthToken", completed)?;
        }
        let token = output.take(&outputs[0], call)?;
        Ok(StepOutput {
            token,
            complete,
            flags,
        })
    }

    /// The sizes for message protection (`SECPKG_ATTR_SIZES`).
    pub(crate) fn sizes(&self) -> Result<Sizes, Failure> {
        let mut sizes = SecPkgContext_Sizes {
            cbMaxToken: 0,
            cbMaxSignature: 0,
            cbBlockSize: 0,
            cbSecurityTrailer: 0,
        };
        // SAFETY: `sizes` is the structure this attribute fills; the handle is ours.
        let status = unsafe {
            QueryContextAttributesW(
                &self.raw,
                SECPKG_ATTR_SIZES,
                ptr::from_mut(&mut sizes).cast(),
            )
        };
        check("QueryContextAttributesW", status)?;
        Ok(Sizes {
            security_trailer: sizes.cbSecurityTrailer,
            block_size: sizes.cbBlockSize,
        })
    }

    /// `EncryptMessage` over `[TOKEN(trailer) | DATA(message) | PADDING(block)]`, with the
    /// buffers trimmed to the lengths the package reports afterwards.
    pub(crate) fn encrypt(
        &mut self,
        qop: u32,
        message: &[u8],
        sizes: Sizes,
    ) -> Result<Sealed, Failure> {
        const CALL: &str = "EncryptMessage";
        let mut token =
            OwnedSecBuffer::new(vec![0; usize_of(sizes.security_trailer)], SECBUFFER_TOKEN);
        let mut data = OwnedSecBuffer::new(message.to_vec(), SECBUFFER_DATA);
        let mut padding =
            OwnedSecBuffer::new(vec![0; usize_of(sizes.block_size)], SECBUFFER_PADDING);
        let mut buffers = [
            token.describe().ok_or_else(|| too_long(CALL))?,
            data.describe().ok_or_else(|| too_long(CALL))?,
            padding.describe().ok_or_else(|| too_long(CALL))?,
        ];
        let message_desc = desc(&mut buffers);
        // SAFETY: the three buffers are ours, of the stated lengths, and outlive the call;
        // the package writes within them and updates their lengths.
        let status = unsafe { EncryptMessage(&self.raw, qop, &message_desc, 0) };
        check(CALL, status)?;
        Ok(Sealed {
            token: token.take(&buffers[0], CALL)?,
            data: data.take(&buffers[1], CALL)?,
            padding: padding.take(&buffers[2], CALL)?,
        })
    }

    /// `DecryptMessage` of a whole wrap token, as `[STREAM(token) | DATA(empty)]`: the
    /// package decrypts in place and points DATA into our copy of the token. Returns the
    /// message and the quality of protection.
    pub(crate) fn decrypt_stream(&mut self, token: &[u8]) -> Result<(Vec<u8>, u32), Failure> {
        const CALL: &str = "DecryptMessage";
        // Decrypted in place: a copy we wipe afterwards.
        let mut stream = Zeroizing::new(token.to_vec());
        let base = stream.as_mut_ptr();
        let mut buffers = [
            SecBuffer {
                cbBuffer: u32::try_from(stream.len()).map_err(|_| too_long(CALL))?,
                BufferType: SECBUFFER_STREAM,
                pvBuffer: base.cast(),
            },
            SecBuffer {
                cbBuffer: 0,
                BufferType: SECBUFFER_DATA,
                pvBuffer: ptr::null_mut(),
            },
        ];
        let message_desc = desc(&mut buffers);
        let mut qop = 0u32;
        // SAFETY: the STREAM buffer is our copy of the token, of the stated length, alive
        // across the call; DATA starts empty and the package sets it to a part of STREAM.
        let status = unsafe { DecryptMessage(&self.raw, &message_desc, 0, &mut qop) };
        check(CALL, status)?;
        let data = buffers
            .iter()
            .find(|b| b.BufferType == SECBUFFER_DATA)
            .ok_or_else(|| Failure::contract(CALL, "no DATA buffer"))?;
        let len = usize_of(data.cbBuffer);
        if len == 0 {
            return Ok((Vec::new(), qop));
        }
        // Where DATA lies within our copy, by address arithmetic only (no dereference), so a
        // package that pointed elsewhere is reported rather than read.
        let start = data
            .pvBuffer
            .addr()
            .checked_sub(base.addr())
            .and_then(|offset| Some((offset, offset.checked_add(len)?)))
            .filter(|&(_, end)| end <= stream.len());
        match start {
            Some((offset, end)) => Ok((stream[offset..end].to_vec(), qop)),
            None => Err(Failure::contract(
                CALL,
                "a DATA buffer outside the message it was given",
            )),
        }
    }

    /// `DecryptMessage` of a message whose header travels apart from its data, as
    /// `[TOKEN(header) | DATA(data)]`, decrypted in place in our copy of `data`.
    pub(crate) fn decrypt_detached(
        &mut self,
        header: &[u8],
        data: &[u8],
    ) -> Result<(Vec<u8>, u32), Failure> {
        const CALL: &str = "DecryptMessage";
        let mut header = OwnedSecBuffer::new(header.to_vec(), SECBUFFER_TOKEN);
        let mut data = OwnedSecBuffer::new(data.to_vec(), SECBUFFER_DATA);
        let mut buffers = [
            header.describe().ok_or_else(|| too_long(CALL))?,
            data.describe().ok_or_else(|| too_long(CALL))?,
        ];
        let message_desc = desc(&mut buffers);
        let mut qop = 0u32;
        // SAFETY: both buffers are ours, of the stated lengths, alive across the call.
        let status = unsafe { DecryptMessage(&self.raw, &message_desc, 0, &mut qop) };
        check(CALL, status)?;
        let plain = data.take(&buffers[1], CALL)?;
        Ok((plain, qop))
    }

    /// The client's and the server's names in their native (Kerberos) form
    /// (`SECPKG_ATTR_NATIVE_NAMES`).
    pub(crate) fn native_names(&self) -> Result<(Option<String>, Option<String>), Failure> {
        let mut names = SecPkgContext_NativeNamesW {
            sClientName: ptr::null_mut(),
            sServerName: ptr::null_mut(),
        };
        // SAFETY: `names` is the structure this attribute fills; the handle is ours.
        let status = unsafe {
            QueryContextAttributesW(
                &self.raw,
                SECPKG_ATTR_NATIVE_NAMES,
                ptr::from_mut(&mut names).cast(),
            )
        };
        let client = SspiBuffer(names.sClientName.cast());
        let server = SspiBuffer(names.sServerName.cast());
        check("QueryContextAttributesW", status)?;
        Ok((client.wide_string(), server.wide_string()))
    }

    /// The client's name as the system's account database shows it (`SECPKG_ATTR_NAMES`,
    /// `DOMAIN\user` for a domain account).
    pub(crate) fn account_name(&self) -> Result<Option<String>, Failure> {
        let mut names = SecPkgContext_NamesW {
            sUserName: ptr::null_mut(),
        };
        // SAFETY: `names` is the structure this attribute fills; the handle is ours.
        let status = unsafe {
            QueryContextAttributesW(
                &self.raw,
                SECPKG_ATTR_NAMES,
                ptr::from_mut(&mut names).cast(),
            )
        };
        let user = SspiBuffer(names.sUserName.cast());
        check("QueryContextAttributesW", status)?;
        Ok(user.wide_string())
    }
}

fn usize_of(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}
