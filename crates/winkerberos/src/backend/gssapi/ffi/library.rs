//! Opening the system GSSAPI library at run time and resolving its functions.
//!
//! The library is opened once, on first use, and never closed: contexts may be dropped on any
//! thread until the process exits, and their release functions must stay valid.

use std::env;
use std::sync::OnceLock;

use libloading::os::unix::{Library as RawLibrary, RTLD_LOCAL, RTLD_NOW};

use super::sys::*;

/// The environment variable naming the GSSAPI library to use, as a path or soname.
pub(crate) const LIBRARY_ENV: &str = "WINKERBEROS_GSSAPI_LIBRARY";

#[cfg(target_vendor = "apple")]
const CANDIDATES: &[&str] = &["/System/Library/Frameworks/GSS.framework/GSS"];
#[cfg(not(target_vendor = "apple"))]
const CANDIDATES: &[&str] = &["libgssapi_krb5.so.2", "libgssapi.so.3"];

const INSTALL_HINT: &str = "install the system Kerberos GSSAPI library (Debian/Ubuntu: \
    apt install libgssapi-krb5-2; RHEL/Fedora: dnf install krb5-libs; Alpine: apk add krb5-libs), \
    or set WINKERBEROS_GSSAPI_LIBRARY to the path of a GSSAPI library";

/// Declares `$table`, a struct with one field per C function named after it, and
/// `$table::resolve`, which looks each one up by that name in an opened library: a missing
/// required function fails the lookup (with its name), a missing optional one is `None`.
/// Each `$ty` must be the function's C signature, from the library's own header.
macro_rules! function_table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $table:ident;
        required { $($name:ident: $ty:ty,)* }
        optional { $($opt:ident: $opt_ty:ty,)* }
    ) => {
        $(#[$meta])*
        $vis struct $table {
            $($vis $name: $ty,)*
            $($vis $opt: Option<$opt_ty>,)*
        }

        impl $table {
            /// Resolves every function, failing on the first missing required one.
            fn resolve(
                lib: &libloading::os::unix::Library,
            ) -> Result<Self, &'static str> {
                Ok(Self {
                    $(
                        // SAFETY: the symbol is the C function of that name, and `$ty` is its
                        // signature as the library's header declares it (see the macro's doc).
                        $name: *unsafe { lib.get::<$ty>(stringify!($name)) }
                            .map_err(|_| stringify!($name))?,
                    )*
                    $(
                        // SAFETY: as above, for a function that may be absent.
                        $opt: unsafe { lib.get::<$opt_ty>(stringify!($opt)) }.ok().map(|s| *s),
                    )*
                })
            }
        }
    };
}
pub(super) use function_table;

function_table! {
    /// The resolved GSSAPI functions (RFC 2744 and the MIT/Heimdal extensions). Optional
    /// ones are `None` where the library lacks them.
    pub(crate) struct Functions;
    required {
        gss_import_name: gss_import_name_fn,
        gss_release_name: gss_release_name_fn,
        gss_display_name: gss_display_name_fn,
        gss_acquire_cred: gss_acquire_cred_fn,
        gss_inquire_cred: gss_inquire_cred_fn,
        gss_release_cred: gss_release_cred_fn,
        gss_init_sec_context: gss_init_sec_context_fn,
        gss_accept_sec_context: gss_accept_sec_context_fn,
        gss_delete_sec_context: gss_delete_sec_context_fn,
        gss_inquire_context: gss_inquire_context_fn,
        gss_wrap: gss_wrap_fn,
        gss_unwrap: gss_unwrap_fn,
        gss_release_buffer: gss_release_buffer_fn,
        gss_display_status: gss_display_status_fn,
    }
    optional {
        gss_acquire_cred_with_password: gss_acquire_cred_with_password_fn,
        gss_wrap_iov: gss_wrap_iov_fn,
        gss_wrap_iov_length: gss_wrap_iov_fn,
        gss_unwrap_iov: gss_unwrap_iov_fn,
        gss_store_cred_into: gss_store_cred_into_fn,
        gss_acquire_cred_from: gss_acquire_cred_from_fn,
        gss_krb5_ccache_name: gss_krb5_ccache_name_fn,
        gss_krb5_copy_ccache: gss_krb5_copy_ccache_fn,
    }
}

