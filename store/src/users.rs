//! Accounts: users with argon2 password hashes and roles, logins (with a limiter on failed
//! attempts), and the access rules every read and write goes through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::{blocking, Store, StoreError, StoreResult};
use types::account::{Role, UserInfo, UserRow};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest password accepted, in bytes. Hashing costs time in proportion to the password,
/// so longer ones are refused before any hashing: when an account is made or its password set,
/// and when someone logs in.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The longest user name accepted, in characters.
pub const MAX_USER_NAME_CHARS: usize = 64;

/// The longest user name accepted, in bytes (every character of a name may take 4).
const MAX_USER_NAME_BYTES: usize = MAX_USER_NAME_CHARS * 4;

/// Failed logins allowed for one name, or from one address, within [`LIMIT_WINDOW`].
const FAILURES_PER_NAME: usize = 5;
const FAILURES_PER_ADDRESS: usize = 20;
const LIMIT_WINDOW: Duration = Duration::from_secs(300);

/// The message of every refused login: it never says which part was wrong.
pub const LOGIN_REFUSED: &str = "wrong name or password";

/// `s` for an error message: at most 40 characters, cut with an ellipsis.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        None => format!("{s:?}"),
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
    }
}

/// Whether `c` may appear in a user name: any printable character but spaces. Refused are
/// control characters, white space, U+FFFD (what bytes that were not UTF-8 became on the
/// way in), noncharacters, and the invisible format characters (soft hyphen, zero-width
/// spaces and joiners, direction marks and overrides, the byte-order mark) that make two
/// names look alike.
fn printable_name_char(c: char) -> bool {
    !(c.is_control()
        || c.is_whitespace()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{ffff}'
                | '\u{e0000}'..='\u{e0fff}'
        )
        || (c as u32 & 0xfffe) == 0xfffe
        || ('\u{fdd0}'..='\u{fdef}').contains(&c))
}

/// Checks a user name: 1 to [`MAX_USER_NAME_CHARS`] characters after trimming, each of them
/// printable and none a space (see the store's account rules). Returns it trimmed; the error
/// says what is wrong, where, and how to fix it.
pub fn check_user_name(name: &str) -> StoreResult<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(StoreError::Invalid(format!(
            "the user name is empty; a user name has 1 to {MAX_USER_NAME_CHARS} characters"
        )));
    }
    let chars = if name.len() > MAX_USER_NAME_BYTES {
        None
    } else {
        Some(name.chars().count()).filter(|n| *n <= MAX_USER_NAME_CHARS)
    };
    if chars.is_none() {
        return Err(StoreError::Invalid(format!(
            "the user name {} is {} bytes long; a user name has at most {MAX_USER_NAME_CHARS} \
             characters, choose a shorter one",
            shown(name),
            name.len()
        )));
    }
    if let Some((at, c)) = name
        .chars()
        .enumerate()
        .find(|(_, c)| !printable_name_char(*c))
    {
        let at = at + 1;
        return Err(StoreError::Invalid(if c == '\u{fffd}' {
            format!(
                "the user name {} is not valid UTF-8 text (character {at} is U+FFFD, the mark of \
                 bytes that were not UTF-8); send the name as UTF-8",
                shown(name)
            )
        } else if c.is_whitespace() {
            format!(
                "a user name has no spaces; {} has one at character {at} (try {:?})",
                shown(name),
                name.split_whitespace().collect::<Vec<_>>().join("-")
            )
        } else {
            format!(
                "a user name has printable characters only; {} has U+{:04X} (a control or \
                 invisible character) at character {at}; remove it",
                shown(name),
                c as u32
            )
        }));
    }
    Ok(name)
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes.
pub fn check_password(password: &str) -> StoreResult<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::Invalid(format!(
            "the password is {} bytes long; a password has at most {MAX_PASSWORD_BYTES} bytes, \
             choose a shorter one",
            password.len()
        )));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StoreError::Invalid(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Checks the shape of a login before anything is counted, looked up or hashed: a name of at
/// most [`MAX_USER_NAME_CHARS`] characters and a password of at most [`MAX_PASSWORD_BYTES`]
/// bytes (no account can have longer ones). Says nothing about whether they are right.
pub fn check_login(name: &str, password: &str) -> StoreResult<()> {
    let name = name.trim();
    if name.len() > MAX_USER_NAME_BYTES || name.chars().count() > MAX_USER_NAME_CHARS {
        return Err(StoreError::Invalid(format!(
            "the user name is {} bytes long; user names have at most {MAX_USER_NAME_CHARS} \
             characters, check the name",
            name.len()
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(StoreError::Invalid(format!(
            "the password is {} bytes long; passwords have at most {MAX_PASSWORD_BYTES} bytes, \
             check the password",
            password.len()
        )));
    }
    Ok(())
}

/// The argon2 PHC string of `password` with a fresh salt (slow on purpose: call on a
/// blocking thread).
fn hash_password(password: &str) -> StoreResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| {
        StoreError::Internal(format!(
            "the operating system's random generator failed ({e}); cannot hash a password"
        ))
    })?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| StoreError::Internal(format!("cannot encode a password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the PHC string `hash` (false for a damaged hash).
fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a password nobody has, verified when the name is unknown so that a wrong name
/// takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("graft decoy password").unwrap_or_default())
}

struct DbUser {
    id: i64,
    name: String,
    role: String,
    password_hash: Option<String>,
    created_at: String,
}

impl DbUser {
    fn info(&self) -> StoreResult<UserInfo> {
        Ok(UserInfo {
            id: self.id,
            name: self.name.clone(),
            role: Role::parse(&self.role).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "user {} has an unknown role {:?}",
                    self.id, self.role
                ))
            })?,
        })
    }
}

