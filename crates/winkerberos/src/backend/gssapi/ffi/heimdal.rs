//! SPNEGO with a password on Heimdal: the tickets go into a private in-memory cache that is
//! made the calling thread's default for the duration of each `gss_init_sec_context` call.
//!
//! Heimdal 7's SPNEGO cannot take a password credential (`gss_acquire_cred_with_password`
//! answers NO_CRED), its mechanism glue refuses a Kerberos-only credential for SPNEGO, and its
//! SPNEGO initiator vets the Kerberos mechanism with an init on the *default* credential
//! before using the given one (`initiator_approved`). Its Kerberos mechanism, though, keeps
//! one krb5 context per thread, whose default cache `gss_krb5_ccache_name` sets. So: obtain a
//! Kerberos credential with the password, copy its tickets into `MEMORY:winkerberos-<random>`
//! (a cache private to this process, in Heimdal's `libkrb5.so.26`, which `libgssapi.so.3`
//! has already loaded), and run each SPNEGO step with no credential and that cache as the
//! thread's default, restoring the default right after. The cache is destroyed (its tickets
//! wiped) when the credential is dropped.

#![allow(non_camel_case_types)]

use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;
use std::sync::OnceLock;

use libloading::os::unix::{Library as RawLibrary, RTLD_LOCAL, RTLD_NOW};

use super::Library;
use super::sys::gss_cred_id_t;

type krb5_error_code = i32;
type krb5_context = *mut c_void;
type krb5_ccache = *mut c_void;

type InitContextFn = unsafe extern "C" fn(*mut krb5_context) -> krb5_error_code;
type FreeContextFn = unsafe extern "C" fn(krb5_context);
type CcResolveFn =
    unsafe extern "C" fn(krb5_context, *const c_char, *mut krb5_ccache) -> krb5_error_code;
type CcCloseFn = unsafe extern "C" fn(krb5_context, krb5_ccache) -> krb5_error_code;
type CcDefaultNameFn = unsafe extern "C" fn(krb5_context) -> *const c_char;

/// The few functions of Heimdal's libkrb5 this needs.
struct Krb5 {
    _library: RawLibrary,
    init_context: InitContextFn,
    free_context: FreeContextFn,
    cc_resolve: CcResolveFn,
    cc_close: CcCloseFn,
    cc_destroy: CcCloseFn,
    cc_default_name: CcDefaultNameFn,
}

fn krb5() -> Option<&'static Krb5> {
    static KRB5: OnceLock<Option<Krb5>> = OnceLock::new();
    KRB5.get_or_init(|| {
        // SAFETY: Heimdal's libkrb5, already loaded by Heimdal's libgssapi.so.3 (so this only
        // takes another reference); its initialisers are meant to run in any process.
        let lib = unsafe { RawLibrary::open(Some("libkrb5.so.26"), RTLD_NOW | RTLD_LOCAL) }.ok()?;
        // SAFETY: each symbol is the Heimdal krb5 function of that name with this C signature
        // (krb5.h of Heimdal 7: contexts and caches are opaque pointers).
        unsafe {
            Some(Krb5 {
                init_context: *lib.get::<InitContextFn>(b"krb5_init_context").ok()?,
                free_context: *lib.get::<FreeContextFn>(b"krb5_free_context").ok()?,
                cc_resolve: *lib.get::<CcResolveFn>(b"krb5_cc_resolve").ok()?,
                cc_close: *lib.get::<CcCloseFn>(b"krb5_cc_close").ok()?,
                cc_destroy: *lib.get::<CcCloseFn>(b"krb5_cc_destroy").ok()?,
                cc_default_name: *lib.get::<CcDefaultNameFn>(b"krb5_cc_default_name").ok()?,
                _library: lib,
            })
        }
    })
    .as_ref()
}

/// A krb5 context of our own, freed on drop.
struct Context {
    krb5: &'static Krb5,
    raw: krb5_context,
}

impl Context {
    fn new() -> Result<Self, String> {
        let krb5 = krb5().ok_or("Heimdal's libkrb5.so.26 could not be loaded")?;
        let mut raw = ptr::null_mut();
        // SAFETY: `raw` receives a new context that we free once, in Drop.
        let code = unsafe { (krb5.init_context)(&mut raw) };
        if code != 0 || raw.is_null() {
            return Err(format!("krb5_init_context failed ({code})"));
        }
        Ok(Self { krb5, raw })
    }