/// An opened GSSAPI library and its functions.
pub(crate) struct Library {
    /// Keeps the library mapped; never dropped, as the library lives in a static.
    _library: RawLibrary,
    /// Which library was opened, for messages.
    pub(crate) name: String,
    /// Whose implementation it is ("MIT", "Heimdal"), told by symbols only one exports.
    pub(crate) vendor: Option<&'static str>,
    pub(crate) fns: Functions,
}

/// Tells MIT's library from Heimdal's by a symbol only that one exports.
fn vendor(lib: &RawLibrary) -> Option<&'static str> {
    // SAFETY: the symbols are only looked up, never called or read; a data symbol's address
    // is as good as a function's for telling whether it exists.
    let has = |symbol: &str| unsafe { lib.get::<*const u8>(symbol.as_bytes()) }.is_ok();
    // Heimdal exports its OID descriptors as data; both export the krb5_gss_* extension.
    if has("__gss_c_cred_password_oid_desc") {
        Some("Heimdal")
    } else if has("krb5_gss_register_acceptor_identity") {
        Some("MIT")
    } else {
        None
    }
}

/// Why the library could not be used; kept so every caller gets the same answer.
#[derive(Clone, Debug)]
pub(crate) struct LoadError {
    pub(crate) message: String,
    pub(crate) hint: &'static str,
}

/// The process-wide GSSAPI library, opened on first use.
pub(crate) fn library() -> Result<&'static Library, &'static LoadError> {
    static LIBRARY: OnceLock<Result<Library, LoadError>> = OnceLock::new();
    LIBRARY.get_or_init(load).as_ref()
}

/// An error with the reasons it wraps: libloading's `Display` says only "dlopen failed" and
/// keeps the loader's own reason (`dlerror()`: file not found, wrong architecture, a missing
/// dependency) in `source()`.
pub(crate) fn with_reason(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(reason) = source {
        let reason = reason.to_string();
        if !text.contains(&reason) {
            text = format!("{text}: {reason}");
        }
        source = reason_source(source);
    }
    text
}

fn reason_source<'a>(
    err: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    err.and_then(std::error::Error::source)
}

fn load() -> Result<Library, LoadError> {
    let requested = env::var(LIBRARY_ENV).ok().filter(|v| !v.is_empty());
    let candidates: Vec<String> = match &requested {
        Some(name) => vec![name.clone()],
        None => CANDIDATES.iter().map(|s| (*s).to_owned()).collect(),
    };
    let mut failures = Vec::new();
    for name in &candidates {
        // SAFETY: opening the system GSSAPI library runs its initialisers, which are written
        // to be run by any process that links it; RTLD_LOCAL keeps its symbols private to us.
        match unsafe { RawLibrary::open(Some(name.as_str()), RTLD_NOW | RTLD_LOCAL) } {
            Ok(lib) => {
                return match Functions::resolve(&lib) {
                    Ok(fns) => Ok(Library {
                        vendor: if cfg!(target_vendor = "apple") {
                            Some("Apple (Heimdal)")
                        } else {
                            vendor(&lib)
                        },
                        _library: lib,
                        name: name.clone(),
                        fns,
                    }),
                    Err(missing) => Err(LoadError {
                        message: format!(
                            "{name} is not a usable GSSAPI library: it has no {missing}"
                        ),
                        hint: INSTALL_HINT,
                    }),
                };
            }
            Err(err) => failures.push(format!("{name}: {}", with_reason(&err))),
        }
    }
    let how = match requested {
        Some(_) => format!("the GSSAPI library named by {LIBRARY_ENV} could not be loaded"),
        None => "no GSSAPI library could be loaded".to_owned(),
    };
    Err(LoadError {
        message: format!("{how} ({})", failures.join("; ")),
        hint: INSTALL_HINT,
    })
}
