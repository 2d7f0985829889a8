//! Block-diagonal semidefinite programs and a primal–dual interior-point solver.
//!
//! Form (SDPA's convention):
//!
//! ```text
//!   (P)  minimize   c₀ + Σᵢ cᵢ xᵢ      s.t.  X(x) = C₀ + Σᵢ xᵢ Fᵢ ⪰ 0
//!   (D)  maximize   c₀ − ⟨C₀, Y⟩       s.t.  ⟨Fᵢ, Y⟩ = cᵢ (i = 1..m),  Y ⪰ 0
//! ```
//!
//! where every matrix is block diagonal. C₀ is SDPA's −F₀. Weak duality: (P) − (D) = ⟨X(x), Y⟩ ≥ 0.
//! For a moment relaxation x is the moment vector (y₁, …, y_m), X(x) holds the moment and localizing matrices,
//! and Y holds the Gram matrices of the SOS multipliers (the certificate).
//!
//! Blocks describe their coefficient matrices structurally ([`ConstraintBlock`]): moment/localizing structure,
//! general sparse matrices, or diagonal (LP) rows. Dense Fᵢ are never formed for structured blocks.

pub mod admm;
pub mod block;
pub mod bound;
pub mod ipm;
pub mod lowrank;
pub mod sdpa;

use serde::Serialize;

pub use block::{
    BlockMatrix, ConstraintBlock, DiagonalBlock, LocalizingBlock, ShiftTerm, SparseBlock,
};
pub use bound::{
    FeasibleSetBounds, TraceWeights, ValidBound, valid_lower_bound, valid_lower_bound_weighted,
};
pub use ipm::{StartPoint, WarmStart, solve, solve_from, solve_monitored, solve_warm};

use crate::error::{Error, Result};

/// A method that solves an [`SdpProblem`]: the interior-point method (its settings, [`SdpSettings`]), the
/// first-order path ([`admm::AdmmSettings`]) or the low-rank path ([`lowrank::LowRankSettings`]). Both return an [`SdpSolution`] with the same statuses; the
/// first-order path also returns a lower bound valid by construction when given variable bounds.
pub trait SdpSolver {
    /// The method's name in reports: "ipm", "admm" or "lowrank".
    fn name(&self) -> &'static str;
    /// Solve from `start` (methods refuse the starts they do not take), showing `monitor` iterates; `bounds`
    /// (of the feasible set: Bᵢ ≥ |xᵢ|, weighted traces) let a method compute [`SdpSolution::valid_bound`].
    fn solve(
        &self,
        problem: &SdpProblem,
        start: StartPoint,
        bounds: Option<&FeasibleSetBounds>,
        monitor: &mut (dyn FnMut(&IterationInfo) -> std::ops::ControlFlow<()> + Send),
    ) -> Result<SdpSolution>;
}

impl SdpSolver for SdpSettings {
    fn name(&self) -> &'static str {
        "ipm"
    }

    fn solve(
        &self,
        problem: &SdpProblem,
        start: StartPoint,
        _bounds: Option<&FeasibleSetBounds>,
        monitor: &mut (dyn FnMut(&IterationInfo) -> std::ops::ControlFlow<()> + Send),
    ) -> Result<SdpSolution> {
        ipm::solve_monitored(problem, self, start, monitor)
    }
}

impl SdpSolver for admm::AdmmSettings {
    fn name(&self) -> &'static str {
        "admm"
    }

    fn solve(
        &self,
        problem: &SdpProblem,
        start: StartPoint,
        bounds: Option<&FeasibleSetBounds>,
        monitor: &mut (dyn FnMut(&IterationInfo) -> std::ops::ControlFlow<()> + Send),
    ) -> Result<SdpSolution> {
        admm::solve(problem, self, start, bounds, monitor)
    }
}