    /// Runs `f` on the cache `name`, closing (or destroying, with `destroy`) it afterwards.
    fn with_cache<T>(
        &self,
        name: &CStr,
        destroy: bool,
        f: impl FnOnce(krb5_ccache) -> T,
    ) -> Result<T, String> {
        let mut id = ptr::null_mut();
        // SAFETY: our live context and a NUL-terminated name; `id` receives a cache handle
        // that is closed or destroyed below, exactly once.
        let code = unsafe { (self.krb5.cc_resolve)(self.raw, name.as_ptr(), &mut id) };
        if code != 0 || id.is_null() {
            return Err(format!("krb5_cc_resolve failed ({code})"));
        }
        let out = f(id);
        let release = if destroy {
            self.krb5.cc_destroy
        } else {
            self.krb5.cc_close
        };
        // SAFETY: the handle resolved above, released once.
        unsafe { release(self.raw, id) };
        Ok(out)
    }

    /// The default cache name as a fresh context computes it (KRB5CCNAME, else krb5.conf).
    fn default_name(&self) -> Option<CString> {
        // SAFETY: our live context; the returned string belongs to it and is copied at once.
        let name = unsafe { (self.krb5.cc_default_name)(self.raw) };
        // SAFETY: a NUL-terminated string owned by the context, alive until the next call.
        (!name.is_null()).then(|| unsafe { CStr::from_ptr(name) }.to_owned())
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the context made in `new`, freed once.
        unsafe { (self.krb5.free_context)(self.raw) };
    }
}

/// A private in-memory credential cache holding a password credential's tickets.
pub(crate) struct MemoryCache {
    name: CString,
}

impl MemoryCache {
    /// Copies the tickets of the Kerberos credential `cred` into a new memory cache.
    pub(crate) fn copy_of(lib: &'static Library, cred: gss_cred_id_t) -> Result<Self, String> {
        let copy = lib
            .fns
            .gss_krb5_copy_ccache
            .ok_or("the GSSAPI library has no gss_krb5_copy_ccache")?;
        lib.fns
            .gss_krb5_ccache_name
            .ok_or("the GSSAPI library has no gss_krb5_ccache_name")?;
        let random = crate::random::random_u64();
        let name = CString::new(format!("MEMORY:winkerberos-{random:016x}"))
            .map_err(|_| "bad cache name")?;
        let context = Context::new()?;
        let mut minor = 0;
        // SAFETY: `cred` is a live Kerberos credential handle and `id` a cache handle of the
        // same (already loaded) libkrb5; the library initialises the cache and copies into it.
        let major = context.with_cache(&name, false, |id| unsafe { copy(&mut minor, cred, id) })?;
        if major != 0 {
            // Nothing of value may be left behind in the half-made cache.
            let _ = context.with_cache(&name, true, |_| ());
            return Err(format!("gss_krb5_copy_ccache failed ({major:#x}/{minor})"));
        }
        Ok(Self { name })
    }

    /// Runs `f` with this cache as the calling thread's default credential cache of the
    /// Kerberos mechanism, then restores the default a fresh context computes.
    pub(crate) fn as_thread_default<T>(
        &self,
        lib: &'static Library,
        f: impl FnOnce() -> T,
    ) -> Result<T, String> {
        let set = lib
            .fns
            .gss_krb5_ccache_name
            .ok_or("the GSSAPI library has no gss_krb5_ccache_name")?;
        let previous = Context::new()?
            .default_name()
            .ok_or("no default credential cache name")?;
        let mut minor = 0;
        // SAFETY: a NUL-terminated name, copied by the library; no old name is asked for.
        let major = unsafe { set(&mut minor, self.name.as_ptr(), ptr::null_mut()) };
        if major != 0 {
            return Err(format!("gss_krb5_ccache_name failed ({major:#x}/{minor})"));
        }
        let out = f();
        // SAFETY: as above. Restoring cannot meaningfully fail for a name that was the
        // default already; were it to, the next call on this thread reports it.
        unsafe { set(&mut minor, previous.as_ptr(), ptr::null_mut()) };
        Ok(out)
    }
}

impl Drop for MemoryCache {
    fn drop(&mut self) {
        // Destroying the cache wipes the tickets; nothing to report to if it fails.
        if let Ok(context) = Context::new() {
            let _ = context.with_cache(&self.name, true, |_| ());
        }
    }
}
