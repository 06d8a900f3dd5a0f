//! `graft`: the command-line entry point and the web server (`graft serve`); the work is in
//! the library (`server::main`).

/// The allocator: mimalloc (through `allocator`, which takes its cheaper unaligned entry
/// points), faster than the system's for the engine's many small allocations (README, Engine
/// speed).
#[global_allocator]
static ALLOCATOR: allocator::MiMalloc = allocator::MiMalloc;

fn main() -> std::process::ExitCode {
    server::main()
}
