//! The few libkrb5 calls GSSAPI has no equivalent for: changing a password over the kpasswd
//! protocol. MIT's `libkrb5.so.3` is opened at run time, like the GSSAPI library; its struct
//! layouts (`krb5_data`, `krb5_creds`) are MIT's, so Heimdal's `libkrb5.so.26` is not used.

#![allow(non_camel_case_types)]

use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
use std::ptr;
use std::sync::OnceLock;

use libloading::os::unix::{Library as RawLibrary, RTLD_LOCAL, RTLD_NOW};

use super::library::function_table;

type krb5_error_code = i32;
type krb5_deltat = i32;

#[repr(C)]
struct krb5_context_st {
    _private: [u8; 0],
}
#[repr(C)]
struct krb5_principal_st {
    _private: [u8; 0],
}
#[repr(C)]
struct krb5_get_init_creds_opt {
    _private: [u8; 0],
}
type krb5_context = *mut krb5_context_st;
type krb5_principal = *mut krb5_principal_st;

/// MIT's `krb5_data`.
#[repr(C)]
struct krb5_data {
    magic: i32,
    length: c_uint,
    data: *mut c_char,
}

/// Storage for MIT's `krb5_creds` (120 bytes, 8-aligned on LP64), which the library fills
/// and `krb5_free_cred_contents` empties; we never read its fields.
#[repr(C, align(8))]
struct krb5_creds([u8; 256]);

type InitContextFn = unsafe extern "C" fn(*mut krb5_context) -> krb5_error_code;
type FreeContextFn = unsafe extern "C" fn(krb5_context);
type ParseNameFn =
    unsafe extern "C" fn(krb5_context, *const c_char, *mut krb5_principal) -> krb5_error_code;
type FreePrincipalFn = unsafe extern "C" fn(krb5_context, krb5_principal);
type OptAllocFn =
    unsafe extern "C" fn(krb5_context, *mut *mut krb5_get_init_creds_opt) -> krb5_error_code;
type OptFreeFn = unsafe extern "C" fn(krb5_context, *mut krb5_get_init_creds_opt);
type OptSetDeltatFn = unsafe extern "C" fn(*mut krb5_get_init_creds_opt, krb5_deltat);
type OptSetFlagFn = unsafe extern "C" fn(*mut krb5_get_init_creds_opt, c_int);
type GetInitCredsPasswordFn = unsafe extern "C" fn(
    krb5_context,
    *mut krb5_creds,
    krb5_principal,
    *const c_char,
    *const c_void,
    *mut c_void,
    krb5_deltat,
    *const c_char,
    *mut krb5_get_init_creds_opt,
) -> krb5_error_code;
type ChangePasswordFn = unsafe extern "C" fn(
    krb5_context,
    *mut krb5_creds,
    *const c_char,
    *mut c_int,
    *mut krb5_data,
    *mut krb5_data,
) -> krb5_error_code;
type FreeCredContentsFn = unsafe extern "C" fn(krb5_context, *mut krb5_creds);
type FreeDataContentsFn = unsafe extern "C" fn(krb5_context, *mut krb5_data);
type GetErrorMessageFn = unsafe extern "C" fn(krb5_context, krb5_error_code) -> *const c_char;
type FreeErrorMessageFn = unsafe extern "C" fn(krb5_context, *const c_char);
type ChpwMessageFn =
    unsafe extern "C" fn(krb5_context, *const krb5_data, *mut *mut c_char) -> krb5_error_code;
type FreeStringFn = unsafe extern "C" fn(krb5_context, *mut c_char);

