//! Verified arithmetic, re-exported from the foundation module [`crate::verified`] (the SDP stage uses it too).

pub use crate::verified::*;
