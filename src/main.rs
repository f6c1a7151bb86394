//! The `progmanager` binary: hands the command line over to the node crate.

fn main() -> std::process::ExitCode {
    progmanager_node::main()
}
