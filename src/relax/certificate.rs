//! SOS certificates of lower bounds (the dual side of the moment relaxation, paper eq. 3.3), and their
//! verification independently of the solver.
//!
//! A certificate of order k states f − γ = σ₀ + Σⱼ σⱼ gⱼ (+ Σ_k λ_k h_k for equalities, λ_k any polynomials) with σⱼ(z) = vⱼ(z)ᵀ Qⱼ vⱼ(z), vⱼ the monomials of
//! degree ≤ k − ⌈deg gⱼ/2⌉, and Qⱼ ⪰ 0 (the Gram matrices, from the SDP's dual Y). If the identity and the
//! PSD-ness held exactly, f ≥ γ on K = {gⱼ ≥ 0}. In floating point neither holds exactly, so
//! [`Certificate::verify`] proves a bound in exact arithmetic (the standard of verified SDP bounds:
//! Jansson–Chaykin–Keil, VSDP):
//! 1. the residual r = f − γ − Σ_k λ_k h_k − Σⱼ vⱼᵀSⱼvⱼ gⱼ is computed coefficient by coefficient in interval
//!    arithmetic (directed rounding, [`super::verified`]), so each exact |r_α| is bounded above;
//!    Sⱼ = fl((Qⱼ + Qⱼᵀ)/2) is the exactly symmetric Gram matrix the theorem is about;
//! 2. each Sⱼ gets a proved μⱼ ≤ λ_min(Sⱼ): floating-point Cholesky of Sⱼ − cI runs to completion, and Rump's
//!    a-priori bound on its backward error (γ_{n+1}/(1 − γ_{n+1})·tr, plus underflow) gives μⱼ;
//! 3. on K ∩ {‖z‖ ≤ R}, with |z^α| ≤ R^{|α|}, σⱼ = vᵀ(Sⱼ − μⱼI)v + μⱼ‖v‖² and Sⱼ − μⱼI ⪰ 0:
//!    f(z) ≥ γ − Σ_α |r_α| R^{|α|} − Σ_{μⱼ<0} |μⱼ|·Σᵢ R^{2|uᵢ|}·Σ_β |g_{j,β}| R^{|β|}, every operation of that
//!    sum rounded towards the safe side. R is read off a ball constraint c₀ − Σ qᵢzᵢ² ≥ 0 among the
//!    inequalities (R = √(c₀/min qᵢ) rounded up); without one no bound is stated (the residual is shown).
//!
//! What the bound guarantees: every point of K (which lies in the ball) has objective ≥ the certified bound,
//! as a theorem of exact arithmetic about the POP whose coefficients are exactly the f64 values polyact holds
//! for it: for a POP file whose polynomials are sums of monomials (or term lists), the numbers in the file
//! as parsed to the nearest double; an expression such as `0.1*(x + 0.3)^2` is first expanded in f64, and a
//! network problem's loss polynomial is formed from its data in f64 (those roundings are not bounded). It
//! assumes IEEE binary64 arithmetic with round-to-nearest. It says nothing outside the ball, nor whether the
//! bound is tight. The tolerances only decide acceptance (a residual or a negative eigenvalue too large to be
//! a rounding effect rejects the certificate); the bound holds whatever they are.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::polynomial::{Monomial, Polynomial};
use crate::pop::Pop;
use crate::relax::moment::{BlockRole, MomentRelaxation};
use crate::relax::verified::{
    Interval, add_up, div_up, min_eigenvalue_lower_bound, mul_up, pow_up, sqrt_up, sub_down,
};
use crate::sdp::block::symmetric_eigenvalues;
use crate::sdp::{BlockMatrix, SdpSolution};

/// A polynomial as a list of (exponents, coefficient) terms.
pub type Terms = Vec<(Vec<u16>, f64)>;

fn to_terms(p: &Polynomial) -> Terms {
    p.terms().map(|(m, c)| (m.0.clone(), c)).collect()
}

