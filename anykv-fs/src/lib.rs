#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod attributes;
mod caps;
mod config;
mod error;
mod format;
mod keys;
mod layout;
mod readable_names;
mod staged;
mod store;
mod streams;
mod sys;

pub use config::{FsOptions, Layout, Root, DEFAULT_MAX_VALUE_LEN};
pub use store::{FsStorage, ABANDONED_TEMP_AGE};
pub use streams::FsValueReader;
