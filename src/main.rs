//! The `qbitrr-lite` binary; everything it does is in the library ([`qbitrr_lite::app`]),
//! apart from allocating memory ([`allocator`]).

#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

mod allocator;

/// Doug Lea's allocator, not the C library's (musl's keeps about twice the live heap once
/// several workers have allocated side by side), giving large freed blocks back to the
/// kernel at once (measured: Cargo.toml, README "Footprint").
#[global_allocator]
static ALLOCATOR: allocator::Purging = allocator::Purging::new();

fn main() -> std::process::ExitCode {
    qbitrr_lite::app::main()
}
