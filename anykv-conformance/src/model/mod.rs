//! The model-based property test: random operation sequences against the store and a model of
//! what a correct store may hold, on either face, with a seed that replays a failure.

mod face;
mod ops;
mod state;
mod step;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::{keys::nasty_keys, unique_namespace, Backend, CheckResult};
use face::{AsyncFace, Face, SyncFace};
use state::Model;
use step::Run;

/// The number of sequences per run unless `CONFORMANCE_CASES` says otherwise.
const DEFAULT_CASES: u32 = 32;
/// The longest sequence drawn.
const MAX_STEPS: usize = 40;

/// Which face of the store a model-based run drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceKind {
    /// [`KvStorage`](anykv_core::KvStorage), through [`Backend::open`].
    Sync,
    /// [`AsyncKvStorage`](anykv_core::AsyncKvStorage), through [`Backend::open_async`].
    Async,
}

/// How a model-based run draws its sequences.
#[derive(Debug, Clone, Copy)]
pub struct ModelRun {
    /// The face to drive.
    pub face: FaceKind,
    /// How many sequences to run.
    pub cases: u32,
    /// The seed of the random sequences: the same seed draws the same sequences.
    pub seed: u64,
}

impl ModelRun {
    /// A run of `face` with `CONFORMANCE_CASES` sequences (32 by default) and the seed of
    /// `CONFORMANCE_SEED` (a new random one by default; a failure prints it).
    pub fn from_env(face: FaceKind) -> Result<Self, String> {
        let cases = match std::env::var("CONFORMANCE_CASES") {
            Ok(text) => text
                .parse()
                .map_err(|_| format!("CONFORMANCE_CASES={text:?} is not a number"))?,
            Err(_) => DEFAULT_CASES,
        };
        let seed = match std::env::var("CONFORMANCE_SEED") {
            Ok(text) => text
                .parse()
                .map_err(|_| format!("CONFORMANCE_SEED={text:?} is not a number"))?,
            Err(_) => random_seed(),
        };
        Ok(ModelRun { face, cases, seed })
    }
}

/// A seed from the clock and the process: different in every run.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Runs random sequences of every operation on the sync face against the model, comparing every
/// result, and shrinks a failure to a minimal sequence. `CONFORMANCE_CASES` sets the number of
/// sequences (default 32), `CONFORMANCE_SEED` replays the sequences of a reported seed.
pub fn model_based(backend: &dyn Backend) -> CheckResult {
    run_model(backend, ModelRun::from_env(FaceKind::Sync)?)
}

/// [`model_based`] on the async face.
pub fn model_based_async(backend: &dyn Backend) -> CheckResult {
    run_model(backend, ModelRun::from_env(FaceKind::Async)?)
}

/// [`model_based`] with an explicit number of cases on the sync face and a random seed.
pub fn model_based_with_cases(backend: &dyn Backend, cases: u32) -> CheckResult {
    run_model(
        backend,
        ModelRun {
            face: FaceKind::Sync,
            cases,
            seed: random_seed(),
        },
    )
}

/// Runs the model-based test as `run` says.
pub fn run_model(backend: &dyn Backend, run: ModelRun) -> CheckResult {
    let (main, other) = (
        unique_namespace("model_main"),
        unique_namespace("model_other"),
    );
    let cannot_open = |e: anykv_core::Error| format!("cannot open a store: {e}");
    let face: Box<dyn Face> = match run.face {
        FaceKind::Sync => Box::new(SyncFace {
            main: backend.open(&main).map_err(cannot_open)?,
            other: backend.open(&other).map_err(cannot_open)?,
        }),
        FaceKind::Async => Box::new(AsyncFace {
            main: backend.open_async(&main).map_err(cannot_open)?,
            other: backend.open_async(&other).map_err(cannot_open)?,
            runtime: crate::runtime(2)?,
        }),
    };
    let keys = nasty_keys();
    let config = Config {
        cases: run.cases,
        max_shrink_iters: 512,
        failure_persistence: None,
        ..Config::default()
    };
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_mut(8) {
        chunk.copy_from_slice(&run.seed.to_le_bytes());
    }
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let strategy = proptest::collection::vec(ops::op(keys.len()), 1..MAX_STEPS);
    let short = backend.short_ttl();
    let outcome = runner.run(&strategy, |sequence| {
        let reset = face
            .clear(state::Ns::Main)
            .and_then(|()| face.clear(state::Ns::Other));
        reset.map_err(|e| TestCaseError::fail(format!("clear before the case: {e}")))?;
        let mut run = Run {
            face: face.as_ref(),
            keys: &keys,
            short,
            model: Model::new(short),
        };
        for step in &sequence {
            run.step(step).map_err(TestCaseError::fail)?;
        }
        run.compare_items(&ops::Op::Items)
            .map_err(|e| TestCaseError::fail(format!("items at the end: {e}")))
    });
    let _ = face
        .clear(state::Ns::Main)
        .and_then(|()| face.clear(state::Ns::Other));
    outcome.map_err(|error| {
        format!(
            "model-based test on the {:?} face failed (seed {seed}: replay with \
             CONFORMANCE_SEED={seed}, {cases} cases): {error}\n\
             key indexes refer to anykv_conformance::nasty_keys()",
            run.face,
            seed = run.seed,
            cases = run.cases,
        )
    })
}