fn from_terms(n: usize, t: &Terms, what: &str) -> Result<Polynomial> {
    let mut p = Polynomial::zero(n);
    for (e, c) in t {
        if e.len() != n {
            return Err(Error::InvalidInput(format!(
                "{what}: a term has {} exponents, expected {n}",
                e.len()
            )));
        }
        if !c.is_finite() {
            return Err(Error::InvalidInput(format!(
                "{what}: a coefficient is not finite"
            )));
        }
        p.add_term(Monomial(e.clone()), *c);
    }
    Ok(p)
}

/// One SOS multiplier σⱼ = vᵀ Q v of a constraint gⱼ (gⱼ = 1 for σ₀).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SosMultiplier {
    /// Index of the inequality it multiplies; `None` for σ₀.
    pub constraint: Option<usize>,
    /// The monomials v (exponent vectors).
    pub basis: Vec<Vec<u16>>,
    /// The Gram matrix Q (rows).
    pub gram: Vec<Vec<f64>>,
    /// Variables t whose terms −a_t·t² (a_t > 0) the constraint drops: σ multiplies the relaxed constraint
    /// gⱼ + Σ_t a_t·t², which is ≥ gⱼ ≥ 0 on the feasible set (a ball localized in a clique of correlative
    /// sparsity, or without its θ-free variables). Empty (the default): σ multiplies gⱼ itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relaxed: Vec<usize>,
}

/// An SOS certificate of the lower bound γ for a POP.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Certificate {
    /// Variable names.
    pub variables: Vec<String>,
    /// Relaxation order k.
    pub order: usize,
    /// The bound γ claimed.
    pub lower_bound: f64,
    /// The objective f.
    pub objective: Terms,
    /// The inequalities gⱼ ≥ 0.
    pub inequalities: Terms2,
    /// σ₀ first, then one multiplier per inequality that has one.
    pub multipliers: Vec<SosMultiplier>,
    /// The equalities h_k = 0.
    #[serde(default)]
    pub equalities: Terms2,
    /// The polynomial multipliers λ_k of the equalities (any sign): f − γ = σ₀ + Σ σⱼ gⱼ + Σ λ_k h_k.
    #[serde(default)]
    pub equality_multipliers: Terms2,
    /// For the fit of a network problem: which of its POPs this is (`verify` rebuilds that POP from the
    /// problem file); absent for a general POP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkTarget>,
}

/// The POP of a network problem a certificate is for: the loss, and the scale s of its epigraph variable
/// t = θ/s (1 for lsq). Any s > 0 gives an equivalent POP; the ball R² − ‖(c, t)‖² ≥ 0 the certificate carries
/// depends on it, so `verify` needs the s the fit used.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkTarget {
    /// The loss.
    pub loss: crate::model::Loss,
    /// s (1 for lsq).
    pub theta_scale: f64,
}

/// A list of polynomials as term lists.
pub type Terms2 = Vec<Terms>;

/// The outcome of [`Certificate::verify`].
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// The claimed γ.
    pub claimed_bound: f64,
    /// An upper bound on the largest |r_α| of the residual r = f − γ − Σ σⱼ gⱼ (exact arithmetic).
    pub max_residual: f64,
    /// The monomial (exponents) of that largest residual coefficient.
    pub max_residual_at: Vec<u16>,
    /// Smallest eigenvalue of each Gram matrix (σ₀ first), relative to its largest (computed in floating
    /// point: informative, not part of the proof).
    pub min_eigenvalues: Vec<f64>,
    /// A proved lower bound μⱼ ≤ λ_min(Sⱼ) of each Gram matrix (σ₀ first; absolute), from a shifted
    /// floating-point Cholesky factorization with Rump's error bound; `None` when none could be proved.
    pub gram_lower_bounds: Vec<Option<f64>>,
    /// Radius of the ball constraint found among the inequalities, if any.
    pub radius: Option<f64>,
    /// A proved lower bound on f over K (which lies in the ball), if a ball was found and every Gram matrix
    /// has a proved eigenvalue bound: γ − Σ_α |r_α| R^{|α|} − Σⱼ max(0, −μⱼ)·Σᵢ R^{2|uᵢ|}·Σ_β |g_{j,β}| R^{|β|},
    /// every operation rounded towards the safe side.
    pub certified_lower_bound: Option<f64>,
    /// Problems found (empty when the certificate is accepted).
    pub problems: Vec<String>,
}

