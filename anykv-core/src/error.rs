//! The one error type of the crate family.

use std::fmt;

use crate::error_kind::ErrorKind;

/// A boxed error from a driver or the operating system, kept as the source of [`Error::Backend`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error of a driver or of the system with the place it is about (a file's path, a
/// server's `host:port`), shown as `place: error`. Backends wrap the errors of opening and
/// connecting in it so a message says where; never put a password or a value in `place`.
#[derive(Debug)]
pub struct At {
    place: String,
    error: BoxError,
}

impl At {
    /// `error`, about `place`.
    pub fn new(place: impl Into<String>, error: impl Into<BoxError>) -> Self {
        At {
            place: place.into(),
            error: error.into(),
        }
    }

    /// The place the error is about.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// The error itself (to downcast or inspect).
    pub fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.error.as_ref()
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.error)
    }
}

impl std::error::Error for At {
    /// The error's own source: this wrapper only adds the place to its text.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// A driver's error shown by a message the backend wrote for it: one readable line where the
/// driver's own text is a dump (a request with its body, a topology). The driver's error stays
/// the source, to downcast; `Debug` shows the message only, since a driver's `Debug` may hold a
/// value.
pub struct Described {
    message: String,
    source: BoxError,
}

impl Described {
    /// `source`, shown as `message`.
    pub fn new(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Described {
            message: message.into(),
            source: source.into(),
        }
    }
}

impl fmt::Debug for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Described").field(&self.message).finish()
    }
}

