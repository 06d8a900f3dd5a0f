//! `graft`: the command-line entry point and the web server (`graft serve`); the work is in
//! the library (`server::main`).

fn main() -> std::process::ExitCode {
    server::main()
}