/// `user_select!(query_as!(DbUser, " WHERE …", args…))`: the accounts as [`DbUser`].
macro_rules! user_select {
    ($($call:tt)*) => {
        with_sql!(
            [r#"SELECT id AS "id!", name, role, password_hash, created_at FROM users"#];
            $($call)*
        )
    };
}

impl Store {
    /// Makes an account. Fails when the name is taken or the password too short.
    pub async fn create_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
    ) -> StoreResult<UserInfo> {
        let name = check_user_name(name)?.to_string();
        check_password(password)?;
        let password = password.to_string();
        let hash = blocking("hashing the password", move || hash_password(&password)).await??;
        let role_name = role.as_str();
        let inserted = sqlx::query!(
            "INSERT INTO users (name, password_hash, role) VALUES (?, ?, ?)",
            name,
            hash,
            role_name
        )
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(r) => Ok(UserInfo {
                id: r.last_insert_rowid(),
                name,
                role,
            }),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Invalid(format!(
                    "a user named {name:?} exists already; pick another name or change its \
                     password"
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The account named `name` (names compare without case), or `None`.
    pub async fn user_by_name(&self, name: &str) -> StoreResult<Option<UserInfo>> {
        if name.trim().len() > MAX_USER_NAME_BYTES {
            return Ok(None);
        }
        let name = name.trim();
        let row: Option<DbUser> = user_select!(query_as!(DbUser, " WHERE name = ?", name))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.info()).transpose()
    }

    /// The account with id `id`, or `None` (deleted since the session began).
    pub async fn user(&self, id: i64) -> StoreResult<Option<UserInfo>> {
        let row: Option<DbUser> = user_select!(query_as!(DbUser, " WHERE id = ?", id))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.info()).transpose()
    }

    /// Every account, by name.
    pub async fn list_users(&self) -> StoreResult<Vec<UserRow>> {
        let rows: Vec<DbUser> = user_select!(query_as!(DbUser, " ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UserRow {
                    user: r.info()?,
                    can_log_in: r.password_hash.is_some(),
                    created_at: r.created_at.clone(),
                })
            })
            .collect()
    }

    /// Accounts stored.
    pub async fn user_count(&self) -> StoreResult<u64> {
        let n = sqlx::query_scalar!("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// Sets the password of the account named `name`.
    pub async fn set_password(&self, name: &str, password: &str) -> StoreResult<UserInfo> {
        check_password(password)?;
        let user = self.require_user(name).await?;
        let password = password.to_string();
        let hash = blocking("hashing the password", move || hash_password(&password)).await??;
        sqlx::query!(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            hash,
            user.id
        )
        .execute(&self.pool)
        .await?;
        Ok(user)
    }

    /// Changes the role of the account named `name`. The last admin cannot stop being one.
    pub async fn set_role(&self, name: &str, role: Role) -> StoreResult<UserInfo> {
        let mut user = self.require_user(name).await?;
        if user.role == Role::Admin && role != Role::Admin {
            let admins = sqlx::query_scalar!("SELECT COUNT(*) FROM users WHERE role = 'admin'")
                .fetch_one(&self.pool)
                .await?;
            if admins <= 1 {
                return Err(StoreError::Invalid(format!(
                    "{:?} is the only admin; make another admin first",
                    user.name
                )));
            }
        }
        let role_name = role.as_str();
        sqlx::query!("UPDATE users SET role = ? WHERE id = ?", role_name, user.id)
            .execute(&self.pool)
            .await?;
        user.role = role;
        Ok(user)
    }

    async fn require_user(&self, name: &str) -> StoreResult<UserInfo> {
        self.user_by_name(name).await?.ok_or_else(|| {
            StoreError::Invalid(format!(
                "there is no user named {} (`graft user list` lists them)",
                shown(name.trim())
            ))
        })
    }

    /// The account whose name and password these are, or `None` (either part wrong: the
    /// caller must not say which). Takes as long for an unknown name as for a wrong password.
    /// Refuses ([`StoreError::Invalid`]) a name or password longer than any account can have
    /// ([`check_login`]) before looking anything up or hashing.
    pub async fn authenticate(&self, name: &str, password: &str) -> StoreResult<Option<UserInfo>> {
        check_login(name, password)?;
        let name = name.trim();
        let row: Option<DbUser> = user_select!(query_as!(DbUser, " WHERE name = ?", name))
            .fetch_optional(&self.pool)
            .await?;
        let hash = row
            .as_ref()
            .and_then(|r| r.password_hash.clone())
            .unwrap_or_else(|| decoy_hash().to_string());
        let password = password.to_string();
        let ok = blocking("checking the password", move || {
            verify_password(&password, &hash)
        })
        .await?;
        match row {
            Some(r) if ok && r.password_hash.is_some() => Ok(Some(r.info()?)),
            _ => Ok(None),
        }
    }

    /// Whether dataset `id` can be read without logging in (`None`: no such dataset).
    pub async fn dataset_is_public(&self, id: i64) -> StoreResult<Option<bool>> {
        let row = sqlx::query_scalar!("SELECT visibility FROM datasets WHERE id = ?", id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|v| v == "public"))
    }

    /// Fails unless `user` may read dataset `id`: anyone may read a public dataset, any
    /// logged-in account a private one. A missing dataset passes (the read that follows
    /// answers "not found").
    pub async fn check_read(&self, user: Option<&UserInfo>, dataset_id: i64) -> StoreResult<()> {
        if user.is_some() {
            return may_read(user, dataset_id, None);
        }
        may_read(user, dataset_id, self.dataset_is_public(dataset_id).await?)
    }

    /// The dataset a problem, variant or job belongs to (`None`: no such row).
    pub async fn dataset_of(&self, what: Owned, id: i64) -> StoreResult<Option<i64>> {
        let pool = &self.pool;
        Ok(match what {
            Owned::Problem => {
                sqlx::query_scalar!("SELECT dataset_id FROM problems WHERE id = ?", id)
                    .fetch_optional(pool)
                    .await?
            }
            Owned::Variant => {
                sqlx::query_scalar!(
                    "SELECT p.dataset_id FROM variants v JOIN problems p ON p.id = v.problem_id
                     WHERE v.id = ?",
                    id
                )
                .fetch_optional(pool)
                .await?
            }
            Owned::Job => {
                sqlx::query_scalar!("SELECT dataset_id FROM jobs WHERE id = ?", id)
                    .fetch_optional(pool)
                    .await?
            }
            Owned::LabelItem => {
                sqlx::query_scalar!("SELECT dataset_id FROM label_items WHERE id = ?", id)
                    .fetch_optional(pool)
                    .await?
            }
        })
    }

    /// [`Store::check_read`] for the dataset that row `id` belongs to; a missing row passes
    /// (the read that follows answers "not found").
    pub async fn check_read_of(
        &self,
        user: Option<&UserInfo>,
        what: Owned,
        id: i64,
    ) -> StoreResult<()> {
        match self.dataset_of(what, id).await? {
            Some(d) => self.check_read(user, d).await,
            None => Ok(()),
        }
    }
}

