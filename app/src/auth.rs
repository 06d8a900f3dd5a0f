//! Logging in and out, the logged-in user, and the admin's user list: server functions, and
//! (feature `ssr`) the request's [`Caller`] that every server function and API handler asks
//! before reading a private dataset or writing anything.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::account::Role;
use crate::account::{LoginOutcome, UserInfo, UserRow};

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;
    use tower_sessions::Session;

    use crate::account::{Role, UserInfo};
    use crate::store::{require, LoginLimiter, Store, StoreError, StoreResult};

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

    impl Caller {
        /// Fails unless the caller has at least `role`; `doing` says what for.
        pub fn require(&self, role: Role, doing: &str) -> StoreResult<UserInfo> {
            require(self.user.as_ref(), role, doing)
        }
    }

    /// The request's parts (server functions and server rendering have them as context).
    fn parts() -> Option<http::request::Parts> {
        use_context::<http::request::Parts>()
    }

    /// The caller of the server function or page being rendered (anonymous when the server
    /// put none in the request).
    pub fn caller() -> Caller {
        parts()
            .and_then(|p| p.extensions.get::<Caller>().cloned())
            .unwrap_or_default()
    }

    /// The request's session (the server's session layer puts it there).
    pub fn session() -> Result<Session, StoreError> {
        parts()
            .and_then(|p| p.extensions.get::<Session>().cloned())
            .ok_or_else(|| StoreError::Internal("the request has no session layer".to_string()))
    }

    fn session_error(e: tower_sessions::session::Error) -> StoreError {
        StoreError::Internal(format!("the session store failed: {e}"))
    }

    /// Checks a name and password (refusing early when the limiter says so) and, when they
    /// match, starts a new session for the account. A name or password longer than any
    /// account can have is refused first ([`crate::store::check_login`], a 400), before the
    /// limiter counts it or anything is hashed.
    pub async fn log_in(
        store: &Store,
        limiter: &LoginLimiter,
        session: &Session,
        name: &str,
        password: &str,
        address: Option<&str>,
    ) -> StoreResult<Option<UserInfo>> {
        crate::store::check_login(name, password)?;
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
}

#[cfg(feature = "ssr")]
use crate::api::ssr::{fail, store};

/// The logged-in account, or `None`.
#[server]
pub async fn current_user() -> Result<Option<UserInfo>, ServerFnError> {
    Ok(caller().user)
}

/// Logs in. A wrong name or password is a [`LoginOutcome::Refused`] that does not say which;
/// too many failures in a few minutes are refused the same way with the wait.
#[server]
pub async fn login(name: String, password: String) -> Result<LoginOutcome, ServerFnError> {
    let limiter = use_context::<crate::store::LoginLimiter>().unwrap_or_default();
    let session = session().map_err(fail)?;
    let who = caller();
    match log_in(
        &store()?,
        &limiter,
        &session,
        &name,
        &password,
        who.address.as_deref(),
    )
    .await
    {
        Ok(Some(user)) => Ok(LoginOutcome::LoggedIn(user)),
        Ok(None) => Ok(LoginOutcome::Refused(
            crate::store::LOGIN_REFUSED.to_string(),
        )),
        Err(e @ crate::store::StoreError::TooManyAttempts(_)) => {
            Ok(LoginOutcome::Refused(e.to_string()))
        }
        Err(e) => Err(fail(e)),
    }
}

/// Logs out (nothing happens when nobody is logged in).
#[server]
pub async fn logout() -> Result<(), ServerFnError> {
    log_out(&session().map_err(fail)?).await.map_err(fail)
}

/// Every account (admins only).
#[server]
pub async fn list_users() -> Result<Vec<UserRow>, ServerFnError> {
    caller().require(Role::Admin, "list users").map_err(fail)?;
    store()?.list_users().await.map_err(fail)
}

/// Makes an account (admins only).
#[server]
pub async fn add_user(
    name: String,
    role: String,
    password: String,
) -> Result<UserInfo, ServerFnError> {
    caller().require(Role::Admin, "add users").map_err(fail)?;
    let role = Role::parse(&role).ok_or_else(|| {
        ServerFnError::new(format!(
            "unknown role {role:?}; use admin, annotator or viewer"
        ))
    })?;
    store()?
        .create_user(&name, role, &password)
        .await
        .map_err(fail)
}

/// Changes an account's role (admins only).
#[server]
pub async fn set_user_role(name: String, role: String) -> Result<UserInfo, ServerFnError> {
    caller()
        .require(Role::Admin, "change roles")
        .map_err(fail)?;
    let role = Role::parse(&role).ok_or_else(|| {
        ServerFnError::new(format!(
            "unknown role {role:?}; use admin, annotator or viewer"
        ))
    })?;
    store()?.set_role(&name, role).await.map_err(fail)
}
