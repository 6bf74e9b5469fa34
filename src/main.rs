//! The `qbitrr-lite` binary; everything it does is in the library ([`qbitrr_lite::app`]).

/// Doug Lea's allocator, not the C library's: musl's keeps about twice the live heap once
/// several workers have allocated side by side (measured: Cargo.toml, README "Footprint").
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> std::process::ExitCode {
    qbitrr_lite::app::main()
}
