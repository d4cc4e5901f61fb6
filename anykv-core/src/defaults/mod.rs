//! The defaults of the store traits' provided methods, one function per operation and face:
//! each built on the required methods (and on other operations, so a backend's override of
//! those is used).

pub(crate) mod blocking;
pub(crate) mod nonblocking;
