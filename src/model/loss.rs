//! The training losses. The statistics pass needs the loss's kind (which sums to keep), the POP builder its
//! formula; both see it here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A training loss.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
pub enum Loss {
    /// ‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞ (the paper's loss).
    #[default]
    #[serde(rename = "mean-inf")]
    #[value(name = "mean-inf")]
    MeanInf,
    /// (1/N) Σ_i ‖f(x_i; c) − y_i‖₂² (least squares; an unconstrained POP of degree 2·deg f).
    #[serde(rename = "lsq")]
    #[value(name = "lsq")]
    Lsq,
    /// max_i ‖f(x_i; c) − y_i‖_∞ (minimax over samples: θ ± r_ij ≥ 0 for every sample and output).
    #[serde(rename = "max-inf")]
    #[value(name = "max-inf")]
    MaxInf,
}

impl Loss {
    /// Every loss.
    pub const ALL: &'static [Loss] = &[Loss::MeanInf, Loss::Lsq, Loss::MaxInf];

    /// True when the POP is in epigraph form (a variable θ after the unknowns).
    pub fn has_theta(self) -> bool {
        !matches!(self, Loss::Lsq)
    }

    /// The loss's name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanInf => "mean-inf",
            Loss::Lsq => "lsq",
            Loss::MaxInf => "max-inf",
        }
    }

    /// One-line formula for reports.
    pub fn description(self) -> &'static str {
        match self {
            Loss::MeanInf => "‖(1/N) Σ_i (f(x_i; c) − y_i)‖_∞",
            Loss::Lsq => "(1/N) Σ_i ‖f(x_i; c) − y_i‖₂²",
            Loss::MaxInf => "max_i ‖f(x_i; c) − y_i‖_∞",
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Loss {
    type Err = Error;
    fn from_str(s: &str) -> Result<Loss> {
        Loss::ALL
            .iter()
            .copied()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Loss::ALL.iter().map(|l| l.name()).collect();
                Error::InvalidInput(format!(
                    "unknown loss \"{s}\" (known: {})",
                    names.join(", ")
                ))
            })
    }
}
