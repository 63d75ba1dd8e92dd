//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`; not part of the API).
//!
//! The parsers worth fuzzing are private; these thin wrappers reach them without making them
//! public. Nothing here is covered by semver: the feature exists for `fuzz/` only.

/// [`TargetName::parse`](crate::name::TargetName): a service name as the mechanism will import
/// it: `(text, is_principal_form, spn)`.
pub fn parse_service_name(service: &str) -> (String, bool, String) {
    let target = crate::name::TargetName::parse(service);
    let principal = target.form == crate::name::NameForm::Principal;
    let spn = crate::backend::sspi_wire::spn(&target);
    (target.text, principal, spn)
}

/// The principals of a keytab file's contents, or why they cannot be read.
pub fn keytab_principals_from_bytes(bytes: &[u8]) -> Result<Vec<String>, &'static str> {
    crate::keytab::parse_principals(bytes)
}

/// The checks every initiator credential passes before the mechanism sees it.
pub fn check_credential(credential: &crate::Credential) -> crate::Result<()> {
    credential.check()
}
