//! polyact: learn the coefficients of polynomial activation functions globally, with a certificate,
//! by the Moment-SOS hierarchy.
//!
//! The folders follow the pipeline; a stage imports only the stages before it (docs/ARCHITECTURE.md):
//!
//! - [`polynomial`], [`error`], [`rng`], [`verified`]: the foundations every stage uses.
//! - [`model`]: networks, problem files, data, sufficient statistics.
//! - [`pop`]: polynomial optimization problems, their parser and file format, the network losses as POPs.
//! - [`sdp`]: block-diagonal SDPs, SDPA files, the interior-point solver ([`sdp::ipm`]).
//! - [`relax`]: moment relaxations, the hierarchy, extraction, candidate polish, SOS certificates.
//! - [`report`]: the fit report (text and JSON).
//! - [`fit`]: the entry points ([`fit::fit`], [`fit::solve_pop`]) and their settings.
//! - [`train`]: local training (the baseline), [`experiments`]: the paper's tables, evaluation, plots.
//! - [`progress`]: the terminal rendering of a run's progress (for the CLI).

pub mod error;
pub mod experiments;
pub mod fit;
pub mod model;
pub mod polynomial;
pub mod pop;
pub mod progress;
pub mod relax;
pub mod report;
pub mod rng;
pub mod sdp;
pub mod train;
pub mod verified;

pub use error::{Error, Result};
pub use polynomial::{Monomial, MonomialBasis, Polynomial};
pub use pop::Pop;
