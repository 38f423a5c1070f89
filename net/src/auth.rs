//! HTTP Basic authentication (RFC 7617), for both ends: the push client sends the
//! credentials, the exposer checks them on every request.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

/// Reads a credentials token whether or not its `=` padding was kept.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A user name and password for HTTP Basic authentication.
///
/// `Debug` shows the user name only.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    username: String,
    password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth").field("username", &self.username).field("password", &"<hidden>").finish()
    }
}

impl BasicAuth {
    /// Credentials from a user name and a password, both taken as UTF-8 text.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: password.into() }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The `Authorization` header value: `Basic ` and the base64 of `username:password`,
    /// as prometheus_client's `basic_auth_handler` writes it.
    ///
    /// ```
    /// let auth = fastprom_net::BasicAuth::new("Aladdin", "open sesame");
    /// assert_eq!(auth.header_value(), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    /// ```
    pub fn header_value(&self) -> String {
        format!("Basic {}", STANDARD.encode(self.pair()))
    }

    fn pair(&self) -> Vec<u8> {
        let mut pair = Vec::with_capacity(self.username.len() + 1 + self.password.len());
        pair.extend_from_slice(self.username.as_bytes());
        pair.push(b':');
        pair.extend_from_slice(self.password.as_bytes());
        pair
    }

    /// Whether an `Authorization` header value carries exactly these credentials: the
    /// scheme `Basic` in any letter case, then the base64 of `username:password` (padding
    /// optional). The decoded bytes are compared in time that does not depend on where
    /// they first differ.
    pub fn accepts(&self, header: &[u8]) -> bool {
        let header = header.trim_ascii();
        let Some(split) = header.iter().position(|b| *b == b' ' || *b == b'\t') else { return false };
        let (scheme, token) = header.split_at(split);
        if !scheme.eq_ignore_ascii_case(b"basic") {
            return false;
        }
        let Ok(given) = LENIENT.decode(token.trim_ascii()) else { return false };
        let want = self.pair();
        given.len() == want.len() && given.iter().zip(&want).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let auth = BasicAuth::new("user", "pa:ss wörd");
        let header = auth.header_value();
        assert!(auth.accepts(header.as_bytes()));
        let token = &header["Basic ".len()..];
        assert!(auth.accepts(format!("  bAsIc \t {token}  ").as_bytes()));
        assert!(!auth.accepts(format!("Basic {}", token.to_ascii_lowercase()).as_bytes()));
    }

    #[test]
    fn padding_is_optional() {
        let auth = BasicAuth::new("a", "b");
        assert_eq!(auth.header_value(), "Basic YTpi");
        let auth = BasicAuth::new("ab", "c");
        assert_eq!(auth.header_value(), "Basic YWI6Yw==");
        assert!(auth.accepts(b"Basic YWI6Yw"));
    }

    #[test]
    fn wrong_credentials_are_refused() {
        let auth = BasicAuth::new("user", "secret");
        for bad in [
            &b""[..],
            b"Basic",
            b"Basic ",
            b"Bearer dXNlcjpzZWNyZXQ=",
            b"Basic dXNlcjpzZWNyZXQx",
            b"Basic dXNlcjpzZWNyZX",
            b"Basic !!!!",
            b"BasicdXNlcjpzZWNyZXQ=",
        ] {
            assert!(!auth.accepts(bad), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(auth.accepts(b"Basic dXNlcjpzZWNyZXQ="));
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", BasicAuth::new("user", "secret"));
        assert!(shown.contains("user") && !shown.contains("secret"), "{shown}");
    }
}
