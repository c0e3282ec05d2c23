//! What the fuzz targets in `fuzz/` (cargo fuzz) need from inside the crate: the parsers of the
//! wiki's answers that the public API only reaches through a `Session` and a server. Not part
//! of the API: hidden from the docs, and free to change with the targets.

pub use crate::http::HttpResponse;
pub use crate::response::{ApiBody, Failure, interpret, parse_retry_after};
