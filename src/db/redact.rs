//! Database URLs as they may be shown: never with a password.

/// Returns `url` with any password replaced by `***`. Text that is not a URL is
/// returned without its user-info part, so nothing secret leaks either way.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}://***@{}", &url[..scheme_end], &url[at + 1..])
            }
            _ => url.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_appear() {
        let shown = redact_url("postgres://qa:s3cret@db.internal:5432/billing");
        assert_eq!(shown, "postgres://qa:***@db.internal:5432/billing");
        assert!(!redact_url("mysql://root:hunter2@127.0.0.1:3306").contains("hunter2"));
        assert_eq!(
            redact_url("mysql://root@127.0.0.1:3306/x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert!(!redact_url("not a url://u:pw@host").contains("pw@"));
    }
}
