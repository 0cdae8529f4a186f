//! Where to send someone after they sign in: only ever a path on this site.

/// Returns `next` if it is a local absolute path (no scheme, no host, no
/// protocol-relative `//` or `/\` trick, no control characters), else `None`.
pub fn safe_next_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 2048;
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_local_paths() {
        assert_eq!(safe_next_path("/services/abc?x=1"), Some("/services/abc?x=1"));
    }

    #[test]
    fn refuses_other_sites() {
        for bad in ["https://evil.example", "//evil.example", "/\\evil.example", "evil", "", "/a\nb", "/\t/evil"] {
            assert_eq!(safe_next_path(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn anything_accepted_is_a_path_on_this_site(s in "\\PC{0,40}") {
            if let Some(p) = safe_next_path(&s) {
                prop_assert!(p.starts_with('/'));
                prop_assert!(!p.starts_with("//"));
                prop_assert!(!p.contains('\\'));
            }
        }
    }
}