impl SdpSolver for lowrank::LowRankSettings {
    fn name(&self) -> &'static str {
        "lowrank"
    }

    fn solve(
        &self,
        problem: &SdpProblem,
        start: StartPoint,
        bounds: Option<&FeasibleSetBounds>,
        monitor: &mut (dyn FnMut(&IterationInfo) -> std::ops::ControlFlow<()> + Send),
    ) -> Result<SdpSolution> {
        lowrank::solve(problem, self, start, bounds, monitor)
    }
}

/// A block-diagonal SDP in the form described in the [module docs](self).
#[derive(Clone, Debug)]
pub struct SdpProblem {
    num_vars: usize,
    /// c, indexed 0..=m; c[0] is the constant term of the objective.
    objective: Vec<f64>,
    blocks: Vec<ConstraintBlock>,
    /// Linear equality constraints Σ coef · x[idx] = 0 over the full vector (idx 0 = the constant).
    equalities: Vec<Vec<(u32, f64)>>,
}

impl SdpProblem {
    /// Build an SDP with `num_vars` free variables, objective `objective` (length num_vars + 1, entry 0 being the
    /// constant) and the given blocks (variable index 0 in a block is the constant matrix C₀).
    pub fn new(
        num_vars: usize,
        objective: Vec<f64>,
        blocks: Vec<ConstraintBlock>,
    ) -> Result<SdpProblem> {
        if objective.len() != num_vars + 1 {
            return Err(Error::InvalidInput(format!(
                "SDP objective has {} entries, expected {} (constant + {num_vars} variables)",
                objective.len(),
                num_vars + 1
            )));
        }
        if let Some(i) = objective.iter().position(|c| !c.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "SDP objective coefficient {i} is not finite"
            )));
        }
        if blocks.is_empty() {
            return Err(Error::InvalidInput("SDP has no blocks".into()));
        }
        for (k, b) in blocks.iter().enumerate() {
            if b.dim() == 0 {
                return Err(Error::InvalidInput(format!("SDP block {} is empty", k + 1)));
            }
            if b.max_variable() > num_vars {
                return Err(Error::InvalidInput(format!(
                    "SDP block {} refers to variable {} but there are {num_vars}",
                    k + 1,
                    b.max_variable()
                )));
            }
        }
        Ok(SdpProblem {
            num_vars,
            objective,
            blocks,
            equalities: vec![],
        })
    }

    /// Add linear equality constraints Σ coef · `x[idx]` = 0 (rows over the full vector, idx 0 = the constant).
    /// The dual gains one free multiplier w per row: A(Y) + Eᵀw = c, objective c₀ − ⟨C₀, Y⟩ − w·e₀.
    pub fn with_equalities(mut self, rows: Vec<Vec<(u32, f64)>>) -> Result<SdpProblem> {
        for (r, row) in rows.iter().enumerate() {
            if let Some(&(i, _)) = row.iter().find(|(i, _)| *i as usize > self.num_vars) {
                return Err(Error::InvalidInput(format!(
                    "SDP equality {} refers to variable {i} but there are {}",
                    r + 1,
                    self.num_vars
                )));
            }
            if row.iter().any(|(_, c)| !c.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "SDP equality {} has a coefficient that is not finite",
                    r + 1
                )));
            }
        }
        self.equalities = rows;
        Ok(self)
    }

    /// The equality rows.
    pub fn equalities(&self) -> &[Vec<(u32, f64)>] {
        &self.equalities
    }

    /// E x for the full vector x (`x[0]` = 1 is the constant).
    pub fn equality_residual(&self, full: &[f64]) -> Vec<f64> {
        self.equalities
            .iter()
            .map(|r| r.iter().map(|&(i, c)| c * full[i as usize]).sum())
            .collect()
    }

    /// `out[i]` += (Eᵀ w)_i for every variable i (including 0).
    pub fn equality_adjoint_add(&self, w: &[f64], out: &mut [f64]) {
        for (r, &wr) in self.equalities.iter().zip(w) {
            for &(i, c) in r {
                out[i as usize] += c * wr;
            }
        }
    }

    /// Number of free variables m.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// Objective coefficients (index 0 = constant).
    pub fn objective(&self) -> &[f64] {
        &self.objective
    }

    /// The blocks.
    pub fn blocks(&self) -> &[ConstraintBlock] {
        &self.blocks
    }

    /// Total dimension Σ block sizes.
    pub fn total_dim(&self) -> usize {
        self.blocks.iter().map(|b| b.dim()).sum()
    }

    /// Number of stored entries of one block-diagonal matrix of the problem's shape (n_b² per dense block,
    /// n_b per diagonal one).
    pub fn block_entries(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| {
                if b.is_diagonal() {
                    b.dim()
                } else {
                    b.dim() * b.dim()
                }
            })
            .sum()
    }

    /// Bytes the interior-point method will allocate, dominated by the dense Schur complement (m+1)².
    pub fn memory_estimate(&self) -> usize {
        let m = self.num_vars + 1;
        let blocks = self.block_entries();
        let l = self.equalities.len();
        8 * (m * m + 12 * blocks + 8 * m + l * m + l * l)
    }

    /// X(x) for the full vector (x₀ = 1 is prepended here): the primal slack of `x` (length m).
    pub fn primal_slack(&self, x: &[f64]) -> Vec<BlockMatrix> {
        let full = full_vector(x);
        self.blocks.iter().map(|b| b.affine(&full)).collect()
    }

    /// (⟨Fᵢ, Y⟩)ᵢ for i = 0..=m (entry 0 is ⟨C₀, Y⟩).
    pub fn adjoint(&self, y: &[BlockMatrix]) -> Vec<f64> {
        let mut out = vec![0.0; self.num_vars + 1];
        for (b, m) in self.blocks.iter().zip(y) {
            b.adjoint_add(m, &mut out);
        }
        out
    }

    /// Primal objective c₀ + Σ cᵢ xᵢ.
    pub fn primal_objective(&self, x: &[f64]) -> f64 {
        self.objective[0]
            + self.objective[1..]
                .iter()
                .zip(x)
                .map(|(c, v)| c * v)
                .sum::<f64>()
    }

    /// Check a solution independently of the solver: recompute X(x) and A(Y) from the data and measure
    /// feasibility, PSD-ness by eigenvalues, and the duality gap.
    pub fn check(&self, x: &[f64], y: &[BlockMatrix]) -> SdpCheck {
        self.check_with_multipliers(x, y, &[])
    }

    /// [`Self::check`] for a problem with equality constraints: `w` are their multipliers; the equality
    /// residual ‖E x‖ is added to `equality_residual`.
    pub fn check_with_multipliers(&self, x: &[f64], y: &[BlockMatrix], w: &[f64]) -> SdpCheck {
        let xs = self.primal_slack(x);
        let mut aty = self.adjoint(y);
        self.equality_adjoint_add(w, &mut aty);
        let eq = self.equality_residual(&full_vector(x));
        let equality_residual = eq.iter().map(|v| v * v).sum::<f64>().sqrt();
        let c = &self.objective;
        let cnorm = c[1..].iter().map(|v| v * v).sum::<f64>().sqrt();
        let dual_residual = c[1..]
            .iter()
            .zip(&aty[1..])
            .map(|(ci, ai)| (ci - ai).powi(2))
            .sum::<f64>()
            .sqrt()
            / (1.0 + cnorm);
        let xnorm = xs.iter().map(|b| b.norm().powi(2)).sum::<f64>().sqrt();
        let ynorm = y.iter().map(|b| b.norm().powi(2)).sum::<f64>().sqrt();
        let min_x = xs
            .iter()
            .map(BlockMatrix::min_eigenvalue)
            .fold(f64::INFINITY, f64::min);
        let min_y = y
            .iter()
            .map(BlockMatrix::min_eigenvalue)
            .fold(f64::INFINITY, f64::min);
        let pobj = self.primal_objective(x);
        let dobj = c[0] - aty[0];
        SdpCheck {
            primal_objective: pobj,
            dual_objective: dobj,
            dual_residual,
            primal_min_eigenvalue: min_x / (1.0 + xnorm),
            dual_min_eigenvalue: min_y / (1.0 + ynorm),
            relative_gap: (pobj - dobj).abs() / (1.0 + pobj.abs() + dobj.abs()),
            equality_residual,
        }
    }
}

