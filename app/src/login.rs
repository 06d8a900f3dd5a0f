//! The login page, the account box in the header, and the admin's users page.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::account::{LoginOutcome, Role, UserInfo};
use crate::auth::{current_user, list_users, AddUser, Login, Logout, SetUserRole};

/// The logged-in account as the pages know it (a resource read inside `<Suspense>`).
#[derive(Clone, Copy)]
pub struct Me(pub Resource<Result<Option<UserInfo>, ServerFnError>>);

/// Provides [`Me`] for the whole app.
pub fn provide_me() {
    provide_context(Me(Resource::new(|| (), |_| current_user())));
}

/// The logged-in account (inside `<Suspense>`), `None` when anonymous.
pub async fn me() -> Option<UserInfo> {
    match use_context::<Me>() {
        Some(Me(r)) => r.await.ok().flatten(),
        None => None,
    }
}

/// Reloads the page at `href` (after logging in or out, everything on screen may change).
fn reload_at(href: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(href);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

/// The header's account box: who is logged in and a log-out button, or a log-in link.
#[component]
pub fn AccountBox() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let logout_state = crate::watch::Watch::new(&logout);
    Effect::new(move |_| {
        if let Some(Ok(())) = logout_state.value() {
            reload_at("/");
        }
    });
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match me().await {
                    Some(u) => view! {
                        <span class="account">
                            <span class="who">{u.name.clone()} " · " <span class=format!("role {}", u.role)>{u.role.as_str()}</span></span>
                            {u.is(Role::Admin).then(|| view! { <A href="/users">"Users"</A> })}
                            <ActionForm action=logout attr:class="inline">
                                <button type="submit" class="link">"Log out"</button>
                            </ActionForm>
                        </span>
                    }
                    .into_any(),
                    None => view! { <A href="/login" attr:class="login-link">"Log in"</A> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/login?next=…`: name and password; a refusal never says which part was wrong.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let login_state = crate::watch::Watch::new(&login);
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/".to_string())
    };
    Effect::new(move |_| {
        if let Some(Ok(LoginOutcome::LoggedIn(_))) = login_state.value() {
            reload_at(&next());
        }
    });
    let message = move || match login_state.value() {
        Some(Ok(LoginOutcome::Refused(why))) => Some(why),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <leptos_meta::Title text="Log in · Graft"/>
        <h1>"Log in"</h1>
        <ActionForm action=login attr:class="login">
            <label>"Name " <input name="name" autocomplete="username" required autofocus/></label>
            <label>"Password " <input name="password" type="password" autocomplete="current-password" required/></label>
            <button type="submit" class="primary" disabled=move || login_state.pending()>"Log in"</button>
        </ActionForm>
        {move || message().map(|m| view! { <p class="error login-error">{m}</p> })}
        <p class="muted">
            "No account? An admin makes one (" <code>"graft user add NAME --role annotator"</code>
            " or the Users page). Share links open without an account."
        </p>
    }
}

/// `/users`: every account, a form to add one and to change roles (admins only).
#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let add_state = crate::watch::Watch::new(&add);
    let set_role = ServerAction::<SetUserRole>::new();
    let set_role_state = crate::watch::Watch::new(&set_role);
    let users = Resource::new(
        move || (add_state.version(), set_role_state.version()),
        |_| list_users(),
    );
    let add_error = move || match add_state.value() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let role_error = move || match set_role_state.value() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <leptos_meta::Title text="Users · Graft"/>
        <h1>"Users"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading the users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(rows) => view! {
                        <table class="users">
                            <thead><tr><th>"name"</th><th>"role"</th><th>"since"</th><th></th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let name = r.user.name.clone();
                                    view! {
                                        <tr>
                                            <td>{r.user.name.clone()}</td>
                                            <td>{r.user.role.as_str()}{(!r.can_log_in).then_some(" (no password)")}</td>
                                            <td class="muted">{r.created_at.clone()}</td>
                                            <td>
                                                <ActionForm action=set_role attr:class="inline">
                                                    <input type="hidden" name="name" value=name/>
                                                    <select name="role">
                                                        {Role::ALL.into_iter().map(|role| view! {
                                                            <option value=role.as_str() selected=role == r.user.role>{role.as_str()}</option>
                                                        }).collect_view()}
                                                    </select>
                                                    <button type="submit">"Set role"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        {move || role_error().map(|m| view! { <p class="error">{m}</p> })}
        <h2>"Add a user"</h2>
        <ActionForm action=add attr:class="add-user">
            <label>"Name " <input name="name" required/></label>
            <label>"Role "
                <select name="role">
                    <option value="annotator" selected>"annotator"</option>
                    <option value="viewer">"viewer"</option>
                    <option value="admin">"admin"</option>
                </select>
            </label>
            <label>"Password " <input name="password" type="password" minlength="8" required/></label>
            <button type="submit" class="primary">"Add"</button>
        </ActionForm>
        {move || add_error().map(|m| view! { <p class="error">{m}</p> })}
    }
}
