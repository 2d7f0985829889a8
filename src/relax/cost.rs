//! The size and predicted cost of a moment relaxation, computed from the POP alone (nothing is allocated), in
//! floating point so that no order overflows.
//!
//! One interior-point iteration costs an assembly of the dense Schur complement (m × m, m = moments − 1) and
//! its Cholesky factorization (m³/3 multiply-adds), plus directions and step lengths (a fraction of the two).
//! The rates below turn counts into seconds; they were measured on the 2-core machine of docs/BENCHMARKS.md
//! with `polyact fit P.json --order K --max-order K --verbose`, whose last line per solve splits the time into
//! assembly, factorization and directions, on problems written by `polyact generate --widths 20,20,20,20
//! --samples 50 --seed 1` with `--degrees 2,2` (orders 2–4) and `--degrees 2,3` (order 3). A busy machine is
//! slower: a prediction says how long an order takes, to a factor of two.

use std::collections::HashSet;

use serde::Serialize;

use crate::polynomial::Monomial;
use crate::pop::Pop;

/// Multiply-adds per second of the Schur complement's Cholesky factorization (faer, two threads), on a quiet
/// machine: the order-4 relaxation of a (2,3) network (m = 6434, 8.9·10¹⁰ multiply-adds per factorization)
/// took 85 s for its 43 iterations, at most 2.0 s per iteration with the assembly and both solves'
/// candidates. A loaded machine was 2.5 times slower (m = 3002: 0.435 s for 9.0·10⁹ multiply-adds at load
/// 9–13); an order that runs past the time left is stopped by the solver's own limit.
pub const FACTORIZATION_RATE: f64 = 5.0e10;

/// Scattered updates per second of the Schur complement's assembly ([`RelaxationSize::assembly_updates`]).
pub const ASSEMBLY_RATE: f64 = 2.0e9;

/// Directions, step lengths and the rest of an iteration, as a fraction of assembly plus factorization
/// (measured 12–15%).
pub const OVERHEAD: f64 = 0.15;

/// Typical interior-point iterations of one order (both solves: the relaxation and the low-rank step). The
/// order-2 and order-3 relaxations of the generated networks took 20–30, order 4 35–45.
pub fn typical_iterations(order: usize) -> f64 {
    match order {
        0..=3 => 28.0,
        _ => 42.0,
    }
}

/// Size and predicted cost of the order-k moment relaxation of a POP ([`RelaxationSize::new`]).
///
/// Counts are `f64`: exact below 2⁵³, and of the right magnitude beyond (an order that large cannot be solved,
/// but its size is still stated correctly).
#[derive(Clone, Debug, Serialize)]
pub struct RelaxationSize {
    /// The order k.
    pub order: usize,
    /// Number of POP variables n.
    pub nvars: usize,
    /// Moments of degree ≤ 2k, C(n + 2k, 2k) (SDP variables + 1).
    pub moments: f64,
    /// Side of the moment matrix M_k, C(n + k, k) (of its largest block, under term sparsity).
    pub moment_matrix: f64,
    /// Sides of the blocks of the moment matrix: one, of side [`Self::moment_matrix`], for a dense
    /// relaxation; several under term sparsity.
    pub moment_blocks: Vec<f64>,
    /// Sides of the dense localizing blocks, one per inequality of degree below 2k (in the POP's order).
    pub localizing: Vec<f64>,
    /// Entries of the diagonal block: the inequalities of degree 2k − 1 or 2k (localizing matrices of size 1).
    pub diagonal: usize,
    /// Equality rows of the SDP: Σ over equalities h of C(n + 2k − deg h, 2k − deg h).
    pub equality_rows: f64,
    /// Estimated bytes of the interior-point method (as [`crate::sdp::SdpProblem::memory_estimate`]: the
    /// Schur complement, a dozen copies of every block, the equality system).
    pub bytes: f64,
    /// Multiply-adds of one Cholesky factorization of the Schur complement, (m − 1)³/3.
    pub factorization_flops: f64,
    /// Scattered updates of one assembly of the Schur complement: s⁴/2 for the moment matrix (s its side),
    /// |Γ|²ℓ²/2 per group of localizing blocks of one degree (Γ the union of their supports, ℓ the number of
    /// moments of one localizing matrix), and |supp g|²/2 per diagonal entry.
    pub assembly_updates: f64,
    /// Predicted seconds of one iteration (from [`FACTORIZATION_RATE`], [`ASSEMBLY_RATE`], [`OVERHEAD`]).
    pub seconds_per_iteration: f64,
    /// Predicted iterations ([`typical_iterations`]).
    pub iterations: f64,
    /// Predicted seconds of the order: iterations × seconds per iteration.
    pub seconds: f64,
}

