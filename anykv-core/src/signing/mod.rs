//! HMAC-SHA256 signed values with a salt and key rotation, as a layer over any byte store.
//!
//! A signed value (format version 2) is stored as:
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | magic `0x53` (`'S'`) |
//! | 1 | format version, 2 |
//! | 1 | length `n` of the key id (1-255) |
//! | n | key id (UTF-8) |
//! | 32 | HMAC-SHA256 tag |
//! | 8 | expiry in ms since the Unix epoch, big-endian; `i64::MIN` for none |
//! | rest | the payload |
//!
//! The tag covers a context (the store's namespace, by default), the entry's key, the expiry
//! and the payload: a valid value copied under another key or into another namespace does not
//! verify, and an entry whose stored expiry is pushed back (or removed) still ends at the
//! expiry it was signed with. The HMAC key is derived from the secret and the salt, so one
//! secret serves several purposes without its signatures being interchangeable.
//!
//! Version 1 values (no expiry field; the tag covers the key and the payload only) are still
//! verified, so stores written before keep working; they have neither binding until they are
//! written again.
//!
//! What signing cannot prevent: anyone who can write the store can put back an *older* value
//! of the same key that was validly signed (a rollback, within its signed lifetime), or delete
//! entries. Signatures prove who wrote a value, not that it is the latest one.

mod signed;
mod signed_async;
mod signer;

pub use signed::{OnInvalid, Signed};
pub use signer::{Signer, SigningKey, Verified};
