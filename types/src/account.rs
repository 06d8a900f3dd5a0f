//! Accounts as the pages see them: roles, the logged-in user, and what each role may do.
//! Pure data (any target); the checks that count run on the server (`store::ops`).

use serde::{Deserialize, Serialize};

/// What an account may do. Ordered: every role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads every dataset, writes nothing.
    Viewer,
    /// Reviews and labels.
    Annotator,
    /// Everything: datasets, jobs, users, settings.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Annotator, Role::Admin];

    /// The name stored and shown (`admin`, `annotator`, `viewer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Annotator => "annotator",
            Role::Admin => "admin",
        }
    }

    /// The role named `s` (as [`Role::as_str`] writes it).
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user account (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The account's id.
    pub id: i64,
    /// Its login name.
    pub name: String,
    /// What it may do.
    pub role: Role,
}

impl UserInfo {
    /// Whether this user has at least `role`.
    pub fn is(&self, role: Role) -> bool {
        self.role >= role
    }
}

/// A user as an admin sees it in the users list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    /// The account.
    pub user: UserInfo,
    /// Whether it can log in (it has a password).
    pub can_log_in: bool,
    /// When it was made (UTC).
    pub created_at: String,
}

/// What a login attempt did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginOutcome {
    /// Logged in as this user.
    LoggedIn(UserInfo),
    /// Refused; the message never says which part was wrong.
    Refused(String),
}
