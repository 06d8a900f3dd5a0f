//! Logging in and out, the logged-in user, and the admin's user list: server functions, and
//! (feature `ssr`) the request's [`Caller`] that every server function and API handler asks
//! before reading a private dataset or writing anything.

use leptos::prelude::*;

use crate::account::{LoginOutcome, UserInfo, UserRow};

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;
    use tower_sessions::Session;

    pub use store::caller::*;
    use store::StoreError;

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
}

#[cfg(feature = "ssr")]
use crate::api::ssr::{fail, op, store};

/// The logged-in account, or `None`.
#[server]
pub async fn current_user() -> Result<Option<UserInfo>, ServerFnError> {
    Ok(caller().user)
}

/// Logs in. A wrong name or password is a [`LoginOutcome::Refused`] that does not say which;
/// too many failures in a few minutes are refused the same way with the wait.
#[server]
pub async fn login(name: String, password: String) -> Result<LoginOutcome, ServerFnError> {
    let limiter = use_context::<store::LoginLimiter>().unwrap_or_default();
    let session = session().map_err(fail)?;
    let who = caller();
    match store()?
        .by(&who)
        .log_in(&limiter, &session, &name, &password)
        .await
    {
        Ok(outcome) => Ok(outcome),
        Err(e @ store::StoreError::TooManyAttempts(_)) => Ok(LoginOutcome::Refused(e.to_string())),
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
    op(async |o| o.list_users().await).await
}

/// Makes an account (admins only).
#[server]
pub async fn add_user(
    name: String,
    role: String,
    password: String,
) -> Result<UserInfo, ServerFnError> {
    op(async |o| o.add_user(&name, &role, &password).await).await
}

/// Changes an account's role (admins only).
#[server]
pub async fn set_user_role(name: String, role: String) -> Result<UserInfo, ServerFnError> {
    op(async |o| o.set_role(&name, &role).await).await
}
