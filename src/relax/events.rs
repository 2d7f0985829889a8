//! What the hierarchy tells its caller while it runs ([`Event`]): each order's size and predicted cost before
//! it starts, every interior-point iteration, each order's result, and why it stops early.

use crate::relax::cost::RelaxationSize;
use crate::relax::hierarchy::OrderResult;
use crate::sdp::IterationInfo;

/// Which solve of an order an iteration belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SolveKind {
    /// The relaxation itself (the lower bound).
    Relaxation,
    /// The low-rank step: the relaxation with a small trace penalty, for candidates of low rank.
    LowRank,
}

impl SolveKind {
    /// A short name for progress lines.
    pub fn name(self) -> &'static str {
        match self {
            SolveKind::Relaxation => "relaxation",
            SolveKind::LowRank => "low-rank step",
        }
    }
}

/// An event of a hierarchy run ([`crate::relax::hierarchy::run`]).
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// An order is about to be solved: its size, memory and predicted time, and the seconds left of the time
    /// limit (if any).
    OrderStart {
        /// Size and predicted cost of the relaxation.
        size: &'a RelaxationSize,
        /// Seconds left of [`crate::relax::hierarchy::HierarchySettings::time_limit`].
        remaining_seconds: Option<f64>,
    },
    /// One interior-point iteration of one of the order's solves.
    Iteration {
        /// The order being solved.
        order: usize,
        /// Which solve.
        solve: SolveKind,
        /// The solver's measures at the iterate.
        info: &'a IterationInfo,
    },
    /// An order is done.
    OrderDone(&'a OrderResult),
    /// The hierarchy stops before its maximal order without a certificate (time limit or memory): why.
    Stopped(&'a str),
}
