fn main() -> std::process::ExitCode {
    agentfs::cli::main()
}
