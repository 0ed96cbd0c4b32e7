//! pinion: compile loose Python requirements into pinned lockfiles, and sync venvs to them.

// Diagnostics carry the source text they underline; errors are the cold path, so their size is
// not worth boxing.
#![allow(clippy::result_large_err)]

mod build;
mod cache;
mod cli;
mod commands;
mod fsutil;
#[cfg(test)]
mod fuzz;
mod index;
mod inputs;
mod install;
mod lockfile;
mod metadata;
mod pep508;
mod pyproject;
mod python;
mod report;
mod requirements;
mod resolver;
mod settings;
mod ui;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    ui::init(settings::terminal(&cli.output));
    init_logging(&cli.output);
    // The settings stage turns clap's arguments into typed settings; commands never see them.
    let result = match cli.command {
        Command::Compile(args) => settings::CompileRun::resolve(&args, &cli.output)
            .map_err(Into::into)
            .and_then(|run| commands::compile::run(&run)),
        Command::Sync(args) => settings::SyncSettings::resolve(args, &cli.output)
            .map_err(Into::into)
            .and_then(|settings| commands::sync::run(&settings)),
        Command::Check(args) => {
            commands::check::run(&settings::CheckSettings::resolve(args, &cli.output))
        }
        Command::Why(args) => settings::WhySettings::resolve(args, &cli.output)
            .map_err(Into::into)
            .and_then(|settings| commands::why::why(&settings)),
        Command::Tree(args) => {
            commands::why::tree(&settings::TreeSettings::resolve(args, &cli.output))
        }
        Command::Diff(args) => {
            commands::diff::run(&settings::DiffSettings::resolve(args, &cli.output))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err.exit_code();
            eprintln!("{:?}", miette::Report::new(report::Windowed::new(err)));
            code
        }
    }
}

/// `-v` shows what pinion does, `-vv` and more the details; `RUST_LOG` overrides both.
fn init_logging(output: &cli::OutputArgs) {
    let level = match (output.quiet, output.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("pinion={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only on a terminal that wants it (NO_COLOR).
        .with_ansi(ui::colour())
        .without_time()
        .with_target(false)
        .init();
}
