//! I/O errors as the family's: the kind from the `io::ErrorKind`.

use std::io;

use anykv_core::{Error, ErrorKind};

/// The backend's name in errors and [`StoreInfo`](anykv_core::StoreInfo).
pub(crate) const BACKEND: &str = "fs";

/// Maps an I/O error of `operation` to the family's error.
pub(crate) fn io_error(operation: &'static str) -> impl Fn(io::Error) -> Error {
    move |error| Error::backend(BACKEND, operation, ErrorKind::of_io(&error), error)
}