function_table! {
    /// The libkrb5 functions a password change calls, with MIT's signatures.
    struct Functions;
    required {
        krb5_init_context: InitContextFn,
        krb5_free_context: FreeContextFn,
        krb5_parse_name: ParseNameFn,
        krb5_free_principal: FreePrincipalFn,
        krb5_get_init_creds_opt_alloc: OptAllocFn,
        krb5_get_init_creds_opt_free: OptFreeFn,
        krb5_get_init_creds_opt_set_tkt_life: OptSetDeltatFn,
        krb5_get_init_creds_opt_set_renew_life: OptSetDeltatFn,
        krb5_get_init_creds_opt_set_forwardable: OptSetFlagFn,
        krb5_get_init_creds_opt_set_proxiable: OptSetFlagFn,
        krb5_get_init_creds_password: GetInitCredsPasswordFn,
        krb5_change_password: ChangePasswordFn,
        krb5_free_cred_contents: FreeCredContentsFn,
        krb5_free_data_contents: FreeDataContentsFn,
        krb5_get_error_message: GetErrorMessageFn,
        krb5_free_error_message: FreeErrorMessageFn,
    }
    optional {
        // MIT >= 1.11.
        krb5_chpw_message: ChpwMessageFn,
        krb5_free_string: FreeStringFn,
    }
}

/// The opened libkrb5 and its functions.
struct Krb5 {
    /// Keeps the library mapped; never dropped, as it lives in a static.
    _library: RawLibrary,
    fns: Functions,
}

/// The environment variable naming the libkrb5 to use instead of `libkrb5.so.3`.
const KRB5_LIBRARY_ENV: &str = "WINKERBEROS_KRB5_LIBRARY";

/// A failed libkrb5 call.
#[derive(Debug)]
pub(crate) enum Krb5Failure {
    /// The library could not be loaded.
    Unavailable(String),
    /// A call failed with a krb5 error code.
    Call {
        call: &'static str,
        code: i32,
        message: String,
    },
    /// The password server refused the change.
    Rejected {
        code: i32,
        code_text: String,
        text: String,
    },
}

fn krb5() -> Result<&'static Krb5, Krb5Failure> {
    static KRB5: OnceLock<Result<Krb5, String>> = OnceLock::new();
    KRB5.get_or_init(load)
        .as_ref()
        .map_err(|e| Krb5Failure::Unavailable(e.clone()))
}

fn load() -> Result<Krb5, String> {
    let name = std::env::var(KRB5_LIBRARY_ENV)
        .ok()
        .filter(|v| !v.is_empty());
    let name = name.as_deref().unwrap_or("libkrb5.so.3");
    // SAFETY: opening the system libkrb5 runs its initialisers, written to run in any
    // process; RTLD_LOCAL keeps its symbols private.
    let lib = unsafe { RawLibrary::open(Some(name), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| {
        format!(
            "MIT libkrb5 could not be loaded ({name}: {})",
            super::library::with_reason(&e)
        )
    })?;
    let fns = Functions::resolve(&lib).map_err(|missing| format!("{name} has no {missing}"))?;
    Ok(Krb5 { _library: lib, fns })
}

/// A krb5 library context; freed on drop, after everything made with it (each owner below
/// borrows it).
struct Context {
    lib: &'static Krb5,
    raw: krb5_context,
}

impl Context {
    fn new(lib: &'static Krb5) -> Result<Self, Krb5Failure> {
        let mut raw = ptr::null_mut();
        // SAFETY: `raw` receives a new context that `Context` owns from here on.
        let code = unsafe { (lib.fns.krb5_init_context)(&mut raw) };
        let ctx = Self { lib, raw };
        if code != 0 {
            return Err(Krb5Failure::Call {
                call: "krb5_init_context",
                code,
                message: "cannot initialize a Kerberos context (check krb5.conf / KRB5_CONFIG)"
                    .into(),
            });
        }
        Ok(ctx)
    }

    /// `code` as a failure, unless it is 0.
    fn check(&self, call: &'static str, code: krb5_error_code) -> Result<(), Krb5Failure> {
        if code == 0 {
            Ok(())
        } else {
            Err(self.failure(call, code))
        }
    }

    /// The failure of `call` with `code`, with the library's message for it (read now).
    fn failure(&self, call: &'static str, code: krb5_error_code) -> Krb5Failure {
        let fns = &self.lib.fns;
        // SAFETY: the context is valid; the returned string is copied and then freed with
        // the matching call, once.
        let message = unsafe {
            let text = (fns.krb5_get_error_message)(self.raw, code);
            let message = if text.is_null() {
                String::new()
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            };
            (fns.krb5_free_error_message)(self.raw, text);
            message
        };
        Krb5Failure::Call {
            call,
            code,
            message,
        }
    }

    /// The displayable text of a `krb5_data`, through `krb5_chpw_message` when available
    /// (which turns Active Directory's binary policy blob into words).
    fn data_text(&self, data: &krb5_data, chpw: bool) -> String {
        let fns = &self.lib.fns;
        if let (true, Some(message), Some(free)) =
            (chpw, fns.krb5_chpw_message, fns.krb5_free_string)
        {
            let mut out = ptr::null_mut();
            // SAFETY: `data` is a valid krb5_data filled by the library; `out` receives a
            // string freed just below.
            if unsafe { message(self.raw, data, &mut out) } == 0 && !out.is_null() {
                // SAFETY: `out` is a NUL-terminated string owned by us until freed.
                let text = unsafe { CStr::from_ptr(out) }
                    .to_string_lossy()
                    .into_owned();
                // SAFETY: freed once, with the library's own function.
                unsafe { free(self.raw, out) };
                return text;
            }
        }
        if data.data.is_null() || data.length == 0 {
            return String::new();
        }
        // SAFETY: the library filled `data` with `length` bytes at `data`.
        let bytes =
            unsafe { std::slice::from_raw_parts(data.data.cast::<u8>(), data.length as usize) };
        String::from_utf8_lossy(bytes)
            .trim_end_matches('\0')
            .to_owned()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            // SAFETY: the context is owned by us and freed once.
            unsafe { (self.lib.fns.krb5_free_context)(self.raw) };
        }
    }
}

