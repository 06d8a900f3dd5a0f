//! `graft user`: accounts in a data directory's database (add, password, role, list).

use std::io::{BufRead, Read};
use std::path::PathBuf;

use anyhow::Context;
use store::{check_password, check_user_name, Store, MAX_PASSWORD_BYTES};
use types::account::Role;

/// Options of `graft user`.
#[derive(clap::Args)]
pub struct Args {
    /// Directory of the database (`graft.sqlite3` inside), as for `graft serve`.
    #[arg(
        long,
        env = "GRAFT_DATA_DIR",
        default_value = "./graft-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// A sqlx SQLite URL; overrides --data-dir.
    #[arg(long, env = "GRAFT_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: UserCommand,
}

/// What `graft user` does.
#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Make an account. Without --password-stdin a random password is made and printed once.
    Add {
        /// The login name (no spaces).
        name: String,
        /// What the account may do.
        #[arg(long, value_parser = parse_role, default_value = "annotator", conflicts_with = "admin")]
        role: Role,
        /// Shorthand for --role admin (the first account should be one).
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Do nothing (and succeed) when the name is taken.
        #[arg(long)]
        if_missing: bool,
    },
    /// Set an account's password (random and printed unless --password-stdin).
    Passwd {
        /// The login name.
        name: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role.
    Role {
        /// The login name.
        name: String,
        /// admin, annotator or viewer.
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// List the accounts.
    List,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}; use admin, annotator or viewer"))
}

/// Runs `graft user …`.
pub fn run(args: Args) -> anyhow::Result<()> {
    super::store::runtime()?.block_on(user(args))
}

async fn open(args: &Args) -> anyhow::Result<Store> {
    super::store::StoreArgs {
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone(),
    }
    .open()
    .await
}

/// The password: the first line of standard input, or a new random one (`true`: print it).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        // At most one byte past the limit (plus the line end) is read: a longer line is
        // refused without reading the rest.
        let mut line = Vec::new();
        std::io::stdin()
            .lock()
            .take(MAX_PASSWORD_BYTES as u64 + 3)
            .read_until(b'\n', &mut line)
            .context("cannot read the password from standard input")?;
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        let line = String::from_utf8(line).map_err(|e| {
            anyhow::anyhow!(
                "the password on standard input is not UTF-8 text (byte {} is not); type it \
                 again or use a UTF-8 terminal",
                e.utf8_error().valid_up_to() + 1
            )
        })?;
        check_password(&line).with_context(|| "the password on standard input is refused")?;
        return Ok((line, false));
    }
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the OS random generator failed: {e}"))?;
    let password = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    Ok((password, true))
}

async fn user(args: Args) -> anyhow::Result<()> {
    let store = open(&args).await?;
    match args.command {
        UserCommand::Add {
            name,
            role,
            admin,
            password_stdin,
            if_missing,
        } => {
            let role = if admin { Role::Admin } else { role };
            // A bad name is refused before a password is read or made.
            check_user_name(&name)?;
            if if_missing {
                if let Some(u) = store.user_by_name(&name).await? {
                    println!(
                        "user {:?} exists already ({}); nothing changed",
                        u.name, u.role
                    );
                    return Ok(());
                }
            }
            let (password, show) = password(password_stdin)?;
            let user = store.create_user(&name, role, &password).await?;
            println!("added {} {:?}", user.role, user.name);
            if show {
                println!("password: {password}");
                println!(
                    "(shown once; change it with `graft user passwd {}`)",
                    user.name
                );
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let (password, show) = password(password_stdin)?;
            let user = store.set_password(&name, &password).await?;
            println!("new password for {:?}", user.name);
            if show {
                println!("password: {password}");
            }
        }
        UserCommand::Role { name, role } => {
            let user = store.set_role(&name, role).await?;
            println!("{:?} is now {}", user.name, user.role);
        }
        UserCommand::List => {
            for row in store.list_users().await? {
                println!(
                    "{:<24} {:<10} {}{}",
                    row.user.name,
                    row.user.role.as_str(),
                    row.created_at,
                    if row.can_log_in {
                        ""
                    } else {
                        "  (no password: cannot log in)"
                    }
                );
            }
        }
    }
    store.close().await;
    Ok(())
}
