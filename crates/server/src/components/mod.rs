//! What the pages are made of, written once: the page frame and request context (`page`), the
//! words for levels, values and missing figures (`text`), the region map (`map`) and the
//! sortable table header (`table`). Every page uses these; none of them knows a page.

pub mod map;
pub mod page;
pub mod table;
pub mod text;