/// The checks every path that starts from a primal point shares (the first-order and low-rank paths), and
/// its start: no equality constraints, variable bounds of the right length, and x = 0 for
/// [`StartPoint::Standard`] or the given finite x for [`StartPoint::Primal`]; an interior-point warm start is
/// refused. `path` names the method in the errors.
pub(crate) fn primal_start(
    problem: &SdpProblem,
    start: StartPoint,
    bounds: Option<&FeasibleSetBounds>,
    path: &str,
) -> Result<Vec<f64>> {
    let m = problem.num_vars();
    if !problem.equalities().is_empty() {
        return Err(Error::InvalidInput(format!(
            "the {path} does not take equality constraints"
        )));
    }
    if let Some(b) = bounds.filter(|b| b.variables.len() != m) {
        return Err(Error::InvalidInput(format!(
            "{} variable bounds for an SDP with {m} variables",
            b.variables.len()
        )));
    }
    match start {
        StartPoint::Standard => Ok(vec![0.0; m]),
        StartPoint::Primal(x0) => {
            if x0.len() != m {
                return Err(Error::InvalidInput(format!(
                    "the starting point has {} values, the SDP has {m} variables",
                    x0.len()
                )));
            }
            if let Some(i) = x0.iter().position(|v| !v.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "value {} of the starting point is not finite",
                    i + 1
                )));
            }
            Ok(x0.to_vec())
        }
        StartPoint::Warm(_) => Err(Error::InvalidInput(format!(
            "the {path} does not start from an interior-point iterate"
        ))),
    }
}

