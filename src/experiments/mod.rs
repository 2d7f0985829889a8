//! The paper's experiments and what is drawn from a fit: [`tables`] reproduces Tables 1–5 (synthetic problems,
//! global fit, local baseline), [`evaluate`] computes train/test errors of a report, [`plot`] draws Figure 1 and
//! the global-vs-local histograms.

pub mod evaluate;
pub mod plot;
pub mod tables;

pub use tables::*;
