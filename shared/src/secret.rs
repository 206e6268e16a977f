//! The secrets a process knows — the passwords of the database URLs it was given
//! or hands out, and those it made — and [`mask`], which hides them in any text
//! before it is shown: a program's captured output, a log line.
//!
//! A secret is registered where it is received or made ([`register`],
//! [`register_url`]) and stays registered for the life of the process: text
//! written later may still quote it. [`redact_url`] hides the password of one URL
//! that is known to be one; [`mask`] hides every registered secret wherever it
//! stands in free text, and the password of every URL-looking word in it.

use std::io::Write;
use std::sync::RwLock;

use crate::db::{redact_url, url_passwords};

/// What a secret is replaced by (as [`redact_url`] writes it).
pub const MASK: &str = "***";

/// The fewest characters a secret must have to be masked wherever it stands.
///
/// Masking a very short value everywhere would shred ordinary text (a password
/// `pw` or `1` is in countless words and numbers), so a secret of 1 to 3
/// characters is not registered as free text: it is still hidden where it stands
/// as a URL's password or in a password parameter (`password=pw`), which [`mask`]
/// redacts in every URL-looking word, but not on its own. Such passwords are
/// guessable anyway; a server reached by URL should have a longer one.
pub const SHORTEST_SECRET: usize = 4;

/// Every registered secret in every form it may be written in, longest first (so
/// that a secret containing another is masked whole).
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers `secret` (a password, as made or as written in a URL): from now on
/// [`mask`] replaces it, and its percent-decoded and percent-encoded forms, by
/// [`MASK`]. Values shorter than [`SHORTEST_SECRET`] characters are not
/// registered (see there).
pub fn register(secret: &str) {
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for form in forms(secret) {
        if !secrets.contains(&form) {
            secrets.push(form);
        }
    }
    secrets.sort_by_key(|form| std::cmp::Reverse(form.len()));
}

