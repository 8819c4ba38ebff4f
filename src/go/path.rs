//! Go's `path` package as Ignition's path rules use it (`IsAbs`, `Clean`,
//! `Join`, `Ext`): slash paths, purely lexical.

/// Go's `path.IsAbs`.
pub(crate) fn is_abs(path: &str) -> bool {
    path.starts_with('/')
}

/// Go's `path.Clean`: the shortest lexically equivalent slash path.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = is_abs(path);
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `path.Join` of two elements.
pub(crate) fn join(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(second),
        (false, true) => clean(first),
        (false, false) => clean(&format!("{first}/{second}")),
    }
}

/// Go's `path.Ext`: the suffix from the last `.` of the final element.
pub(crate) fn ext(path: &str) -> &str {
    for (index, byte) in path.bytes().enumerate().rev() {
        match byte {
            b'/' => return "",
            b'.' => return path.get(index..).unwrap_or(""),
            _ => {}
        }
    }
    ""
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("/etc/", "/etc"),
            ("/etc//x", "/etc/x"),
            ("/etc/./x", "/etc/x"),
            ("/etc/../x", "/x"),
            ("/..", "/"),
            ("a/../..", ".."),
            ("../a", "../a"),
            ("a/b/..", "a"),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
        assert_eq!(join("/a/b", "../c"), "/a/c");
        assert_eq!(join("", "x"), "x");
    }

    #[test]
    fn ext_matches_go() {
        assert_eq!(ext("foo.service"), ".service");
        assert_eq!(ext("foo"), "");
        assert_eq!(ext("a.b/c"), "");
        assert_eq!(ext("x.tar.gz"), ".gz");
    }
}
