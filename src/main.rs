//! The `qbitrr-lite` binary; everything it does is in the library ([`qbitrr_lite::app`]).

fn main() -> std::process::ExitCode {
    qbitrr_lite::app::main()
}
