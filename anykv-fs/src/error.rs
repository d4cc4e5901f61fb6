//! I/O errors as the family's: the kind from the `io::ErrorKind`.

use std::io;
use std::path::Path;

use anykv_core::{At, Error, ErrorKind};

/// The backend's name in errors and [`StoreInfo`](anykv_core::StoreInfo).
pub(crate) const BACKEND: &str = "fs";

/// Maps an I/O error of `operation` on `place` (the store's directory, or the file) to the
/// family's error, whose text names the place.
pub(crate) fn io_error<'a>(
    operation: &'static str,
    place: &'a Path,
) -> impl Fn(io::Error) -> Error + 'a {
    move |error| {
        let kind = ErrorKind::of_io(&error);
        Error::backend(
            BACKEND,
            operation,
            kind,
            At::new(place.display().to_string(), error),
        )
    }
}
