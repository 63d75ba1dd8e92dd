//! The few libkrb5 calls GSSAPI has no equivalent for: changing a password over the kpasswd
//! protocol. MIT's `libkrb5.so.3` is opened at run time, like the GSSAPI library; its struct
//! layouts (`krb5_data`, `krb5_creds`) are MIT's, so Heimdal's `libkrb5.so.26` is not used.

#![allow(non_camel_case_types)]

use std::ffi::{CStr, c_char, c_int, c_uint, c_void};
use std::ptr;
use std::sync::OnceLock;

use libloading::os::unix::{Library as RawLibrary, RTLD_LOCAL, RTLD_NOW};

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

struct Krb5 {
    _library: RawLibrary,
    init_context: InitContextFn,
    free_context: FreeContextFn,
    parse_name: ParseNameFn,
    free_principal: FreePrincipalFn,
    opt_alloc: OptAllocFn,
    opt_free: OptFreeFn,
    opt_set_tkt_life: OptSetDeltatFn,
    opt_set_renew_life: OptSetDeltatFn,
    opt_set_forwardable: OptSetFlagFn,
    opt_set_proxiable: OptSetFlagFn,
    get_init_creds_password: GetInitCredsPasswordFn,
    change_password: ChangePasswordFn,
    free_cred_contents: FreeCredContentsFn,
    free_data_contents: FreeDataContentsFn,
    get_error_message: GetErrorMessageFn,
    free_error_message: FreeErrorMessageFn,
    chpw_message: Option<(ChpwMessageFn, FreeStringFn)>,
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
    macro_rules! sym {
        ($name:literal) => {
            // SAFETY: the symbol is the MIT krb5 function of that name, and the field's type
            // is its C signature from MIT's krb5.h.
            *unsafe { lib.get($name) }.map_err(|_| format!("{name} has no {}", $name))?
        };
    }
    // SAFETY: as above, for optional functions (MIT >= 1.11).
    let chpw_message = unsafe {
        (
            lib.get::<ChpwMessageFn>("krb5_chpw_message"),
            lib.get::<FreeStringFn>("krb5_free_string"),
        )
    };
    let chpw_message = match chpw_message {
        (Ok(message), Ok(free)) => Some((*message, *free)),
        _ => None,
    };
    Ok(Krb5 {
        init_context: sym!("krb5_init_context"),
        free_context: sym!("krb5_free_context"),
        parse_name: sym!("krb5_parse_name"),
        free_principal: sym!("krb5_free_principal"),
        opt_alloc: sym!("krb5_get_init_creds_opt_alloc"),
        opt_free: sym!("krb5_get_init_creds_opt_free"),
        opt_set_tkt_life: sym!("krb5_get_init_creds_opt_set_tkt_life"),
        opt_set_renew_life: sym!("krb5_get_init_creds_opt_set_renew_life"),
        opt_set_forwardable: sym!("krb5_get_init_creds_opt_set_forwardable"),
        opt_set_proxiable: sym!("krb5_get_init_creds_opt_set_proxiable"),
        get_init_creds_password: sym!("krb5_get_init_creds_password"),
        change_password: sym!("krb5_change_password"),
        free_cred_contents: sym!("krb5_free_cred_contents"),
        free_data_contents: sym!("krb5_free_data_contents"),
        get_error_message: sym!("krb5_get_error_message"),
        free_error_message: sym!("krb5_free_error_message"),
        chpw_message,
        _library: lib,
    })
}

/// A krb5 library context; freed on drop.
struct Context {
    lib: &'static Krb5,
    raw: krb5_context,
}

