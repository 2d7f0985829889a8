//! Polynomial optimization problems (POPs): minimize f(z) s.t. g_j(z) ≥ 0, h_k(z) = 0.
//!
//! The relaxation, the SDP solver and the extraction only ever see a [`Pop`]; networks are one producer of it
//! (see [`crate::pop::loss`] for the paper's loss).

pub mod file;
pub mod loss;
pub mod parse;
use crate::error::Result;
use crate::invalid;
use crate::polynomial::Polynomial;

/// A polynomial optimization problem: minimize `objective` subject to `inequalities ≥ 0` and `equalities = 0`.
#[derive(Clone, Debug)]
pub struct Pop {
    /// Names of the variables z_1..z_n (for reports).
    pub variable_names: Vec<String>,
    /// The objective f.
    pub objective: Polynomial,
    /// Constraints g_j(z) ≥ 0.
    pub inequalities: Vec<Polynomial>,
    /// Constraints h_k(z) = 0.
    pub equalities: Vec<Polynomial>,
}

/// How far a point is from satisfying a POP's constraints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Violation {
    /// max_j max(0, −g_j(z)).
    pub inequality: f64,
    /// max_k |h_k(z)|.
    pub equality: f64,
}

impl Violation {
    /// The larger of the two violations.
    pub fn max(&self) -> f64 {
        self.inequality.max(self.equality)
    }
}

impl Pop {
    /// Build a POP, checking that every polynomial has the same number of variables.
    pub fn new(
        variable_names: Vec<String>,
        objective: Polynomial,
        inequalities: Vec<Polynomial>,
        equalities: Vec<Polynomial>,
    ) -> Result<Self> {
        let n = variable_names.len();
        if n == 0 {
            invalid!("a polynomial problem needs at least one variable");
        }
        for (what, p) in std::iter::once(("objective", &objective))
            .chain(inequalities.iter().map(|p| ("inequality", p)))
            .chain(equalities.iter().map(|p| ("equality", p)))
        {
            if p.nvars() != n {
                invalid!("{what} has {} variables but the problem has {n}", p.nvars());
            }
            if p.terms().any(|(_, c)| !c.is_finite()) {
                invalid!("{what} has a coefficient that is NaN or infinite");
            }
        }
        Ok(Pop {
            variable_names,
            objective,
            inequalities,
            equalities,
        })
    }

    /// Number of variables n.
    pub fn nvars(&self) -> usize {
        self.variable_names.len()
    }

    /// Largest degree among the constraints (0 with no constraints).
    pub fn constraint_degree(&self) -> u32 {
        self.inequalities
            .iter()
            .chain(&self.equalities)
            .map(Polynomial::degree)
            .max()
            .unwrap_or(0)
    }

    /// Smallest relaxation order: k0 = max(⌈deg f/2⌉, ⌈deg g_j/2⌉, ⌈deg h_k/2⌉, 1).
    pub fn min_order(&self) -> usize {
        let d = self.objective.degree().max(self.constraint_degree());
        (d as usize).div_ceil(2).max(1)
    }

    /// Objective value at z.
    pub fn objective_at(&self, z: &[f64]) -> f64 {
        self.objective.evaluate(z)
    }

    /// Constraint violation at z.
    pub fn violation(&self, z: &[f64]) -> Violation {
        Violation {
            inequality: self
                .inequalities
                .iter()
                .map(|g| (-g.evaluate(z)).max(0.0))
                .fold(0.0, f64::max),
            equality: self
                .equalities
                .iter()
                .map(|h| h.evaluate(z).abs())
                .fold(0.0, f64::max),
        }
    }

    /// The scale of the objective: its largest coefficient magnitude (1 for the zero objective). The
    /// hierarchy divides the objective by it, so that none of its decisions depends on the objective's units;
    /// it is also the floor of every relative gap (see [`relative_gap`](crate::relax::hierarchy::relative_gap)).
    pub fn objective_scale(&self) -> f64 {
        let s = self.objective.max_abs_coefficient();
        if s > 0.0 && s.is_finite() { s } else { 1.0 }
    }

    /// The same problem with its objective multiplied by `factor` (the constraints unchanged).
    pub fn with_objective_scaled(&self, factor: f64) -> Pop {
        let mut p = self.clone();
        p.objective = p.objective.scale(factor);
        p
    }

    /// The same problem with the ball constraint R² − ‖z‖² ≥ 0 appended.
    pub fn with_ball(&self, radius: f64) -> Pop {
        let n = self.nvars();
        let mut ball = Polynomial::constant(n, radius * radius);
        for i in 0..n {
            ball.add_scaled(&Polynomial::variable(n, i).pow(2), -1.0);
        }
        let mut p = self.clone();
        p.inequalities.push(ball);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_order_and_violation() {
        let n = 2;
        let z1 = Polynomial::variable(n, 0);
        let z2 = Polynomial::variable(n, 1);
        let pop = Pop::new(
            vec!["a".into(), "b".into()],
            z1.clone(),
            vec![&Polynomial::constant(n, 1.0) - &z1.pow(2)],
            vec![&z2.pow(3) - &z1],
        )
        .unwrap();
        assert_eq!(pop.min_order(), 2);
        let v = pop.violation(&[2.0, 1.0]);
        assert_eq!(v.inequality, 3.0);
        assert_eq!(v.equality, 1.0);
        let b = pop.with_ball(2.0);
        assert_eq!(b.inequalities.len(), 2);
        assert_eq!(b.inequalities[1].evaluate(&[1.0, 1.0]), 2.0);
    }

    #[test]
    fn rejects_mismatched_variables() {
        let e = Pop::new(vec!["a".into()], Polynomial::variable(2, 0), vec![], vec![]);
        assert!(e.is_err());
    }
}
