//! Who sends a request ([`Caller`]), and the account a session belongs to: logging in and out
//! on a `tower_sessions::Session`, with the login limiter.

use tower_sessions::Session;

use crate::{LoginLimiter, Store, StoreError, StoreResult};
use types::account::UserInfo;

/// The session key holding the logged-in user's id.
pub const USER_KEY: &str = "graft.user";

/// Who sent the request: the logged-in account (if any) and the client's address. The
/// server puts it in every request's extensions before any handler runs.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The logged-in account; `None` for an anonymous request.
    pub user: Option<UserInfo>,
    /// The client's IP address, for the login limiter.
    pub address: Option<String>,
}

fn session_error(e: tower_sessions::session::Error) -> StoreError {
    StoreError::Internal(format!("the session store failed: {e}"))
}

/// Checks a name and password (refusing early when the limiter says so) and, when they
/// match, starts a new session for the account. A name or password longer than any
/// account can have is refused first ([`crate::check_login`], a 400), before the
/// limiter counts it or anything is hashed.
pub async fn log_in(
    store: &Store,
    limiter: &LoginLimiter,
    session: &Session,
    name: &str,
    password: &str,
    address: Option<&str>,
) -> StoreResult<Option<UserInfo>> {
    crate::check_login(name, password)?;
    limiter.check(name, address)?;
    match store.authenticate(name, password).await? {
        Some(user) => {
            limiter.succeeded(name);
            // A new session id on every login (no fixation).
            session.cycle_id().await.map_err(session_error)?;
            session
                .insert(USER_KEY, user.id)
                .await
                .map_err(session_error)?;
            Ok(Some(user))
        }
        None => {
            limiter.failed(name, address);
            Ok(None)
        }
    }
}

/// Ends the session.
pub async fn log_out(session: &Session) -> StoreResult<()> {
    session.flush().await.map_err(session_error)
}

/// The account a session belongs to, if it is logged in and the account still exists.
pub async fn session_user(store: &Store, session: &Session) -> Option<UserInfo> {
    let id = session.get::<i64>(USER_KEY).await.ok().flatten()?;
    store.user(id).await.ok().flatten()
}
