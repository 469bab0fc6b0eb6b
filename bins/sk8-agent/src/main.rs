//! `sk8-agent`: the per-node step agent of a job (`serve`), and the
//! trampoline every task starts through (`exec-task`).

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => match sk8_step::agent::serve_main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                let _ = writeln!(std::io::stderr(), "sk8-agent: error: {message}");
                ExitCode::FAILURE
            }
        },
        Some("exec-task") => sk8_step::exec::exec_task(&args[1..]),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "usage: sk8-agent serve --node NAME --listen IP:PORT --token-file PATH --job ID [--log PATH] [--no-lifeline]"
            );
            ExitCode::from(2)
        }
    }
}