/// [x₀ = 1, x₁, …, x_m].
pub(crate) fn full_vector(x: &[f64]) -> Vec<f64> {
    let mut full = Vec::with_capacity(x.len() + 1);
    full.push(1.0);
    full.extend_from_slice(x);
    full
}

/// An independent check of an SDP solution (see [`SdpProblem::check`]).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SdpCheck {
    /// c₀ + c·x.
    pub primal_objective: f64,
    /// c₀ − ⟨C₀, Y⟩.
    pub dual_objective: f64,
    /// ‖c − A(Y)‖ / (1 + ‖c‖).
    pub dual_residual: f64,
    /// λ_min(X(x)) / (1 + ‖X(x)‖): ≥ 0 up to rounding for a feasible x.
    pub primal_min_eigenvalue: f64,
    /// λ_min(Y) / (1 + ‖Y‖).
    pub dual_min_eigenvalue: f64,
    /// |primal − dual| / (1 + |primal| + |dual|).
    pub relative_gap: f64,
    /// ‖E x‖ of the equality constraints (0 without any).
    pub equality_residual: f64,
}

impl SdpCheck {
    /// True when every measure is within `tol`.
    pub fn holds(&self, tol: f64) -> bool {
        self.dual_residual <= tol
            && self.equality_residual <= tol
            && self.primal_min_eigenvalue >= -tol
            && self.dual_min_eigenvalue >= -tol
            && self.relative_gap <= tol
    }
}

/// How a solve ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SdpStatus {
    /// Relative gap and both infeasibilities within the tolerance.
    Optimal,
    /// Within 1e3 × the tolerance, but no further progress was possible.
    NearOptimal,
    /// (P) is infeasible: Y ⪰ 0 with A(Y) ≈ 0 and ⟨C₀, Y⟩ < 0 was found.
    PrimalInfeasible,
    /// (D) is infeasible ((P) unbounded): a direction d with Σ dᵢFᵢ ⪰ 0 and c·d < 0 was found.
    DualInfeasible,
    /// No progress; the best point found is returned.
    Stalled,
    /// The iteration limit was reached.
    IterationLimit,
    /// The time limit ([`SdpSettings::time_limit`]) was reached; the best iterate found is returned.
    TimeLimit,
    /// The monitor of [`solve_monitored`] asked the solve to stop; the iterate it was shown is returned.
    Interrupted,
}

