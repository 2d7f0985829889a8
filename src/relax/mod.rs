//! The relaxation stage: from a POP to certified bounds and minimizers.
//!
//! In: a [`Pop`](crate::pop::Pop). Out: for each order k, the moment relaxation as an
//! [`SdpProblem`](crate::sdp::SdpProblem) ([`moment`]), its solution's lower bound, flat-truncation test and
//! extracted minimizers ([`extraction`]), candidates polished locally ([`polish`]), the SOS certificate and its
//! independent check ([`certificate`]); [`hierarchy`] runs the orders k0, k0+1, … and decides when to stop.

pub mod certificate;
pub mod extraction;
pub mod hierarchy;
pub mod moment;
pub mod polish;
pub mod verified;

pub use moment::MomentRelaxation;
