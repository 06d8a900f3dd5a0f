//! The routes whose code the browser loads with the route, not with the first page: each is a
//! [`LazyRoute`] whose `view` `#[lazy_route]` turns into a split point. In the browser bundle
//! the wasm-split step (`scripts/build-site`, `wasm-split-cli`) moves everything only that
//! view reaches into a chunk of its own (`target/site/pkg/*.wasm`, code two chunks share into
//! a shared chunk), which the router fetches when the route first renders, during hydration
//! included (`frontend`'s `hydrate` waits for it). On the server `view` is a plain async
//! function: the pages render as before.
//!
//! The first page's bundle keeps the shell, the router, the account box, the datasets page
//! (`/`), the login page and the 404 page.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// Declares a unit struct whose lazy view renders `$page`.
macro_rules! lazy_page {
    ($(#[$doc:meta])* $name:ident => $page:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        #[lazy_route]
        impl LazyRoute for $name {
            fn data() -> Self {
                $name
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(
    /// `/d/{id}`: a dataset, with its annotation, jobs and evaluation chart.
    DatasetRoute => crate::pages::DatasetPage
);
lazy_page!(
    /// `/d/{id}/review`: the review queue.
    ReviewRoute => crate::review::ReviewPage
);
lazy_page!(
    /// `/d/{id}/label`: step labelling.
    LabelRoute => crate::labeling::LabelPage
);
lazy_page!(
    /// `/users`: the admin's accounts page.
    UsersRoute => crate::login::UsersPage
);
lazy_page!(
    /// `/p/{id}`: a problem and its intervention workbench (the engine).
    ProblemRoute => crate::pages::ProblemPage
);
lazy_page!(
    /// `/v/{id}`: a variant, its words and its workbench.
    VariantRoute => crate::pages::VariantPage
);
lazy_page!(
    /// `/s/{token}`: a shared problem or variant.
    ShareRoute => crate::pages::SharePage
);
lazy_page!(
    /// `/new`: the new-problem editor.
    NewProblemRoute => crate::pages::NewProblemPage
);