impl Context {
    fn new(lib: &'static Krb5) -> Result<Self, Krb5Failure> {
        let mut raw = ptr::null_mut();
        // SAFETY: `raw` receives a new context that `Context` owns from here on.
        let code = unsafe { (lib.init_context)(&mut raw) };
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

    /// The failure of `call` with `code`, with the library's message for it (read now).
    fn failure(&self, call: &'static str, code: krb5_error_code) -> Krb5Failure {
        // SAFETY: the context is valid; the returned string is freed with the matching call.
        let message = unsafe {
            let text = (self.lib.get_error_message)(self.raw, code);
            let message = if text.is_null() {
                String::new()
            } else {
                CStr::from_ptr(text).to_string_lossy().into_owned()
            };
            (self.lib.free_error_message)(self.raw, text);
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
        if let (true, Some((message, free))) = (chpw, self.lib.chpw_message) {
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
        // SAFETY: the context is owned by us and freed once.
        unsafe { (self.lib.free_context)(self.raw) };
    }
}

/// Changes `principal`'s password from `old` to `new` with the kpasswd protocol.
/// Both passwords are NUL-terminated by the caller.
pub(crate) fn change_password(principal: &CStr, old: &CStr, new: &CStr) -> Result<(), Krb5Failure> {
    let ctx = Context::new(krb5()?)?;
    let lib = ctx.lib;
    let mut client: krb5_principal = ptr::null_mut();
    // SAFETY: the context and string are valid; `client` is freed below on every path.
    let code = unsafe { (lib.parse_name)(ctx.raw, principal.as_ptr(), &mut client) };
    if code != 0 {
        return Err(ctx.failure("krb5_parse_name", code));
    }
    let result = change_with_client(&ctx, client, old, new);
    // SAFETY: `client` was allocated by krb5_parse_name and is freed once.
    unsafe { (lib.free_principal)(ctx.raw, client) };
    result
}

fn change_with_client(
    ctx: &Context,
    client: krb5_principal,
    old: &CStr,
    new: &CStr,
) -> Result<(), Krb5Failure> {
    let lib = ctx.lib;
    let mut opts = ptr::null_mut();
    // SAFETY: the context is valid; `opts` is freed below.
    let code = unsafe { (lib.opt_alloc)(ctx.raw, &mut opts) };
    if code != 0 {
        return Err(ctx.failure("krb5_get_init_creds_opt_alloc", code));
    }
    // A short-lived, non-forwardable ticket for the password service only.
    // SAFETY: `opts` is a valid options handle.
    unsafe {
        (lib.opt_set_tkt_life)(opts, 5 * 60);
        (lib.opt_set_renew_life)(opts, 0);
        (lib.opt_set_forwardable)(opts, 0);
        (lib.opt_set_proxiable)(opts, 0);
    }
    let mut creds = krb5_creds([0; 256]);
    // SAFETY: all pointers are valid for the call; `creds` is large enough for MIT's
    // krb5_creds and is emptied with krb5_free_cred_contents below; no prompter is used.
    let code = unsafe {
        (lib.get_init_creds_password)(
            ctx.raw,
            &mut creds,
            client,
            old.as_ptr(),
            ptr::null(),
            ptr::null_mut(),
            0,
            c"kadmin/changepw".as_ptr(),
            opts,
        )
    };
    // SAFETY: `opts` was allocated above and is freed once.
    unsafe { (lib.opt_free)(ctx.raw, opts) };
    if code != 0 {
        return Err(ctx.failure("krb5_get_init_creds_password", code));
    }
    let result = send_change(ctx, &mut creds, new);
    // SAFETY: `creds` was filled by krb5_get_init_creds_password and is emptied once.
    unsafe { (lib.free_cred_contents)(ctx.raw, &mut creds) };
    result
}

fn send_change(ctx: &Context, creds: &mut krb5_creds, new: &CStr) -> Result<(), Krb5Failure> {
    let lib = ctx.lib;
    let empty = || krb5_data {
        magic: 0,
        length: 0,
        data: ptr::null_mut(),
    };
    let (mut code_string, mut result_string) = (empty(), empty());
    let mut result_code: c_int = 0;
    // SAFETY: all pointers are valid for the call; the two krb5_data are emptied below.
    let code = unsafe {
        (lib.change_password)(
            ctx.raw,
            creds,
            new.as_ptr(),
            &mut result_code,
            &mut code_string,
            &mut result_string,
        )
    };
    let outcome = if code != 0 {
        Err(ctx.failure("krb5_change_password", code))
    } else if result_code != 0 {
        Err(Krb5Failure::Rejected {
            code: result_code,
            code_text: ctx.data_text(&code_string, false),
            text: ctx.data_text(&result_string, true),
        })
    } else {
        Ok(())
    };
    // SAFETY: both were filled (or left empty) by krb5_change_password and are emptied once.
    unsafe {
        (lib.free_data_contents)(ctx.raw, &mut code_string);
        (lib.free_data_contents)(ctx.raw, &mut result_string);
    }
    outcome
}