impl Verification {
    /// True when no problem was found.
    pub fn accepted(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Certificate {
    /// Read the certificate off a solved relaxation (dual blocks = Gram matrices; the scaling of each
    /// localizing polynomial is undone).
    pub fn from_solution(relax: &MomentRelaxation, sol: &SdpSolution) -> Certificate {
        let pop = relax.pop();
        let k = relax.order();
        let n = pop.nvars();
        let mut multipliers = vec![];
        // Each block's own rows (the whole moment or localizing matrix, or one block of it under term
        // sparsity: σ_j is then a sum of SOS terms, one per block).
        let monos = |b: usize| -> Vec<Vec<u16>> {
            relax
                .sdp_block_rows(b)
                .iter()
                .map(|m| m.0.clone())
                .collect()
        };
        // A θ-free relaxation localizes g_j + a·t² in place of an inequality g_j with a ball term −a·t² of a
        // free variable t, and correlative sparsity localizes a ball g_j in a clique as g_j + Σ a_t·t² over the
        // variables t outside it: the multiplier names those t (`relaxed`), and `verify` checks that each
        // dropped term is such a −a_t·t².
        // The variables whose square is a negative term of each inequality (those a multiplier may relax).
        let negative_squares: Vec<Vec<bool>> = pop
            .inequalities
            .iter()
            .map(|g| {
                let mut marks = vec![false; n];
                for (m, c) in g.terms() {
                    if c < 0.0
                        && m.degree() == 2
                        && let Some(t) = m.0.iter().position(|&e| e == 2)
                    {
                        marks[t] = true;
                    }
                }
                marks
            })
            .collect();
        let mut push = |b: usize, j: usize, basis: Vec<Vec<u16>>, gram: Vec<Vec<f64>>| {
            let relaxed: Vec<usize> = relax
                .dropped_ball_variables(b)
                .filter(|&t| negative_squares[j][t])
                .collect();
            multipliers.push(SosMultiplier {
                constraint: Some(j),
                basis,
                gram,
                relaxed,
            });
        };
        let mut sigma0 = vec![];
        for (b, (role, y)) in relax.roles().iter().zip(&sol.dual).enumerate() {
            match (role, y) {
                (BlockRole::Moment, BlockMatrix::Dense(m)) => sigma0.push(SosMultiplier {
                    constraint: None,
                    basis: monos(b),
                    gram: BlockMatrix::Dense(m.clone()).to_rows(),
                    relaxed: vec![],
                }),
                (BlockRole::Localizing(js), BlockMatrix::Dense(m)) => {
                    let j = js[0];
                    let s = relax.scales()[j];
                    push(
                        b,
                        j,
                        monos(b),
                        BlockMatrix::Dense(m.clone())
                            .to_rows()
                            .into_iter()
                            .map(|r| r.into_iter().map(|v| v / s).collect())
                            .collect(),
                    );
                }
                (BlockRole::Localizing(js), BlockMatrix::Diagonal(d)) => {
                    for (&j, &v) in js.iter().zip(d) {
                        push(b, j, vec![vec![0; n]], vec![vec![v / relax.scales()[j]]]);
                    }
                }
                _ => {}
            }
        }
        let multipliers: Vec<SosMultiplier> = sigma0.into_iter().chain(multipliers).collect();
        let mut lambdas = vec![Polynomial::zero(n); pop.equalities.len()];
        for (&(k, u, scale), &w) in relax.equality_rows().iter().zip(&sol.equality_multipliers) {
            lambdas[k].add_term(relax.equality_monomial(u).clone(), w / scale);
        }
        Certificate {
            equalities: pop.equalities.iter().map(to_terms).collect(),
            equality_multipliers: lambdas.iter().map(to_terms).collect(),
            variables: pop.variable_names.clone(),
            order: k,
            lower_bound: sol.dual_objective,
            objective: to_terms(&pop.objective),
            inequalities: pop.inequalities.iter().map(to_terms).collect(),
            multipliers,
            network: None,
        }
    }

    /// JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("certificates serialize")
    }

    /// Parse JSON text (`source` names the file in errors).
    pub fn from_json(text: &str, source: &str) -> Result<Certificate> {
        serde_json::from_str(text).map_err(|e| Error::Parse {
            path: source.into(),
            message: format!("not a certificate: {e}"),
        })
    }

    /// Verify against `pop` (which must be the problem the certificate was made for). Tolerances:
    /// residual coefficients ≤ `tol · (1 + |γ|)`, Gram eigenvalues ≥ −`tol` relative to the largest.
    pub fn verify(&self, pop: &Pop, tol: f64) -> Result<Verification> {
        let n = pop.nvars();
        if self.variables.len() != n {
            return Err(Error::InvalidInput(format!(
                "the certificate has {} variables, the problem {n}",
                self.variables.len()
            )));
        }
        if !self.lower_bound.is_finite() {
            return Err(Error::InvalidInput(
                "the certificate's bound is not finite".into(),
            ));
        }
        let f = from_terms(n, &self.objective, "certificate objective")?;
        let same = |a: &Polynomial, b: &Polynomial| {
            let d = a - b;
            d.max_abs_coefficient() <= 1e-12 * (1.0 + a.max_abs_coefficient())
        };
        if !same(&f, &pop.objective) {
            return Err(Error::InvalidInput(
                "the certificate's objective differs from the problem's: it was made for another problem"
                    .into(),
            ));
        }
        if self.inequalities.len() != pop.inequalities.len() {
            return Err(Error::InvalidInput(format!(
                "the certificate has {} inequalities, the problem {}",
                self.inequalities.len(),
                pop.inequalities.len()
            )));
        }
        for (j, (t, g)) in self.inequalities.iter().zip(&pop.inequalities).enumerate() {
            if !same(&from_terms(n, t, "certificate inequality")?, g) {
                return Err(Error::InvalidInput(format!(
                    "inequality {} of the certificate differs from the problem's",
                    j + 1
                )));
            }
        }
        if self.equalities.len() != pop.equalities.len()
            || self.equality_multipliers.len() != pop.equalities.len()
        {
            return Err(Error::InvalidInput(format!(
                "the certificate has {} equalities and {} multipliers, the problem {} equalities",
                self.equalities.len(),
                self.equality_multipliers.len(),
                pop.equalities.len()
            )));
        }
        for (k, (t, h)) in self.equalities.iter().zip(&pop.equalities).enumerate() {
            if !same(&from_terms(n, t, "certificate equality")?, h) {
                return Err(Error::InvalidInput(format!(
                    "equality {} of the certificate differs from the problem's",
                    k + 1
                )));
            }
        }
        let mut problems = vec![];
        // r = f − γ − Σ λ_k h_k − Σⱼ vᵀSⱼv gⱼ, each coefficient enclosed in an interval of exact values.
        let mut residual: HashMap<Vec<u16>, Interval> = HashMap::new();
        for (m, c) in pop.objective.terms() {
            residual
                .entry(m.0.clone())
                .or_insert(Interval::point(0.0))
                .add(c);
        }
        residual
            .entry(vec![0; n])
            .or_insert(Interval::point(0.0))
            .add(-self.lower_bound);
        // λ_k h_k vanishes on K: it enters the identity but not the bound.
        for (k, (t, h)) in self
            .equality_multipliers
            .iter()
            .zip(&pop.equalities)
            .enumerate()
        {
            for (e, c) in t {
                if e.len() != n || !c.is_finite() {
                    return Err(Error::InvalidInput(format!(
                        "the multiplier of equality {}: a term has {} exponents (expected {n}) or a coefficient that is not finite",
                        k + 1,
                        e.len()
                    )));
                }
                for (m, d) in h.terms() {
                    residual
                        .entry(add_exponents(e, &m.0))
                        .or_insert(Interval::point(0.0))
                        .sub_product(*c, d);
                }
            }
        }
        let radius = find_ball(pop);
        let mut min_eigenvalues = vec![];
        let mut gram_lower_bounds = vec![];
        // Σⱼ |μⱼ|·max_ball ‖vⱼ‖²·max_ball |gⱼ| over the multipliers with a negative bound μⱼ on λ_min(Sⱼ).
        let mut eigen_slack = 0.0f64;
        let mut unproved = false;
        for (idx, mult) in self.multipliers.iter().enumerate() {
            let name = match mult.constraint {
                None => "σ₀".to_string(),
                Some(j) => format!("the multiplier of inequality {}", j + 1),
            };
            let mut g = match mult.constraint {
                None => Polynomial::constant(n, 1.0),
                Some(j) => pop.inequalities.get(j).cloned().ok_or_else(|| {
                    Error::InvalidInput(format!(
                        "multiplier {} refers to a missing inequality",
                        idx + 1
                    ))
                })?,
            };
            if !mult.relaxed.is_empty() {
                if mult.constraint.is_none() {
                    return Err(Error::InvalidInput(format!(
                        "{name} relaxes terms of no constraint"
                    )));
                }
                if let Some(&t) = mult.relaxed.iter().find(|&&t| t >= n) {
                    return Err(Error::InvalidInput(format!(
                        "{name}: relaxed variable {} does not exist",
                        t + 1
                    )));
                }
                // g + Σ a_t t² ≥ g: only terms −a_t·t² with a_t > 0 may be dropped.
                let mut relaxed = vec![false; n];
                for &t in &mult.relaxed {
                    relaxed[t] = true;
                }
                let mut kept = Polynomial::zero(n);
                let mut dropped = vec![false; n];
                for (m, c) in g.terms() {
                    let square = (m.degree() == 2)
                        .then(|| m.0.iter().position(|&e| e == 2))
                        .flatten();
                    match square {
                        Some(t) if c < 0.0 && relaxed[t] => dropped[t] = true,
                        _ => kept.add_term(m.clone(), c),
                    }
                }
                if let Some(t) = (0..n).find(|&t| relaxed[t] && !dropped[t]) {
                    return Err(Error::InvalidInput(format!(
                        "{name}: variable {} has no term −a·t² (a > 0) to drop",
                        t + 1
                    )));
                }
                g = kept;
            }
            let s = mult.basis.len();
            if mult.gram.len() != s || mult.gram.iter().any(|r| r.len() != s) {
                return Err(Error::InvalidInput(format!(
                    "{name}: the Gram matrix is not {s}×{s}"
                )));
            }
            if mult.basis.iter().any(|e| e.len() != n) {
                return Err(Error::InvalidInput(format!(
                    "{name}: a basis monomial has the wrong length"
                )));
            }
            let q = &mult.gram;
            if q.iter().flatten().any(|v| !v.is_finite()) {
                return Err(Error::InvalidInput(format!(
                    "{name}: the Gram matrix is not finite"
                )));
            }
            let asym = (0..s)
                .flat_map(|i| (0..s).map(move |j| (i, j)))
                .map(|(i, j)| (q[i][j] - q[j][i]).abs())
                .fold(0.0, f64::max);
            let scale = (0..s).map(|i| q[i][i].abs()).fold(0.0, f64::max);
            if asym > 1e-12 * (1.0 + scale) {
                problems.push(format!(
                    "{name}: the Gram matrix is not symmetric ({asym:.2e})"
                ));
            }
            // The certificate's matrix is S = fl((Q + Qᵀ)/2), exactly symmetric; the theorem is about S.
            let sym: Vec<f64> = (0..s * s)
                .map(|k| {
                    let (i, j) = (k / s, k % s);
                    if i == j {
                        q[i][i]
                    } else {
                        0.5 * (q[i][j] + q[j][i])
                    }
                })
                .collect();
            let eig = symmetric_eigenvalues(faer::MatRef::from_row_major_slice(&sym, s, s));
            let lmax = eig.iter().fold(0.0f64, |a, b| a.max(b.abs()));
            let lmin = eig.first().copied().unwrap_or(0.0);
            let rel = if lmax > 0.0 { lmin / lmax } else { 0.0 };
            min_eigenvalues.push(rel);
            if rel < -tol {
                problems.push(format!(
                    "{name}: the Gram matrix is indefinite (smallest eigenvalue {lmin:.3e}, {rel:.2e} of the largest)"
                ));
            }
            let mu = min_eigenvalue_lower_bound(&sym, s, lmin, lmax);
            gram_lower_bounds.push(mu);
            match (mu, radius) {
                (None, _) => {
                    unproved = true;
                    problems.push(format!(
                        "{name}: the Gram matrix cannot be proved positive semidefinite (no shifted Cholesky factorization runs)"
                    ));
                }
                (Some(mu), Some(r)) if mu < 0.0 => {
                    // σ = vᵀ(S − μI)v + μ‖v‖² with S − μI ⪰ 0: on the ball σ·g ≥ −|μ|·Σᵢ R^{2|uᵢ|}·max |g|.
                    let v2 = mult.basis.iter().fold(0.0f64, |a, u| {
                        add_up(a, pow_up(r, 2 * u.iter().map(|&x| x as u32).sum::<u32>()))
                    });
                    let gmax = g.terms().fold(0.0f64, |a, (m, c)| {
                        add_up(a, mul_up(c.abs(), pow_up(r, m.degree())))
                    });
                    eigen_slack = add_up(eigen_slack, mul_up(mul_up(-mu, v2), gmax));
                }
                _ => {}
            }
            // r −= Σ S_ab z^{u_a+u_b} · g.
            for (a, u) in mult.basis.iter().enumerate() {
                for (b, v) in mult.basis.iter().enumerate() {
                    let sab = sym[a * s + b];
                    if sab == 0.0 {
                        continue;
                    }
                    let uv = add_exponents(u, v);
                    for (m, c) in g.terms() {
                        residual
                            .entry(add_exponents(&uv, &m.0))
                            .or_insert(Interval::point(0.0))
                            .sub_product(sab, c);
                    }
                }
            }
        }
        let (max_residual, max_residual_at) = residual
            .iter()
            .map(|(m, c)| (c.magnitude(), m.clone()))
            .fold((0.0, vec![0; n]), |a, b| {
                if b.0 > a.0 || b.0.is_nan() { b } else { a }
            });
        if max_residual.is_nan() || max_residual > tol * (1.0 + self.lower_bound.abs()) {
            problems.push(format!(
                "the identity f − γ = Σ σⱼ gⱼ fails: residual {max_residual:.3e} at the monomial {}",
                Monomial(max_residual_at.clone()).display_with(&self.variables)
            ));
        }
        let certified_lower_bound = radius.filter(|_| !unproved).map(|r| {
            let slack = residual.iter().fold(0.0f64, |a, (m, c)| {
                let d = m.iter().map(|&x| x as u32).sum::<u32>();
                add_up(a, mul_up(c.magnitude(), pow_up(r, d)))
            });
            let b = sub_down(self.lower_bound, add_up(slack, eigen_slack));
            if b.is_nan() { f64::NEG_INFINITY } else { b }
        });
        Ok(Verification {
            claimed_bound: self.lower_bound,
            max_residual,
            max_residual_at,
            min_eigenvalues,
            gram_lower_bounds,
            radius,
            certified_lower_bound,
            problems,
        })
    }
}

fn add_exponents(a: &[u16], b: &[u16]) -> Vec<u16> {
    a.iter().zip(b).map(|(x, y)| x.saturating_add(*y)).collect()
}

/// R when one of the inequalities is R² − ‖z‖² (up to a positive factor): with g = c₀ − Σᵢ qᵢ zᵢ² (qᵢ > 0
/// equal to 1e-15 relative), g ≥ 0 implies ‖z‖² ≤ c₀ / minᵢ qᵢ, and R is that square root rounded up, so
/// the ball of radius R contains {g ≥ 0} in exact arithmetic.
pub fn find_ball(pop: &Pop) -> Option<f64> {
    let n = pop.nvars();
    pop.inequalities.iter().find_map(|g| {
        let c0 = g.coefficient(&Monomial::one(n));
        if c0 <= 0.0 || g.len() != n + 1 {
            return None;
        }
        let square = |i: usize| Monomial::variable(n, i).times(&Monomial::variable(n, i));
        let q = g.coefficient(&square(0));
        let all = (0..n).all(|i| (g.coefficient(&square(i)) - q).abs() <= 1e-15 * q.abs());
        if !(q < 0.0 && all) {
            return None;
        }
        let qmin = (0..n)
            .map(|i| -g.coefficient(&square(i)))
            .fold(f64::INFINITY, f64::min);
        let r = sqrt_up(div_up(c0, qmin));
        r.is_finite().then_some(r)
    })
}

/// Verify the certificate in `cert_path` against the problem in `problem_path`: a POP file, or a network
/// problem file (then the POP is the paper's loss, with the ball the certificate carries).
pub fn verify_files(problem_path: &Path, cert_path: &Path, tol: f64) -> Result<Verification> {
    let read = crate::error::read_text;
    verify_texts(
        &read(problem_path)?,
        &problem_path.display().to_string(),
        &read(cert_path)?,
        &cert_path.display().to_string(),
        tol,
    )
}

/// [`verify_files`] on the texts of the problem and the certificate (`source` and `cert_source` name
/// them in messages).
pub fn verify_texts(
    text: &str,
    source: &str,
    cert_text: &str,
    cert_source: &str,
    tol: f64,
) -> Result<Verification> {
    let cert = Certificate::from_json(cert_text, cert_source)?;
    let is_network = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .is_some_and(|v| v.get("weights").is_some());
    let pop = if is_network {
        let problem = crate::model::Problem::from_json_str(text, source)?;
        // Certificates written before the target was recorded are for the mean-inf POP with the default scale.
        let pop = match cert.network {
            Some(target) => {
                if !(target.theta_scale.is_finite() && target.theta_scale > 0.0) {
                    return Err(Error::InvalidInput(format!(
                        "{cert_source}: the certificate's theta_scale {} is not a positive number",
                        target.theta_scale
                    )));
                }
                let stats =
                    crate::model::stats::SufficientStatistics::from_problem(&problem, target.loss)?;
                crate::pop::loss::network_pop_with_theta_scale(
                    &problem.network,
                    &stats,
                    target.theta_scale,
                )?
                .pop
            }
            None => crate::pop::loss::network_pop(&problem, crate::model::Loss::MeanInf)?.pop,
        };
        if cert.inequalities.len() == pop.inequalities.len() + 1 {
            let n = pop.nvars();
            let last = from_terms(
                n,
                cert.inequalities.last().expect("nonempty"),
                "certificate ball",
            )?;
            let probe = Pop::new(
                pop.variable_names.clone(),
                Polynomial::zero(n),
                vec![last],
                vec![],
            )?;
            match find_ball(&probe) {
                Some(r) => pop.with_ball(r),
                None => pop,
            }
        } else {
            pop
        }
    } else {
        crate::pop::file::pop_from_json(text, source)?.pop
    };
    cert.verify(&pop, tol)
}
