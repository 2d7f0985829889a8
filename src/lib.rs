//! polyact: learn the coefficients of polynomial activation functions globally, with a certificate,
//! by the Moment-SOS hierarchy.
//!
//! The modules follow the pipeline, and data flows one way:
//! [`network`] (model, forward pass, symbolic mean output) → [`pop`] (polynomial problem for a loss) →
//! [`relaxation`] (moment and localizing matrices of order k) → [`sdp`] (interior-point solver) →
//! [`extraction`] (flat truncation, minimizers, certificate) → [`report`] (JSON, tables).
//! [`stats`] computes the sufficient statistics of the data (one streaming pass; shards merge) from which
//! [`pop`] builds the loss.
//! [`hierarchy`] drives the orders k0, k0+1, … and ties the stages together.

pub mod certificate;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod experiments;
pub mod extraction;
pub mod fit;
pub mod hierarchy;
pub mod local;
pub mod network;
pub mod plot;
pub mod polynomial;
pub mod pop;
pub mod relaxation;
pub mod report;
pub mod rng;
pub mod sdp;
pub mod stats;
pub mod synthetic;
pub mod training;

pub use error::{Error, Result};
pub use polynomial::{Monomial, MonomialBasis, Polynomial};
pub use pop::Pop;
