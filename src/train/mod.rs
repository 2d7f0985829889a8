//! Local methods for the network problem, without a certificate: the baseline that the global fit is compared
//! with (multi-start Levenberg–Marquardt, Adam and SLP on the coefficients, [`baseline`]). The local refinement
//! of the hierarchy's candidates lives with the hierarchy, in [`crate::relax::polish`].

pub mod baseline;