/// A parsed principal (`krb5_principal`); freed on drop.
struct Principal<'a> {
    ctx: &'a Context,
    raw: krb5_principal,
}

impl<'a> Principal<'a> {
    fn parse(ctx: &'a Context, name: &CStr) -> Result<Self, Krb5Failure> {
        let mut principal = Self {
            ctx,
            raw: ptr::null_mut(),
        };
        // SAFETY: the context and string are valid; the new principal is written straight
        // into its owner.
        let code =
            unsafe { (ctx.lib.fns.krb5_parse_name)(ctx.raw, name.as_ptr(), &mut principal.raw) };
        ctx.check("krb5_parse_name", code)?;
        Ok(principal)
    }
}

impl Drop for Principal<'_> {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            // SAFETY: allocated by krb5_parse_name with this context, freed once.
            unsafe { (self.ctx.lib.fns.krb5_free_principal)(self.ctx.raw, self.raw) };
        }
    }
}

/// Options for obtaining initial credentials (`krb5_get_init_creds_opt`); freed on drop.
struct InitCredsOpt<'a> {
    ctx: &'a Context,
    raw: *mut krb5_get_init_creds_opt,
}

impl<'a> InitCredsOpt<'a> {
    /// Options for a short-lived, non-forwardable ticket for the password service only.
    fn for_password_change(ctx: &'a Context) -> Result<Self, Krb5Failure> {
        let fns = &ctx.lib.fns;
        let mut opts = Self {
            ctx,
            raw: ptr::null_mut(),
        };
        // SAFETY: the context is valid; the new options handle is written straight into its
        // owner.
        let code = unsafe { (fns.krb5_get_init_creds_opt_alloc)(ctx.raw, &mut opts.raw) };
        ctx.check("krb5_get_init_creds_opt_alloc", code)?;
        // SAFETY: `opts.raw` is a valid options handle.
        unsafe {
            (fns.krb5_get_init_creds_opt_set_tkt_life)(opts.raw, 5 * 60);
            (fns.krb5_get_init_creds_opt_set_renew_life)(opts.raw, 0);
            (fns.krb5_get_init_creds_opt_set_forwardable)(opts.raw, 0);
            (fns.krb5_get_init_creds_opt_set_proxiable)(opts.raw, 0);
        }
        Ok(opts)
    }
}

