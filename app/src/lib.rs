//! Graft's web app: the HTML shell, routes, pages and server functions.
//!
//! Compiled twice: with feature `ssr` into the server (rendering and server functions), with
//! feature `hydrate` into the browser bundle (`frontend/`), which hydrates the server's HTML.

#![recursion_limit = "512"]

pub mod api;
pub mod auth;
pub mod checks;
pub mod chunks;
pub mod diff;
pub mod editor;
pub mod eval_chart;
pub mod graph_view;
pub mod histogram;
pub mod labeling;
pub mod login;
pub mod pages;
pub mod review;
pub mod solution_check;
pub mod watch;
pub mod wording;
pub mod words;
pub mod workbench;

// The plain data types live in their own crate, shared with the store; the pages name them
// by their old paths.
pub use types::{account, annotation, model};

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, Lazy, SsrMode};

use crate::chunks::{
    DatasetRoute, LabelRoute, NewProblemRoute, ProblemRoute, ReviewRoute, ShareRoute, UsersRoute,
    VariantRoute,
};
use crate::login::{provide_me, AccountBox, LoginPage};
use crate::pages::{DatasetsPage, NotFound};

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: header and routes. Pages render fully on the server (`SsrMode::Async`), then
/// hydrate. All routes but `/` and `/login` are [`Lazy`]: their code comes in a chunk of its
/// own, loaded with the route (see [`chunks`]).
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_me();
    view! {
        <Stylesheet id="leptos" href="/pkg/graft.css"/>
        <Title text="Graft"/>
        <Router>
            <header class="top">
                <A href="/">"Graft"</A>
                <span class="tagline">"word problems as exact computation graphs"</span>
                <nav>
                    <A href="/">"Datasets"</A>
                    <A href="/new">"New problem"</A>
                </nav>
                <AccountBox/>
            </header>
            <main>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=DatasetsPage ssr=SsrMode::Async/>
                    <Route path=path!("/d/:id") view={Lazy::<DatasetRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/d/:id/review") view={Lazy::<ReviewRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/d/:id/label") view={Lazy::<LabelRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/users") view={Lazy::<UsersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/p/:id") view={Lazy::<ProblemRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/v/:id") view={Lazy::<VariantRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/s/:token") view={Lazy::<ShareRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/new") view={Lazy::<NewProblemRoute>::new()} ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