impl fmt::Display for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Described {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Result alias used by every store.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a store, a codec or a signing layer.
///
/// [`Error::kind`] says what a caller can do about it, the same way for every backend;
/// [`Error::is_retryable`] says whether trying the same call again later can help. Match on the
/// variant for the details. Messages never contain secrets or whole values; keys are
/// truncated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key is longer than [`crate::MAX_KEY_LEN`] bytes.
    #[error("key of {len} bytes is longer than the limit of {max} bytes")]
    KeyTooLong {
        /// Length of the refused key in bytes.
        len: usize,
        /// The limit, [`crate::MAX_KEY_LEN`].
        max: usize,
    },
    /// The value is larger than the backend can hold; nothing was written.
    #[error("value of {len} bytes for key {key} exceeds the {backend} limit of {max} bytes")]
    ValueTooLarge {
        /// The backend that refused it.
        backend: &'static str,
        /// The (truncated) key.
        key: KeyDisplay,
        /// Length of the refused value in bytes.
        len: usize,
        /// The largest value this store accepts, in bytes.
        max: usize,
    },
    /// A TTL that no backend can honour (zero, or absurdly far in the future).
    #[error("invalid ttl: {reason}")]
    InvalidTtl {
        /// Why the TTL was refused.
        reason: &'static str,
    },
    /// A namespace / collection / table name that is not allowed.
    #[error("invalid namespace {name:?}: {reason}")]
    InvalidNamespace {
        /// The refused name (truncated).
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Bad configuration: an unparsable URL, a missing option, an impossible combination.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Stored bytes that cannot be decoded: truncated, unknown header, failed deserialization.
    #[error("corrupt data for key {key}: {reason}")]
    Corrupt {
        /// The (truncated) key.
        key: KeyDisplay,
        /// What is wrong with the bytes.
        reason: String,
    },
    /// The stored value was written by a different serializer than the one reading it.
    #[error("key {key} was written by serializer {found}, this codec reads serializer {expected}")]
    SerializerMismatch {
        /// The (truncated) key.
        key: KeyDisplay,
        /// Serializer id of the reading codec.
        expected: u8,
        /// Serializer id found in the stored header.
        found: u8,
    },
    /// A value could not be serialized.
    #[error("cannot serialize value: {0}")]
    Serialize(#[source] BoxError),
    /// The stored value carries no signature although the store requires one.
    #[error("value for key {key} is not signed")]
    Unsigned {
        /// The (truncated) key.
        key: KeyDisplay,
    },
    /// The signature does not match: the value was tampered with, or signed by another secret.
    #[error("bad signature for key {key}")]
    BadSignature {
        /// The (truncated) key.
        key: KeyDisplay,
    },
    /// The value was signed with a key id that is not configured.
    #[error("value for key {key} is signed with unknown key id {key_id:?}")]
    UnknownSigningKey {
        /// The (truncated) key.
        key: KeyDisplay,
        /// The key id found in the stored value.
        key_id: String,
    },
    /// A blocking call was made on a thread that is driving an async runtime.
    #[error(
        "blocking storage call from inside an async runtime: use the async face \
         (AsyncKvStorage, e.g. anykv::open_async) there, or call from a plain thread or \
         spawn_blocking"
    )]
    BlockingInAsyncContext,
    /// The backend (driver, server, file system) failed.
    #[error(
        "{backend} {operation} failed ({kind}{}){}: {source}",
        if kind.is_retryable() { ", retryable" } else { "" },
        context_suffix(namespace.as_deref(), key.as_ref())
    )]
    Backend {
        /// Which backend, e.g. `"sqlite"`.
        backend: &'static str,
        /// Which operation, e.g. `"get"`.
        operation: &'static str,
        /// What kind of failure the driver's error is.
        kind: ErrorKind,
        /// The namespace of the store, when known (see [`Error::with_context`]).
        namespace: Option<String>,
        /// The (truncated) key of the call, when it named one.
        key: Option<KeyDisplay>,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// What kind of failure this is, the same for every backend.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::KeyTooLong { .. } | Error::ValueTooLarge { .. } => ErrorKind::LimitExceeded,
            Error::InvalidTtl { .. } | Error::InvalidNamespace { .. } | Error::Serialize(_) => {
                ErrorKind::InvalidInput
            }
            Error::Config(_) => ErrorKind::Config,
            Error::Corrupt { .. }
            | Error::SerializerMismatch { .. }
            | Error::Unsigned { .. }
            | Error::BadSignature { .. }
            | Error::UnknownSigningKey { .. } => ErrorKind::InvalidData,
            Error::BlockingInAsyncContext => ErrorKind::Unsupported,
            Error::Backend { kind, .. } => *kind,
        }
    }

    /// Whether trying the same call again later can succeed (derived from [`kind`](Self::kind):
    /// unavailable, timed out, conflict).
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// A backend error of `kind` (see [`ErrorKind`]; retryable kinds make it retryable).
    pub fn backend(
        backend: &'static str,
        operation: &'static str,
        kind: ErrorKind,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Backend {
            backend,
            operation,
            kind,
            namespace: None,
            key: None,
            source: source.into(),
        }
    }

    /// Names `place` (a file's path, a server's `host:port`) in a backend error's text: its
    /// source becomes [`At`]`(place, source)`, once. Other errors are returned as they are
    /// (they name what they are about already).
    pub fn at(self, place: impl Into<String>) -> Self {
        match self {
            Error::Backend {
                backend,
                operation,
                kind,
                namespace,
                key,
                source,
            } if !source.is::<At>() => Error::Backend {
                backend,
                operation,
                kind,
                namespace,
                key,
                source: Box::new(At::new(place, source)),
            },
            other => other,
        }
    }

    /// Adds the namespace and the (truncated) key of the call to a backend error that does
    /// not name them yet; other errors are returned as they are (the limit and data errors
    /// name their key already). Stores opened through the `anykv` facade, and any store
    /// under a [`Layered`](crate::layer::Layered), do this for every call.
    pub fn with_context(mut self, namespace: Option<&str>, key: Option<&str>) -> Self {
        if let Error::Backend {
            namespace: slot_namespace,
            key: slot_key,
            ..
        } = &mut self
        {
            if slot_namespace.is_none() {
                *slot_namespace = namespace.map(str::to_owned);
            }
            if slot_key.is_none() {
                *slot_key = key.map(KeyDisplay::new);
            }
        }
        self
    }

    /// The backend that reported this error, if a backend did.
    pub fn backend_name(&self) -> Option<&'static str> {
        match self {
            Error::Backend { backend, .. } | Error::ValueTooLarge { backend, .. } => Some(backend),
            _ => None,
        }
    }

    /// A corrupt-data error for `key`.
    pub fn corrupt(key: &str, reason: impl Into<String>) -> Self {
        Error::Corrupt {
            key: KeyDisplay::new(key),
            reason: reason.into(),
        }
    }

    /// Whether this error means "the stored bytes are not valid" (corrupt, tampered, unsigned,
    /// foreign serializer), as opposed to a failure of the store itself.
    pub fn is_invalid_data(&self) -> bool {
        self.kind() == ErrorKind::InvalidData
    }
}

