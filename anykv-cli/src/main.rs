#![doc = include_str!("../README.md")]
mod cli;
mod commands;
mod import;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done.
    Done,
    /// A key asked for does not exist.
    NotFound,
    /// The store holds entries that cannot be read or do not verify.
    BadEntries,
}

impl Outcome {
    fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Done => ExitCode::SUCCESS,
            Outcome::NotFound => ExitCode::from(3),
            Outcome::BadEntries => ExitCode::from(4),
        }
    }
}

/// A failure of a command: its message is printed on stderr.
pub type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli.command, cli.json) {
        Ok(outcome) => outcome.exit_code(),
        Err(failure) => {
            eprintln!("kvs: {failure}");
            ExitCode::FAILURE
        }
    }
}
