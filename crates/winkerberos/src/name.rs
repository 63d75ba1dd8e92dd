//! Service-name forms accepted for a target, and how each is imported.

/// How a target service name is handed to the mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameForm {
    /// `service@host` or a bare `service`: a host-based service name
    /// (`GSS_C_NT_HOSTBASED_SERVICE`); a bare service means the local host.
    HostBased,
    /// `service/host[@REALM]`: a Kerberos principal name (`GSS_KRB5_NT_PRINCIPAL_NAME`).
    Principal,
}

/// A target service name in the form the mechanism will import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TargetName {
    pub(crate) text: String,
    pub(crate) form: NameForm,
}

impl TargetName {
    /// Reads every service-name form that winkerberos, pykerberos or kerberos accepted:
    ///
    /// * `HTTP@host.example.com` (host-based, as pykerberos and kerberos import it);
    /// * `HTTP/host.example.com` and `HTTP/host.example.com@REALM` (a principal name, as
    ///   pykerberos and winkerberos use it);
    /// * `HTTP@host.example.com@REALM` (pymongo's form with a service realm, which only
    ///   winkerberos understood): the first `@` becomes `/`, giving a principal name;
    /// * `HTTP` alone: the service on the local host.
    pub(crate) fn parse(service: &str) -> Self {
        if service.contains('/') {
            return Self {
                text: service.to_owned(),
                form: NameForm::Principal,
            };
        }
        match service.split_once('@') {
            Some((svc, rest)) if rest.contains('@') => Self {
                text: format!("{svc}/{rest}"),
                form: NameForm::Principal,
            },
            _ => Self {
                text: service.to_owned(),
                form: NameForm::HostBased,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str) -> (String, NameForm) {
        let t = TargetName::parse(s);
        (t.text, t.form)
    }

    #[test]
    fn every_service_form_of_the_originals() {
        use NameForm::*;
        assert_eq!(
            parsed("HTTP@web.example.com"),
            ("HTTP@web.example.com".into(), HostBased)
        );
        assert_eq!(
            parsed("HTTP/web.example.com"),
            ("HTTP/web.example.com".into(), Principal)
        );
        assert_eq!(
            parsed("HTTP/web@EX.COM"),
            ("HTTP/web@EX.COM".into(), Principal)
        );
        assert_eq!(
            parsed("mongodb@db@EX.COM"),
            ("mongodb/db@EX.COM".into(), Principal)
        );
        assert_eq!(parsed("HTTP"), ("HTTP".into(), HostBased));
    }
}
