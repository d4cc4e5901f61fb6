use anykv_core::KvStorage;
use anykv_fs::{FsOptions, FsStorage};
use std::time::Instant;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir_in("/work")?;
    let store = FsStorage::open(FsOptions::dir(dir.path()))?;
    let fill = |store: &FsStorage| -> Result<f64, Box<dyn std::error::Error>> {
        let t = Instant::now();
        for i in 0..n {
            store.set(&format!("k{i}"), b"0123456789", None)?;
        }
        Ok(t.elapsed().as_secs_f64())
    };
    println!("write {n}: {:.2}s", fill(&store)?);
    let t = Instant::now();
    store.clear()?;
    println!("clear: {:.2}s", t.elapsed().as_secs_f64());
    println!("write again: {:.2}s", fill(&store)?);
    let t = Instant::now();
    std::fs::remove_dir_all(store.dir())?;
    println!("remove_dir_all: {:.2}s", t.elapsed().as_secs_f64());
    std::fs::create_dir_all(store.dir())?;
    println!("write again: {:.2}s", fill(&store)?);
    let t = Instant::now();
    let st = std::process::Command::new("rm")
        .arg("-rf")
        .arg(store.dir())
        .status()?;
    println!("rm -rf: {:.2}s {st}", t.elapsed().as_secs_f64());
    Ok(())
}
