//! `graft`: the command-line entry point and the web server (`graft serve`); the work is in
//! the library (`server::main`).

/// The allocator: mimalloc, faster than the system's for the engine's many small
/// allocations (README, Engine speed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    server::main()
}
