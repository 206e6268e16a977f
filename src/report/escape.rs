//! Escaping of report text for XML and HTML.
//!
//! Scenario names, step text and failure messages come from feature files and
//! database contents: every piece of them goes through these functions before
//! it lands in markup.

/// True for the characters XML 1.0 allows in a document: tab, line feed,
/// carriage return, and everything from U+0020 except U+FFFE and U+FFFF
/// (Rust's `char` already excludes surrogates).
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= '\u{20}' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Text content of an XML element: `&`, `<`, `>` escaped, characters XML 1.0
/// forbids (control characters other than tab, line feed, carriage return)
/// removed.
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|&c| allowed_in_xml(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Value of an XML attribute in double quotes: as [`xml_text`], plus both
/// quotes, and tab/line feed/carriage return as character references so that
/// a parser keeps them (it would turn them into spaces otherwise).
pub fn xml_attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|&c| allowed_in_xml(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            _ => out.push(c),
        }
    }
    out
}

/// Text or attribute value in HTML: `&`, `<`, `>`, `"`, `'` escaped, and
/// control characters other than tab, line feed, carriage return removed.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().filter(|&c| allowed_in_xml(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_escapes_markup_and_strips_forbidden_characters() {
        assert_eq!(
            xml_text("a & b <c> \"d\" \u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{fffe}\u{ffff}e\tf\ng\rh"),
            "a &amp; b &lt;c&gt; \"d\" e\tf\ng\rh"
        );
        assert_eq!(xml_text("連結財務諸表 ✓ 😀"), "連結財務諸表 ✓ 😀");
    }

    #[test]
    fn xml_attr_escapes_quotes_and_keeps_line_breaks() {
        assert_eq!(
            xml_attr("x=\"1\" & y='2'\n<z>\t\u{7}"),
            "x=&quot;1&quot; &amp; y=&apos;2&apos;&#10;&lt;z&gt;&#9;"
        );
    }

    #[test]
    fn html_escapes_every_markup_character() {
        assert_eq!(
            html("<script>alert(\"x&y\")</script> 'q'\u{1b}[31m"),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; &#39;q&#39;[31m"
        );
    }
}
