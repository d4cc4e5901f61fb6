//! [`Lua`]: the store's scripts (the `.lua` files beside this module), sent by their SHA1
//! (`EVALSHA`) so a call carries its arguments only, never the script's text.
//!
//! A server that does not know a script yet (started since, or `SCRIPT FLUSH`ed) answers
//! `NOSCRIPT` without running anything: a plan of that one command is sent again as `EVAL`
//! (which also caches the script for the next `EVALSHA`). A plan of several commands sends its
//! scripts as `EVAL` from the start, since a pipeline's other commands would have run already.

use std::sync::OnceLock;

use redis::{Arg, Cmd};

/// A script and its SHA1, computed on first use.
pub(crate) struct Lua {
    code: &'static str,
    sha: OnceLock<String>,
}

impl Lua {
    /// The script `code`.
    pub(crate) const fn new(code: &'static str) -> Self {
        Lua {
            code,
            sha: OnceLock::new(),
        }
    }

    fn sha(&self) -> &str {
        self.sha
            .get_or_init(|| redis::Script::new(self.code).get_hash().to_owned())
    }

    /// `EVALSHA <sha> <number of keys>`, for the keys and arguments to follow.
    pub(crate) fn call(&self, keys: usize) -> Cmd {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(self.sha()).arg(keys);
        cmd
    }

    /// `call` as `EVAL <script> …`: the same keys and arguments, the script in full.
    pub(crate) fn in_full(&self, call: &Cmd) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(self.code);
        for arg in call.args_iter().skip(2) {
            if let Arg::Simple(bytes) = arg {
                cmd.arg(bytes);
            }
        }
        cmd
    }
}

/// Whether a server answered that it does not know the script.
pub(crate) fn is_unknown_script(error: &redis::RedisError) -> bool {
    error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_in_full_carries_the_same_keys_and_arguments() {
        static SCRIPT: Lua = Lua::new("return KEYS[1]");
        let mut call = SCRIPT.call(1);
        call.arg("key").arg(b"value\xff".as_slice());
        let full = SCRIPT.in_full(&call);
        let args = |cmd: &Cmd| -> Vec<Vec<u8>> {
            cmd.args_iter()
                .filter_map(|arg| match arg {
                    Arg::Simple(bytes) => Some(bytes.to_vec()),
                    _ => None,
                })
                .collect()
        };
        let sha = redis::Script::new("return KEYS[1]").get_hash().to_owned();
        assert_eq!(
            args(&call),
            [
                b"EVALSHA".to_vec(),
                sha.into_bytes(),
                b"1".to_vec(),
                b"key".to_vec(),
                b"value\xff".to_vec()
            ]
        );
        assert_eq!(
            args(&full),
            [
                b"EVAL".to_vec(),
                b"return KEYS[1]".to_vec(),
                b"1".to_vec(),
                b"key".to_vec(),
                b"value\xff".to_vec()
            ]
        );
    }
}
