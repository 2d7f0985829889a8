//! The model stage: what the user gives and what the data reduce to.
//!
//! In: a network (weights W_1..W_{D+1}, activation degrees), its data (inline, CSV or NPY), a problem file.
//! Out: [`Network`] (forward pass, coefficient layout), [`Problem`] (network + [`Dataset`] + optional truth and
//! test set), and [`stats::SufficientStatistics`]: the fixed-size sums through which every [`Loss`] depends on
//! the data, computed in one streaming pass and merged across shards. [`synthetic`] draws problems following
//! the paper's protocol.

pub mod data;
pub mod loss;
pub mod network;
pub mod problem;
pub mod stats;
pub mod synthetic;

pub use loss::Loss;
pub use network::{CoefficientLayout, MAX_DEGREE, Matrix, Network};
pub use problem::{Dataset, Problem, coefficient_distance, example_3_4};
