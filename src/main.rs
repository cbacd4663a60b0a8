//! The `rslm` binary: parse, run, map the outcome to an exit code.

fn main() {
    std::process::exit(rslm::main_entry());
}