impl std::fmt::Display for SdpStatus {
    /// Its name in reports, as in JSON: "optimal", "near_optimal", "time_limit", …
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SdpStatus::Optimal => "optimal",
            SdpStatus::NearOptimal => "near_optimal",
            SdpStatus::PrimalInfeasible => "primal_infeasible",
            SdpStatus::DualInfeasible => "dual_infeasible",
            SdpStatus::Stalled => "stalled",
            SdpStatus::IterationLimit => "iteration_limit",
            SdpStatus::TimeLimit => "time_limit",
            SdpStatus::Interrupted => "interrupted",
        })
    }
}

impl SdpStatus {
    /// True for `Optimal` and `NearOptimal`.
    pub fn is_solved(self) -> bool {
        matches!(self, SdpStatus::Optimal | SdpStatus::NearOptimal)
    }
}

/// Residuals and gap as measured by the solver at its final iterate.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct SdpResiduals {
    /// ‖X(x) − X‖_F / (1 + ‖C₀‖_F).
    pub primal_infeasibility: f64,
    /// ‖c − A(Y)‖₂ / (1 + ‖c‖₂).
    pub dual_infeasibility: f64,
    /// |primal − dual| / (1 + |primal| + |dual|).
    pub relative_gap: f64,
}

/// Solver settings; `Default` gives the documented values.
#[derive(Clone, Debug)]
pub struct SdpSettings {
    /// Maximal number of iterations (default 100).
    pub max_iterations: usize,
    /// Tolerance on relative gap and infeasibilities (default 1e-8).
    pub tolerance: f64,
    /// Tolerance of infeasibility certificates (default 1e-8).
    pub infeasibility_tolerance: f64,
    /// Fraction of the step to the boundary after short steps (default 0.9); it rises linearly to 0.99 as the
    /// primal and dual step lengths approach one.
    pub step_fraction: f64,
    /// Maximal number of centrality correctors per iteration (Gondzio; default 1, 0 = plain Mehrotra).
    pub centrality_correctors: usize,
    /// Centrality correctors are used only for SDPs with at least this many variables (default 1200). Each
    /// costs a solve with the factored Schur complement, a step-length search, and an eigendecomposition per
    /// block; it saves iterations, and an iteration costs an assembly and a factorization of the Schur
    /// complement, which grow like m³. With a busy-waiting worker, the correctors made the order-3
    /// relaxations with m = 461 15% slower and those with m = 923 5–6% slower, and those with m = 1715 1–4%
    /// faster; on SDPLIB (m ≤ 498) they cost time on every problem and kept control2 from reaching the
    /// tolerance (docs/BENCHMARKS.md).
    pub centrality_min_vars: usize,
    /// Print one line per iteration to stderr (default false).
    pub verbose: bool,
    /// Refuse problems whose estimated memory exceeds this many bytes (default 16 GiB).
    pub max_memory_bytes: usize,
    /// Keep a second rayon worker busy-waiting for parallel work while a solve runs (default true), instead of
    /// letting it sleep between the parallel parts of an iteration and paying ~100 µs to wake it each time.
    /// It costs the CPU time of that worker; switch it off when other work shares the machine.
    pub busy_wait: bool,
    /// Keep a copy of the first iterate whose infeasibilities, relative gap and complementarity (the measures of
    /// the stopping test) are all at most this in [`SdpSolution::warm_start`] (default 0: keep none), to start
    /// another solve of the same constraints with a nearby objective from it ([`solve_warm`]).
    pub warm_start_gap: f64,
    /// Wall-clock seconds after which the solve stops with [`SdpStatus::TimeLimit`] and its best iterate
    /// (default `None`: no limit). Checked once per iteration, so a solve overruns it by at most one iteration.
    pub time_limit: Option<f64>,
    /// Factor the Schur complement as a sparse matrix when its pattern is sparse (default true): at least
    /// 500 variables, at most 10% of its lower triangle nonzero and at most 25% in its Cholesky factor after a
    /// fill-reducing ordering (`ipm::sparse_schur`), as for the clique blocks of correlative sparsity; else,
    /// and when false, densely.
    pub sparse_schur: bool,
}

