//! The request target as prometheus_client's WSGI app reads it: the `name[]` values of
//! the query string (its `parse_qs`) and the percent-decoded path (its `PATH_INFO`).

/// The `name[]` values of a query string in order, or `None` when there is none, read as
/// Python's `urllib.parse.parse_qs` reads them with its defaults: pairs split on `&`, a
/// pair without `=` or with an empty value skipped, `+` read as a space, then `%XX`
/// escapes decoded as UTF-8 with invalid sequences replaced by U+FFFD. The name is decoded
/// the same way, so `name%5B%5D=a` counts too.
pub(crate) fn name_filter(query: Option<&str>) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for pair in query?.split('&') {
        let Some((key, value)) = pair.split_once('=') else { continue };
        if value.is_empty() {
            continue;
        }
        if unquote_plus(key) == "name[]" {
            names.push(unquote_plus(value));
        }
    }
    (!names.is_empty()).then_some(names)
}

/// `urllib.parse.unquote(s.replace('+', ' '))`, UTF-8 with replacement.
fn unquote_plus(s: &str) -> String {
    let bytes = percent_decode(s.as_bytes(), true);
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Whether a request path is `/favicon.ico` once its `%XX` escapes are decoded, as
/// `PATH_INFO` is (wsgiref decodes it as Latin-1, so every escape is one byte).
pub(crate) fn is_favicon(path: &str) -> bool {
    percent_decode(path.as_bytes(), false) == b"/favicon.ico"
}

/// Decodes every `%` followed by two hex digits into its byte, leaving any other `%` as
/// it is, and with `plus` every `+` into a space.
fn percent_decode(s: &[u8], plus: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if let Some([b'%', hi, lo]) = s.get(i..i + 3) {
            if let (Some(hi), Some(lo)) = (hex(*hi), hex(*lo)) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(if plus && s[i] == b'+' { b' ' } else { s[i] });
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(q: &str) -> Option<Vec<String>> {
        name_filter(Some(q))
    }

    #[test]
    fn name_values_in_order() {
        assert_eq!(names("name[]=a_total&x=1&name[]=b"), Some(vec!["a_total".into(), "b".into()]));
        assert_eq!(names("name%5B%5D=a&name%5b%5d=b"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(names("name[]=a+b&name[]=c%20d&name[]=%C3%A9"), Some(vec!["a b".into(), "c d".into(), "é".into()]));
    }

    #[test]
    fn blank_and_bare_pairs_are_skipped() {
        assert_eq!(name_filter(None), None);
        assert_eq!(names(""), None);
        assert_eq!(names("name[]="), None);
        assert_eq!(names("name[]"), None);
        assert_eq!(names("&&name[]=&name[]"), None);
        assert_eq!(names("name[]=&name[]=x"), Some(vec!["x".into()]));
        assert_eq!(names("name[]=%20"), Some(vec![" ".into()]));
        assert_eq!(names("name[]=a=b"), Some(vec!["a=b".into()]));
        assert_eq!(names("name []=a&name=b&names[]=c"), None);
    }

    #[test]
    fn bad_escapes_stay_and_bad_utf8_is_replaced() {
        assert_eq!(names("name[]=%zz%4"), Some(vec!["%zz%4".into()]));
        assert_eq!(names("name[]=%ff"), Some(vec!["\u{fffd}".into()]));
        assert_eq!(names("name[]=a%"), Some(vec!["a%".into()]));
    }

    #[test]
    fn favicon_path() {
        assert!(is_favicon("/favicon.ico"));
        assert!(is_favicon("/favicon%2Eico"));
        assert!(is_favicon("/%66avicon.ico"));
        assert!(!is_favicon("/favicon.ico/"));
        assert!(!is_favicon("/metrics"));
        assert!(!is_favicon("/favicon+ico"));
    }
}
