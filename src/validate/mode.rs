//! Butane's "mode written in decimal" heuristic (`base/util/file.go`).

/// True when `mode` looks like an octal mode written in decimal (`644`
/// instead of `0644`): its decimal digits are all octal digits, the value
/// itself is not a typical mode, and the digits read as octal are.
/// `directory` selects the directory rules.
pub fn mode_looks_decimal(mode: i64, directory: bool) -> bool {
    match decimal_digits_as_octal(mode) {
        Some(corrected) => {
            !is_typical_mode(mode, directory) && is_typical_mode(corrected, directory)
        }
        None => false,
    }
}

/// Reads the (at most four) decimal digits of `mode` as octal digits.
fn decimal_digits_as_octal(mode: i64) -> Option<i64> {
    if !(0..=7777).contains(&mode) {
        return None;
    }
    let mut octal = 0;
    for divisor in [1000, 100, 10, 1] {
        let digit = (mode / divisor) % 10;
        if digit > 7 {
            return None;
        }
        octal = (octal << 3) | digit;
    }
    Some(octal)
}

/// Whether `mode` is an unsurprising permission set.
fn is_typical_mode(mode: i64, directory: bool) -> bool {
    if mode == 0 {
        // Root ignores mode bits, so no permissions is reasonable.
        return true;
    }
    let (mut any_read, mut any_write, mut any_exec) = (false, false, false);
    // Other, then group, then owner: each must include the bits of the
    // less specific classes before it.
    for shift in [0, 3, 6] {
        let class = (mode >> shift) & 0o7;
        let (read, write, exec) = (class & 4 != 0, class & 2 != 0, class & 1 != 0);
        if (any_read && !read) || (any_write && !write) || (any_exec && !exec) {
            return false;
        }
        // Executable here while a less specific class can read but not
        // execute (rwxr-----).
        if exec && any_read && !any_exec {
            return false;
        }
        // -w- and --x are unusual.
        if (write || exec) && !read {
            return false;
        }
        any_read |= read;
        any_write |= write;
        any_exec |= exec;
    }
    if !any_read {
        return false;
    }
    if directory {
        any_exec && mode & 0o4000 == 0 && (mode & 0o3000 == 0 || any_write)
    } else {
        let set_id_ok = mode & 0o6000 == 0 || (any_exec && mode & 0o2 == 0);
        set_id_ok && mode & 0o1000 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn butane_examples_for_files() {
        for mode in [644, 600, 755, 640, 444] {
            assert!(mode_looks_decimal(mode, false), "{mode}");
        }
        for mode in [420, 493, 0o644, 0, 7777, 8000, -1, 0o755] {
            assert!(!mode_looks_decimal(mode, false), "{mode}");
        }
    }

    #[test]
    fn butane_examples_for_directories() {
        for mode in [755, 700, 775, 1777] {
            assert!(mode_looks_decimal(mode, true), "{mode}");
        }
        for mode in [644, 420, 493, 0o755, 0o1777] {
            assert!(!mode_looks_decimal(mode, true), "{mode}");
        }
    }
}
