//! The built `kindling` binary, run with the age identity chosen explicitly
//! per command: the caller's environment never decides what decrypts.

use std::ffi::OsStr;
use std::process::{Command, Output, Stdio};

use super::paths;

/// The variable `kindling` reads an identity from when `--identity` is not
/// given.
pub const IDENTITY_ENV: &str = "KINDLING_AGE_IDENTITY";

/// Which age identity a command gets.
pub enum Identity<'a> {
    /// The example fleet's (`tests/fixtures/example-identity.txt`).
    Example,
    /// None: the variable is removed.
    None,
    /// The variable set to this value (a path, or what a test feeds it).
    Env(&'a OsStr),
}

/// `kindling` with the example identity.
pub fn kindling() -> Command {
    kindling_with(Identity::Example)
}

/// Names another binary to run instead of the one cargo built, such as an
/// older commit's build, to see which tests fail on it (tests/README.md).
pub const BINARY_ENV: &str = "KINDLING_TEST_BINARY";

/// The binary under test: [`BINARY_ENV`] if set, else cargo's build.
pub fn binary() -> std::path::PathBuf {
    std::env::var_os(BINARY_ENV).map_or_else(
        || std::path::PathBuf::from(env!("CARGO_BIN_EXE_kindling")),
        std::path::PathBuf::from,
    )
}

/// `kindling` with `identity` (through `KINDLING_AGE_IDENTITY`, so it holds
/// for every subcommand; `--identity` on the command line still wins).
pub fn kindling_with(identity: Identity<'_>) -> Command {
    let mut command = Command::new(binary());
    match identity {
        Identity::Example => command.env(IDENTITY_ENV, paths::identity_file()),
        Identity::None => command.env_remove(IDENTITY_ENV),
        Identity::Env(value) => command.env(IDENTITY_ENV, value),
    };
    command
}

/// Runs `command` with `input` on its stdin, to completion.
pub fn output_with_stdin(command: &mut Command, input: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("finishes")
}

/// What one run printed, decoded.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `command` to completion; a panic of the binary fails the test.
    pub fn of(command: &mut Command) -> Run {
        Run::from(command.output().expect("kindling runs"))
    }

    /// Exit code and stderr, for snapshots.
    pub fn report(&self) -> String {
        format!("exit: {:?}\n{}", self.code, self.stderr)
    }

    /// How many findings of this severity the human report has.
    pub fn count(&self, severity: &str) -> usize {
        self.stderr
            .lines()
            .filter(|line| {
                line.strip_prefix(severity)
                    .is_some_and(|rest| rest.starts_with(':') || rest.starts_with('['))
                    || line.contains(&format!(": {severity}: "))
            })
            .count()
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{stderr}");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        }
    }
}
