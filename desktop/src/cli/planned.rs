//! Subcommands that are planned but not built yet: they parse any arguments and fail with a
//! message that says so, so `lsar --help` shows the whole tool while nothing pretends to work.

use clap::Args;

/// Arguments of a planned subcommand (accepted and ignored).
#[derive(Debug, Args)]
pub struct Planned {
    /// Arguments, once the subcommand exists.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    args: Vec<String>,
}

impl Planned {
    /// Fails with "not built yet".
    pub fn run(&self, name: &str, issue: &str) -> anyhow::Result<()> {
        anyhow::bail!("`lsar {name}` is not built yet (planned in {issue}); see README.md")
    }
}