/// C(n + d, d) in floating point: exact while the intermediate values stay below 2⁵³ (each is an integer).
pub fn monomial_count_f64(n: usize, d: usize) -> f64 {
    let mut r = 1.0f64;
    for i in 1..=d {
        r = r * (n + i) as f64 / i as f64;
    }
    r.round()
}

impl RelaxationSize {
    /// The size of the order-`order` relaxation of `pop`, with the blocks [`super::moment::MomentRelaxation::new`]
    /// builds (zero constraints dropped, those of size 1 grouped into one diagonal block).
    pub fn new(pop: &Pop, order: usize) -> RelaxationSize {
        Self::with_row_variables(pop, order, pop.nvars(), &[])
    }

    /// Estimated bytes of the low-rank path ([`crate::sdp::lowrank::memory_estimate`], which it checks once the
    /// relaxation is built): sixteen copies of the blocks, eight of the variables and of factors of at most
    /// `max_rank` columns; no m × m matrix.
    pub fn low_rank_bytes(&self, max_rank: usize) -> f64 {
        let sides = self.moment_blocks.iter().chain(&self.localizing);
        let entries: f64 = sides.clone().map(|s| s * s).sum::<f64>() + self.diagonal as f64;
        let factors: f64 = sides
            .map(|s| s * s.min(max_rank as f64).max(1.0))
            .sum::<f64>()
            + self.diagonal as f64;
        8.0 * (16.0 * entries + 8.0 * (self.moments + factors))
    }

    /// The size of a relaxation whose row bases are graded bases in `row_vars` of the POP's variables (a
    /// θ-free relaxation, [`super::moment::MomentRelaxation::with_structure`]), where the inequalities with
    /// `scalar[j]` set are localized as scalars (those linear in a free variable); its moments are
    /// C(r + 2k, 2k) + f (r row variables, f = n − r free ones t, whose only moments are the y_t).
    pub fn with_row_variables(
        pop: &Pop,
        order: usize,
        row_vars: usize,
        scalar: &[bool],
    ) -> RelaxationSize {
        let nvars = pop.nvars();
        let n = row_vars.min(nvars);
        let moments = monomial_count_f64(n, 2 * order) + (nvars - n) as f64;
        let moment_matrix = monomial_count_f64(n, order);
        let mut localizing = vec![];
        let mut diagonal = 0usize;
        let mut diagonal_updates = 0.0;
        // Localizing blocks grouped by their half-degree dj: the union of supports and ℓ.
        let mut groups: Vec<(usize, HashSet<&Monomial>)> = vec![];
        for (j, g) in pop.inequalities.iter().enumerate() {
            if g.max_abs_coefficient() == 0.0 {
                continue;
            }
            let dj = (g.degree() as usize).div_ceil(2);
            if dj >= order || scalar.get(j).copied().unwrap_or(false) {
                diagonal += 1;
                let t = g.terms().count() as f64;
                diagonal_updates += 0.5 * t * t;
                continue;
            }
            localizing.push(monomial_count_f64(n, order - dj));
            let support = g.terms().map(|(a, _)| a);
            match groups.iter_mut().find(|(d, _)| *d == dj) {
                Some((_, s)) => s.extend(support),
                None => groups.push((dj, support.collect())),
            }
        }
        let equality_rows: f64 = pop
            .equalities
            .iter()
            .filter(|h| h.max_abs_coefficient() != 0.0 && (h.degree() as usize) <= 2 * order)
            .map(|h| monomial_count_f64(n, 2 * order - h.degree() as usize))
            .sum();
        let dense: f64 = std::iter::once(moment_matrix)
            .chain(localizing.iter().copied())
            .map(|s| s * s)
            .sum();
        let l = equality_rows;
        let m = moments;
        let bytes = 8.0 * (m * m + 12.0 * (dense + diagonal as f64) + 8.0 * m + l * m + l * l);
        let group_updates: f64 = groups
            .iter()
            .map(|(dj, support)| {
                let ell = monomial_count_f64(n, 2 * (order - dj));
                let gamma = support.len() as f64;
                0.5 * gamma * gamma * ell * ell
            })
            .sum();
        let assembly_updates = 0.5 * moment_matrix.powi(4) + group_updates + diagonal_updates;
        Self::from_blocks(
            order,
            nvars,
            moments,
            vec![moment_matrix],
            localizing,
            diagonal,
            equality_rows,
            bytes,
            assembly_updates,
        )
    }

