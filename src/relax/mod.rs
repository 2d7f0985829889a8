//! The relaxation stage: from a POP to certified bounds and minimizers.
//!
//! In: a [`Pop`](crate::pop::Pop). Out: for each order k, the moment relaxation as an
//! [`SdpProblem`](crate::sdp::SdpProblem) ([`moment`]), its solution's lower bound, flat-truncation test and
//! extracted minimizers ([`extraction`]), candidates polished locally ([`polish`]), the SOS certificate and its
//! independent check ([`certificate`]); [`hierarchy`] runs the orders k0, k0+1, … and decides when to stop, telling
//! its caller what it does ([`events`]) and what each order will cost before it starts ([`cost`]).

pub mod certificate;
pub mod cost;
pub mod events;
pub mod extraction;
pub mod hierarchy;
pub mod moment;
pub mod polish;
pub mod sparsity;
pub mod verified;

pub use moment::MomentRelaxation;