/// ` in namespace "x" for key "k"`, as far as they are known.
fn context_suffix(namespace: Option<&str>, key: Option<&KeyDisplay>) -> String {
    let mut suffix = String::new();
    if let Some(namespace) = namespace {
        suffix.push_str(&format!(" in namespace {namespace:?}"));
    }
    if let Some(key) = key {
        suffix.push_str(&format!(" for key {key}"));
    }
    suffix
}

/// A key as shown in error messages: at most 64 characters, then an ellipsis and the full length.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyDisplay(String);

impl KeyDisplay {
    const SHOWN_CHARS: usize = 64;

    /// Makes the display form of `key`.
    pub fn new(key: &str) -> Self {
        let shown: String = key.chars().take(Self::SHOWN_CHARS).collect();
        if shown.len() == key.len() {
            KeyDisplay(format!("{key:?}"))
        } else {
            KeyDisplay(format!("{shown:?}… ({} bytes)", key.len()))
        }
    }
}

impl fmt::Display for KeyDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keys_are_truncated_in_messages() {
        let key = "k".repeat(1000);
        let shown = KeyDisplay::new(&key).to_string();
        assert!(shown.len() < 100, "{shown}");
        assert!(shown.contains("1000 bytes"));
    }

    #[test]
    fn retryable_follows_the_kind() {
        let busy = Error::backend("sqlite", "set", ErrorKind::TimedOut, "database is locked");
        assert!(busy.is_retryable());
        assert_eq!(busy.kind(), ErrorKind::TimedOut);
        assert!(
            busy.to_string().contains("(timed out, retryable)"),
            "{busy}"
        );
        let denied = Error::backend("fs", "set", ErrorKind::PermissionDenied, "EACCES");
        assert!(!denied.is_retryable());
        assert!(
            denied.to_string().contains("(permission denied)"),
            "{denied}"
        );
        let long = Error::KeyTooLong {
            len: 2000,
            max: 1024,
        };
        assert_eq!(long.kind(), ErrorKind::LimitExceeded);
        assert!(!long.is_retryable());
        assert!(Error::corrupt("k", "bad header").is_invalid_data());
        assert_eq!(Error::Config("x".into()).kind(), ErrorKind::Config);
    }

    #[test]
    fn context_names_namespace_and_truncated_key_once() {
        let error = Error::backend("redis", "get", ErrorKind::Unavailable, "connection refused")
            .with_context(Some("pages"), Some(&"k".repeat(500)))
            .with_context(Some("other"), Some("other"));
        let shown = error.to_string();
        assert!(
            shown.starts_with(
                "redis get failed (unavailable, retryable) in namespace \"pages\" for key \"kkk"
            ),
            "{shown}"
        );
        assert!(
            shown.contains("(500 bytes)") && shown.ends_with(": connection refused"),
            "{shown}"
        );
        assert!(!shown.contains("other"), "{shown}");
        let limit = Error::KeyTooLong {
            len: 2000,
            max: 1024,
        }
        .with_context(Some("pages"), Some("k"));
        assert!(!limit.to_string().contains("pages"));
    }
}
