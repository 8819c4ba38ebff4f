# kindling: the compiler and its example fleet. `just` lists recipes.

default:
    @just --list

# The example fleet's throwaway identity (a real fleet never commits one)
identity := "tests/fixtures/example-identity.txt"

# Compile every host of the example fleet into build/
build *hosts:
    cargo run --release -- build --identity {{identity}} {{hosts}}

# Compile and validate everything, failing on warnings; writes nothing
check:
    cargo run --release -- check --strict --identity {{identity}}

# What a host gets, file by file
render host:
    cargo run --release -- render --identity {{identity}} {{host}}

# Unit, integration and end-to-end tests (e2e tests skip without their tools)
test:
    cargo test

# Distribution binary: static, position-dependent (Linux/glibc), with mimalloc, in target/<host triple>/dist/
dist:
    RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" cargo build --profile dist --target "$(rustc --print host-tuple)"

# Benchmarks: Butane per-file time (release and dist builds) and 64 MiB throughput, fleet of 1000 hosts
bench: dist
    cargo bench --bench butane
    cargo bench --bench fleet
    cargo bench --bench encode

# Boot a host in qemu: just vm beam00 --image fedora-coreos.qcow2
vm host *args:
    cargo run --release -- vm --identity {{identity}} {{host}} {{args}}

# What CI runs, plus formatting and lints
ci:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps
    bash .ci/run
