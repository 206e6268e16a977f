//! Database URLs as they may be shown: never with a password (in the user info or
//! in a query parameter such as `password` or `sslpassword`). One implementation,
//! in the shared layer, for the harness and for the services' programs.

pub use kensho_shared::db::redact_url;

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_appear() {
        let shown = redact_url("postgres://qa:s3cret@db.internal:5432/ledger");
        assert_eq!(shown, "postgres://qa:***@db.internal:5432/ledger");
        assert!(!redact_url("mysql://root:hunter2@127.0.0.1:3306").contains("hunter2"));
        assert_eq!(
            redact_url("mysql://root@127.0.0.1:3306/x"),
            "mysql://root@127.0.0.1:3306/x"
        );
        assert!(!redact_url("not a url://u:pw@host").contains("pw@"));
        assert!(!redact_url("postgres://u@h/db?sslpassword=x1&password=x2").contains("x"));
    }
}