/// The read rule of [`Store::check_read`], given whether dataset `dataset_id` is public
/// (`None`: no such dataset, or not looked up because `user` is logged in).
pub(crate) fn may_read(
    user: Option<&UserInfo>,
    dataset_id: i64,
    public: Option<bool>,
) -> StoreResult<()> {
    if user.is_some() || public != Some(false) {
        Ok(())
    } else {
        Err(StoreError::LoginRequired(format!(
            "read dataset {dataset_id}: it is private"
        )))
    }
}

/// Which kind of row [`Store::dataset_of`] looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// A problem.
    Problem,
    /// A variant.
    Variant,
    /// A job.
    Job,
    /// A label item.
    LabelItem,
}

/// Fails unless `user` has at least `role`; `doing` says what for ("import a dataset").
pub fn require(user: Option<&UserInfo>, role: Role, doing: &str) -> StoreResult<UserInfo> {
    match user {
        None => Err(StoreError::LoginRequired(doing.to_string())),
        Some(u) if u.is(role) => Ok(u.clone()),
        Some(u) => Err(StoreError::Forbidden(format!(
            "only an {role} may {doing}; {:?} is a{} {}",
            u.name,
            if u.role == Role::Admin || u.role == Role::Annotator {
                "n"
            } else {
                ""
            },
            u.role
        ))),
    }
}