    /// The predicted cost of a relaxation with these blocks (built: [`super::moment::MomentRelaxation::size`]).
    #[allow(clippy::too_many_arguments)]
    pub fn from_blocks(
        order: usize,
        nvars: usize,
        moments: f64,
        moment_blocks: Vec<f64>,
        localizing: Vec<f64>,
        diagonal: usize,
        equality_rows: f64,
        bytes: f64,
        assembly_updates: f64,
    ) -> RelaxationSize {
        let factorization_flops = (moments - 1.0).powi(3) / 3.0;
        let seconds_per_iteration = (1.0 + OVERHEAD)
            * (factorization_flops / FACTORIZATION_RATE + assembly_updates / ASSEMBLY_RATE);
        let iterations = typical_iterations(order);
        RelaxationSize {
            order,
            nvars,
            moments,
            moment_matrix: moment_blocks.iter().copied().fold(0.0, f64::max),
            moment_blocks,
            localizing,
            diagonal,
            equality_rows,
            bytes,
            factorization_flops,
            assembly_updates,
            seconds_per_iteration,
            iterations,
            seconds: iterations * seconds_per_iteration,
        }
    }

    /// The order and its size, e.g. "order 3 (924 moments, M_3 84×84, 12 localizing blocks up to 28×28,
    /// diagonal 40; about 7.9 MB)".
    pub fn describe_size(&self) -> String {
        let s = format_count(self.moment_matrix);
        let mut text = format!(
            "order {} ({} moments, M_{} {s}×{s}",
            self.order,
            format_count(self.moments),
            self.order
        );
        if self.moment_blocks.len() > 1 {
            text = format!(
                "order {} ({} moments, M_{} in {} blocks up to {s}×{s}",
                self.order,
                format_count(self.moments),
                self.order,
                self.moment_blocks.len()
            );
        }
        if let Some(largest) = self.localizing.iter().copied().reduce(f64::max) {
            let l = format_count(largest);
            text.push_str(&format!(
                ", {} localizing block{} up to {l}×{l}",
                self.localizing.len(),
                if self.localizing.len() == 1 { "" } else { "s" }
            ));
        }
        if self.diagonal > 0 {
            text.push_str(&format!(", diagonal {}", self.diagonal));
        }
        text.push_str(&format!("; about {})", format_bytes(self.bytes)));
        text
    }

    /// [`Self::describe_size`] with the predicted time: "… about 7.9 MB), predicted 0.6 s (28 iterations of
    /// 21 ms)".
    pub fn describe(&self) -> String {
        format!(
            "{}, predicted {} ({:.0} iterations of {})",
            self.describe_size(),
            format_seconds(self.seconds),
            self.iterations,
            format_seconds(self.seconds_per_iteration)
        )
    }
}

/// A count: the integer below 10¹⁵, else in scientific notation.
pub fn format_count(v: f64) -> String {
    if v < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.3e}")
    }
}

/// Bytes in decimal units (kB … EB), beyond an exabyte in scientific notation.
pub fn format_bytes(b: f64) -> String {
    const UNITS: [(&str, f64); 6] = [
        ("EB", 1e18),
        ("PB", 1e15),
        ("TB", 1e12),
        ("GB", 1e9),
        ("MB", 1e6),
        ("kB", 1e3),
    ];
    if b >= 1e21 {
        return format!("{b:.3e} bytes");
    }
    for (unit, scale) in UNITS {
        if b >= scale {
            return format!("{:.1} {unit}", b / scale);
        }
    }
    format!("{b:.0} bytes")
}

/// Seconds as s, min, h, days, years.
pub fn format_seconds(s: f64) -> String {
    if s == 0.0 {
        "0 s".into()
    } else if s < 0.1 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else if s < 86400.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s < 365.0 * 86400.0 {
        format!("{:.1} days", s / 86400.0)
    } else {
        format!("{:.2e} years", s / (365.25 * 86400.0))
    }
}
