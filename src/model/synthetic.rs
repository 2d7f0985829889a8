//! Synthetic problems following the paper's protocol: random weights, random coefficients (c_{l,0} = 1 for
//! inner layers), random inputs, and outputs y_i = f(x_i; c_true) + σ ε_i with ε_i standard normal.
//!
//! The paper does not fix the distributions. polyact draws
//! - weights W_l with entries N(0, 1/m_{l−1}), so that W_l h has O(1) entries when h does;
//! - inputs x_i with entries N(0, 1);
//! - coefficients c_{l,j} (the unknown ones) uniform on [−1, 1];
//! - biases (only with [`SyntheticSpec::biases`]; zero otherwise) b_l with entries N(0, 1/4), drawn from a
//!   second generator seeded from the seed, so that the weights, coefficients and inputs are those of the same
//!   seed without biases;
//!
//! which keeps the network's values O(1) at widths 20–40 and degrees up to 3. Same seed ⇒ same problem on
//! every machine ([`Rng`] is portable).

use crate::error::Result;
use crate::model::{CoefficientLayout, Dataset, Network, Problem};
use crate::rng::Rng;

/// What to generate.
#[derive(Clone, Debug)]
pub struct SyntheticSpec {
    /// Activation degrees d_1..d_D.
    pub degrees: Vec<usize>,
    /// Widths m_0..m_{D+1}.
    pub widths: Vec<usize>,
    /// Number of training samples N.
    pub samples: usize,
    /// Number of held-out test samples (0 = none).
    pub test_samples: usize,
    /// Noise level σ.
    pub noise: f64,
    /// Seed.
    pub seed: u64,
    /// Draw biases b_1..b_{D+1} (entries N(0, 1/4)); without, every bias is zero.
    pub biases: bool,
}

/// Standard deviation of the drawn biases.
pub const BIAS_SD: f64 = 0.5;

/// Generate a problem (with `true_coefficients`, and a test set when asked).
pub fn generate(spec: &SyntheticSpec) -> Result<Problem> {
    let mut rng = Rng::new(spec.seed);
    if spec.widths.len() != spec.degrees.len() + 2 {
        crate::invalid!(
            "{} degrees need {} widths (m_0..m_{{D+1}}), got {}",
            spec.degrees.len(),
            spec.degrees.len() + 2,
            spec.widths.len()
        );
    }
    if let Some(i) = spec.widths.iter().position(|&m| m == 0) {
        crate::invalid!("width m_{i} is 0 (in --widths): every width must be at least 1");
    }
    if spec.samples == 0 {
        crate::invalid!("no samples: --samples must be at least 1");
    }
    if !(spec.noise.is_finite() && spec.noise >= 0.0) {
        crate::invalid!("the noise level must be a nonnegative number");
    }
    let weights: Vec<Vec<Vec<f64>>> = spec
        .widths
        .windows(2)
        .map(|w| {
            let sd = 1.0 / (w[0] as f64).sqrt();
            (0..w[1])
                .map(|_| (0..w[0]).map(|_| sd * rng.normal()).collect())
                .collect()
        })
        .collect();
    let mut network = Network::new(weights, spec.degrees.clone())?;
    if spec.biases {
        let mut brng = Rng::new(spec.seed ^ 0x6269_6173_6573_0000);
        let biases = spec.widths[1..]
            .iter()
            .map(|&m| (0..m).map(|_| BIAS_SD * brng.normal()).collect())
            .collect();
        network = network.with_biases(biases)?;
    }
    let layout = CoefficientLayout::new(&spec.degrees);
    let unknowns: Vec<f64> = (0..layout.num_unknowns())
        .map(|_| rng.uniform_in(-1.0, 1.0))
        .collect();
    let coefficients = layout.full_coefficients(&unknowns);
    let mut draw = |n: usize| {
        let inputs: Vec<Vec<f64>> = (0..n)
            .map(|_| (0..spec.widths[0]).map(|_| rng.normal()).collect())
            .collect();
        let outputs = inputs
            .iter()
            .map(|x| {
                network
                    .forward(&coefficients, x)
                    .into_iter()
                    .map(|v| v + spec.noise * rng.normal())
                    .collect()
            })
            .collect();
        Dataset { inputs, outputs }
    };
    let data = draw(spec.samples);
    let test = (spec.test_samples > 0).then(|| draw(spec.test_samples));
    Ok(Problem {
        network,
        data,
        true_coefficients: Some(coefficients),
        test,
    })
}