/// The forms `secret` may be written in, as [`register`] registers them: as
/// given, percent-decoded, and percent-encoded the ways URLs encode it (a URL's
/// user info, a component, a form; upper- and lower-case hexadecimal); only those
/// of at least [`SHORTEST_SECRET`] characters, without repeats.
pub fn forms(secret: &str) -> Vec<String> {
    let decoded = percent_decode(secret);
    let mut all = vec![secret.to_string()];
    for plain in [Some(secret), decoded.as_deref()].into_iter().flatten() {
        all.push(plain.to_string());
        for upper in [true, false] {
            all.push(percent_encode(plain, is_userinfo_safe, upper, false));
            all.push(percent_encode(plain, is_unreserved, upper, false));
            all.push(percent_encode(plain, is_unreserved, upper, true));
        }
    }
    let mut forms: Vec<String> = Vec::new();
    for form in all {
        if form.chars().count() >= SHORTEST_SECRET && !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// Registers every password `url` holds (its user info's, and every password
/// parameter's such as `password` or `sslpassword`): see [`register`].
pub fn register_url(url: &str) {
    for password in url_passwords(url) {
        register(&password);
    }
}

/// `text` as it may be shown: every registered secret (in every form
/// [`register`] names) replaced by [`MASK`], then the password of every
/// URL-looking word (`scheme://...`, up to white space or a quote) hidden as
/// [`redact_url`] hides it.
pub fn mask(text: &str) -> String {
    let mut masked = text.to_string();
    {
        let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
        for secret in secrets.iter() {
            if masked.contains(secret.as_str()) {
                masked = masked.replace(secret.as_str(), MASK);
            }
        }
    }
    if masked.contains("://") {
        masked = redact_urls(&masked);
    }
    masked
}

/// `text` with every URL-looking word passed through [`redact_url`].
fn redact_urls(text: &str) -> String {
    let is_scheme = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.');
    let ends_url =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`');
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let colon = from + found;
        let mut start = colon;
        while start > copied && is_scheme(bytes[start - 1]) {
            start -= 1;
        }
        let end = text[colon + 3..]
            .find(ends_url)
            .map_or(text.len(), |i| colon + 3 + i);
        if start < colon {
            out.push_str(&text[copied..start]);
            out.push_str(&redact_url(&text[start..end]));
            copied = end;
        }
        from = end.max(colon + 3);
    }
    out.push_str(&text[copied..]);
    out
}

/// A writer that [`mask`]s what goes through it, one `write` at a time (a log
/// line is written in one piece), before the inner writer gets it.
#[derive(Debug)]
pub struct MaskingWriter<W>(pub W);

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let masked = mask(&String::from_utf8_lossy(buf));
        self.0.write_all(masked.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `text` with its `%XX` escapes decoded; `None` when it has none or they do not
/// decode to UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    String::from_utf8(crate::db::percent_decoded_bytes(text))
        .ok()
        .filter(|d| d != text)
}

/// Whether a URL's user info keeps `b` as it is (the `url` crate's set, which
/// builds the URLs of the containers Kensho starts).
fn is_userinfo_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,".contains(&b)
}

/// Whether `b` is unreserved in a URL (RFC 3986): never percent-encoded.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// `text` percent-encoded: every byte that `keep` does not keep as `%XX` (in
/// upper- or lower-case hexadecimal), and a space as `+` when `plus`.
fn percent_encode(text: &str, keep: fn(u8) -> bool, upper: bool, plus: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if keep(b) {
            out.push(b as char);
        } else if plus && b == b' ' {
            out.push('+');
        } else if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test registers secrets of its own: the registry is the process's.

    #[test]
    fn registered_secrets_are_masked_wherever_they_stand() {
        register("Zq7-shared-secret");
        assert_eq!(
            mask("export PGPASSWORD=Zq7-shared-secret; echo Zq7-shared-secret!"),
            "export PGPASSWORD=***; echo ***!"
        );
        assert_eq!(mask("nothing secret here"), "nothing secret here");
    }

    #[test]
    fn secrets_are_masked_decoded_and_percent_encoded() {
        // Registered as a URL writes it…
        register_url("postgres://qa:p%40ss-Yw8%2Fx@db:5432/ledger?sslpassword=k%3Dey-Yw8");
        let shown = mask("p@ss-Yw8/x and p%40ss-Yw8%2Fx, k=ey-Yw8 and k%3Dey-Yw8");
        assert_eq!(shown, "*** and ***, *** and ***");
        // …and as made, then written into a URL.
        register("h0w:now/Yw9 cow");
        let shown = mask("h0w%3Anow%2FYw9%20cow h0w%3anow%2fYw9%20cow h0w%3Anow%2FYw9+cow");
        assert_eq!(shown, "*** *** ***");
    }

    #[test]
    fn short_secrets_are_masked_only_as_passwords_of_urls() {
        register("x9");
        assert_eq!(mask("x9 marks 1x9"), "x9 marks 1x9");
        assert_eq!(
            mask("url: mysql://root:x9@127.0.0.1:3306/db?password=x9 ok"),
            "url: mysql://root:***@127.0.0.1:3306/db?password=*** ok"
        );
    }

    #[test]
    fn urls_in_free_text_lose_their_passwords() {
        assert_eq!(
            mask("DATABASE_URL=\"postgres://u:Unregistered1@h/db\"\nnext sqlite://t/x.db"),
            "DATABASE_URL=\"postgres://u:***@h/db\"\nnext sqlite://t/x.db"
        );
        assert_eq!(mask("a :// b"), "a :// b");
        assert_eq!(
            mask("請求 mysql://u@h/db?pwd=Unreg2 終"),
            "請求 mysql://u@h/db?pwd=*** 終"
        );
    }

    #[test]
    fn the_masking_writer_masks_each_write() {
        register("Wr1ter-secret");
        let mut writer = MaskingWriter(Vec::new());
        writer
            .write_all(b"WARN key=sslpassword value=Wr1ter-secret\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(writer.0).unwrap(),
            "WARN key=sslpassword value=***\n"
        );
    }

    #[test]
    fn url_passwords_are_found_where_redaction_hides_them() {
        assert_eq!(
            url_passwords("postgres://u:s3cret@h/db?sslmode=x&sslpassword=k3y#frag"),
            ["s3cret", "k3y#frag", "k3y"]
        );
        assert!(url_passwords("postgres://u@h/db").is_empty());
        assert_eq!(url_passwords("host=h password=pw"), ["pw"]);
    }
}