/// Failed logins by name and by address, forgotten after a few minutes. Cheap to clone
/// (clones share the counts).
#[derive(Debug, Clone, Default)]
pub struct LoginLimiter {
    failures: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
}

impl LoginLimiter {
    fn keys(name: &str, address: Option<&str>) -> [(String, usize); 2] {
        [
            (
                format!("name:{}", name.trim().to_lowercase()),
                FAILURES_PER_NAME,
            ),
            (
                format!("addr:{}", address.unwrap_or("unknown")),
                FAILURES_PER_ADDRESS,
            ),
        ]
    }

    /// Fails with [`StoreError::TooManyAttempts`] while this name or address has used up its
    /// failed logins.
    pub fn check(&self, name: &str, address: Option<&str>) -> StoreResult<()> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for (key, limit) in Self::keys(name, address) {
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < LIMIT_WINDOW);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    wait = wait.max(LIMIT_WINDOW.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        if wait > Duration::ZERO {
            return Err(StoreError::TooManyAttempts(wait.as_secs().max(1)));
        }
        Ok(())
    }

    /// Counts a failed login.
    pub fn failed(&self, name: &str, address: Option<&str>) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < LIMIT_WINDOW));
        }
        for (key, _) in Self::keys(name, address) {
            map.entry(key).or_default().push(now);
        }
    }

    /// Forgets the failures of a name after a successful login.
    pub fn succeeded(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&format!("name:{}", name.trim().to_lowercase()));
    }
}