impl Drop for InitCredsOpt<'_> {
    fn drop(&mut self) {
        if !self.raw.is_null() {
            // SAFETY: allocated by krb5_get_init_creds_opt_alloc with this context, freed
            // once.
            unsafe { (self.ctx.lib.fns.krb5_get_init_creds_opt_free)(self.ctx.raw, self.raw) };
        }
    }
}

/// Initial credentials (`krb5_creds`), filled by the library; emptied on drop.
struct Creds<'a> {
    ctx: &'a Context,
    raw: krb5_creds,
}

impl<'a> Creds<'a> {
    /// A ticket for the password service (`kadmin/changepw`), obtained with `password`.
    fn for_password_change(
        ctx: &'a Context,
        client: &Principal<'_>,
        password: &CStr,
    ) -> Result<Self, Krb5Failure> {
        let opts = InitCredsOpt::for_password_change(ctx)?;
        let mut creds = Self {
            ctx,
            raw: krb5_creds([0; 256]),
        };
        // SAFETY: all pointers are valid for the call; `creds.raw` is large enough for MIT's
        // krb5_creds, and an all-zero one (as it stays on failure) is empty for
        // krb5_free_cred_contents, which its owner calls; no prompter is used.
        let code = unsafe {
            (ctx.lib.fns.krb5_get_init_creds_password)(
                ctx.raw,
                &mut creds.raw,
                client.raw,
                password.as_ptr(),
                ptr::null(),
                ptr::null_mut(),
                0,
                c"kadmin/changepw".as_ptr(),
                opts.raw,
            )
        };
        ctx.check("krb5_get_init_creds_password", code)?;
        Ok(creds)
    }
}

impl Drop for Creds<'_> {
    fn drop(&mut self) {
        // SAFETY: filled by krb5_get_init_creds_password (or all zero, which frees nothing)
        // with this context, and emptied once.
        unsafe { (self.ctx.lib.fns.krb5_free_cred_contents)(self.ctx.raw, &mut self.raw) };
    }
}

/// A `krb5_data` the library fills; its contents are freed on drop.
struct Data<'a> {
    ctx: &'a Context,
    raw: krb5_data,
}

impl<'a> Data<'a> {
    fn empty(ctx: &'a Context) -> Self {
        Self {
            ctx,
            raw: krb5_data {
                magic: 0,
                length: 0,
                data: ptr::null_mut(),
            },
        }
    }
}

impl Drop for Data<'_> {
    fn drop(&mut self) {
        // SAFETY: empty, or filled by the library with this context; emptied once.
        unsafe { (self.ctx.lib.fns.krb5_free_data_contents)(self.ctx.raw, &mut self.raw) };
    }
}

/// Changes `principal`'s password from `old` to `new` with the kpasswd protocol.
/// Both passwords are NUL-terminated by the caller.
pub(crate) fn change_password(principal: &CStr, old: &CStr, new: &CStr) -> Result<(), Krb5Failure> {
    let ctx = Context::new(krb5()?)?;
    let client = Principal::parse(&ctx, principal)?;
    let mut creds = Creds::for_password_change(&ctx, &client, old)?;
    let (mut code_string, mut result_string) = (Data::empty(&ctx), Data::empty(&ctx));
    let mut result_code: c_int = 0;
    // SAFETY: all pointers are valid for the call; the two krb5_data are their owners'.
    let code = unsafe {
        (ctx.lib.fns.krb5_change_password)(
            ctx.raw,
            &mut creds.raw,
            new.as_ptr(),
            &mut result_code,
            &mut code_string.raw,
            &mut result_string.raw,
        )
    };
    ctx.check("krb5_change_password", code)?;
    if result_code != 0 {
        return Err(Krb5Failure::Rejected {
            code: result_code,
            code_text: ctx.data_text(&code_string.raw, false),
            text: ctx.data_text(&result_string.raw, true),
        });
    }
    Ok(())
}