impl Default for SdpSettings {
    fn default() -> Self {
        SdpSettings {
            max_iterations: 100,
            tolerance: 1e-8,
            infeasibility_tolerance: 1e-8,
            step_fraction: 0.9,
            centrality_correctors: 1,
            centrality_min_vars: 1200,
            verbose: false,
            max_memory_bytes: 16 << 30,
            busy_wait: true,
            warm_start_gap: 0.0,
            time_limit: None,
            sparse_schur: true,
        }
    }
}

/// What the interior-point method shows its monitor ([`solve_monitored`]) at each iterate, before it decides
/// whether to stop there. The measures are those of the stopping test and of [`SdpResiduals`].
#[derive(Clone, Copy, Debug, Serialize)]
pub struct IterationInfo {
    /// Iteration number (0 = the starting point).
    pub iteration: usize,
    /// c₀ + c·x.
    pub primal_objective: f64,
    /// c₀ − ⟨C₀, Y⟩.
    pub dual_objective: f64,
    /// |primal − dual| / (1 + |primal| + |dual|).
    pub relative_gap: f64,
    /// ⟨X, Y⟩ / (1 + |primal| + |dual|).
    pub complementarity: f64,
    /// ‖X(x) − X‖_F / (1 + ‖C₀‖_F) (with the equality residual, when there are equalities).
    pub primal_infeasibility: f64,
    /// ‖c − A(Y)‖₂ / (1 + ‖c‖₂).
    pub dual_infeasibility: f64,
    /// Seconds since the solve started.
    pub seconds: f64,
}

/// The result of a solve: status, primal and dual solutions, residuals.
#[derive(Clone, Debug)]
pub struct SdpSolution {
    /// How the solve ended.
    pub status: SdpStatus,
    /// Primal variables x₁..x_m (for a relaxation: the moments y₁..y_m).
    pub x: Vec<f64>,
    /// Primal slack X (for a relaxation: the moment and localizing matrices).
    pub primal_slack: Vec<BlockMatrix>,
    /// Dual Y (for a relaxation: the Gram matrices of the SOS certificate).
    pub dual: Vec<BlockMatrix>,
    /// Multipliers w of the equality constraints (empty without any).
    pub equality_multipliers: Vec<f64>,
    /// c₀ + c·x.
    pub primal_objective: f64,
    /// c₀ − ⟨C₀, Y⟩.
    pub dual_objective: f64,
    /// Residuals at the returned point.
    pub residuals: SdpResiduals,
    /// Iterations taken.
    pub iterations: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The iterate kept for a warm start ([`SdpSettings::warm_start_gap`]), if asked for and reached.
    pub warm_start: Option<WarmStart>,
    /// The best lower bound on (P) valid by construction ([`valid_lower_bound`]) found during the solve: the
    /// first-order path ([`admm`]) computes one when given variable bounds; `None` from the interior-point
    /// method.
    pub valid_bound: Option<ValidBound>,
}

#[cfg(test)]
mod tests {
    use super::SdpStatus;

    /// The text reports and the JSON reports name every status alike.
    #[test]
    fn a_status_displays_as_its_json_name() {
        for s in [
            SdpStatus::Optimal,
            SdpStatus::NearOptimal,
            SdpStatus::PrimalInfeasible,
            SdpStatus::DualInfeasible,
            SdpStatus::Stalled,
            SdpStatus::IterationLimit,
            SdpStatus::TimeLimit,
            SdpStatus::Interrupted,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.to_string(), "{s:?}");
        }
    }
}
