//! Sparse multivariate polynomials over `f64` and the graded monomial basis.
//!
//! A [`Monomial`] is an exponent vector; a [`Polynomial`] maps monomials to coefficients.
//! [`MonomialBasis`] lists every monomial of degree ≤ d in graded order (degree first, then
//! lexicographically descending: 1, x1, x2, …, x1², x1x2, …), so that the basis of degree ≤ t is a
//! prefix of the basis of degree ≤ d for every t ≤ d. Moment vectors are indexed by this basis.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::{Add, Mul, Neg, Sub};

use serde::{Deserialize, Serialize};

/// An exponent vector z^α = z_1^{α_1} ⋯ z_n^{α_n}.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct Monomial(pub Vec<u16>);

impl Monomial {
    /// The constant monomial 1 in `nvars` variables.
    pub fn one(nvars: usize) -> Self {
        Monomial(vec![0; nvars])
    }

    /// The monomial z_i.
    pub fn variable(nvars: usize, i: usize) -> Self {
        let mut e = vec![0; nvars];
        e[i] = 1;
        Monomial(e)
    }

    /// Total degree |α|.
    pub fn degree(&self) -> u32 {
        self.0.iter().map(|&e| e as u32).sum()
    }

    /// Number of variables.
    pub fn nvars(&self) -> usize {
        self.0.len()
    }

    /// The product z^α z^β = z^{α+β}.
    pub fn times(&self, other: &Monomial) -> Monomial {
        debug_assert_eq!(self.0.len(), other.0.len());
        Monomial(self.0.iter().zip(&other.0).map(|(a, b)| a + b).collect())
    }

    /// Readable form with the given variable names ("x1^2*x2", "1" for the constant).
    pub fn display_with(&self, names: &[String]) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .enumerate()
            .filter(|(_, e)| **e > 0)
            .map(|(k, &e)| {
                let name = names
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| format!("z{}", k + 1));
                if e == 1 { name } else { format!("{name}^{e}") }
            })
            .collect();
        if parts.is_empty() {
            "1".into()
        } else {
            parts.join("*")
        }
    }

    /// Value at a point.
    pub fn evaluate(&self, z: &[f64]) -> f64 {
        self.0
            .iter()
            .zip(z)
            .filter(|(e, _)| **e > 0)
            .map(|(&e, &x)| x.powi(e as i32))
            .product()
    }
}

/// A sparse polynomial in `nvars` variables with real coefficients.
#[derive(Clone, PartialEq, Debug)]
pub struct Polynomial {
    nvars: usize,
    terms: BTreeMap<Monomial, f64>,
}

impl Polynomial {
    /// The zero polynomial.
    pub fn zero(nvars: usize) -> Self {
        Polynomial {
            nvars,
            terms: BTreeMap::new(),
        }
    }

    /// The constant polynomial `c`.
    pub fn constant(nvars: usize, c: f64) -> Self {
        let mut p = Self::zero(nvars);
        p.add_term(Monomial::one(nvars), c);
        p
    }

    /// The polynomial z_i.
    pub fn variable(nvars: usize, i: usize) -> Self {
        assert!(
            i < nvars,
            "variable index {i} out of range for {nvars} variables"
        );
        let mut p = Self::zero(nvars);
        p.add_term(Monomial::variable(nvars, i), 1.0);
        p
    }

    /// Build from (monomial, coefficient) pairs; repeated monomials are summed.
    pub fn from_terms(nvars: usize, terms: impl IntoIterator<Item = (Monomial, f64)>) -> Self {
        let mut p = Self::zero(nvars);
        for (m, c) in terms {
            assert_eq!(
                m.nvars(),
                nvars,
                "monomial has the wrong number of variables"
            );
            p.add_term(m, c);
        }
        p
    }

    /// Number of variables.
    pub fn nvars(&self) -> usize {
        self.nvars
    }

    /// Number of nonzero terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// True for the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// True for the zero polynomial (no terms).
    pub fn is_empty(&self) -> bool {
        self.is_zero()
    }

    /// Total degree; the zero polynomial has degree 0.
    pub fn degree(&self) -> u32 {
        self.terms.keys().map(Monomial::degree).max().unwrap_or(0)
    }

    /// The terms in lexicographic order of exponents.
    pub fn terms(&self) -> impl Iterator<Item = (&Monomial, f64)> {
        self.terms.iter().map(|(m, &c)| (m, c))
    }

    /// Coefficient of a monomial (0 when absent).
    pub fn coefficient(&self, m: &Monomial) -> f64 {
        self.terms.get(m).copied().unwrap_or(0.0)
    }

    /// Largest absolute coefficient.
    pub fn max_abs_coefficient(&self) -> f64 {
        self.terms.values().fold(0.0, |a, c| a.max(c.abs()))
    }

    /// Add `c · m` in place; a term that cancels to exactly zero is removed.
    pub fn add_term(&mut self, m: Monomial, c: f64) {
        debug_assert_eq!(m.nvars(), self.nvars);
        if c == 0.0 {
            return;
        }
        use std::collections::btree_map::Entry;
        match self.terms.entry(m) {
            Entry::Vacant(e) => {
                e.insert(c);
            }
            Entry::Occupied(mut e) => {
                let v = *e.get() + c;
                if v == 0.0 {
                    e.remove();
                } else {
                    *e.get_mut() = v;
                }
            }
        }
    }

    /// `self += s · other`.
    pub fn add_scaled(&mut self, other: &Polynomial, s: f64) {
        assert_eq!(
            self.nvars, other.nvars,
            "polynomials in different numbers of variables"
        );
        for (m, c) in other.terms() {
            self.add_term(m.clone(), s * c);
        }
    }

    /// `s · self`.
    pub fn scale(&self, s: f64) -> Polynomial {
        let mut p = Self::zero(self.nvars);
        if s != 0.0 {
            p.terms = self
                .terms
                .iter()
                .map(|(m, &c)| (m.clone(), s * c))
                .collect();
        }
        p
    }

    /// The product of two polynomials.
    pub fn product(&self, other: &Polynomial) -> Polynomial {
        assert_eq!(
            self.nvars, other.nvars,
            "polynomials in different numbers of variables"
        );
        let mut p = Self::zero(self.nvars);
        for (a, ca) in self.terms() {
            for (b, cb) in other.terms() {
                p.add_term(a.times(b), ca * cb);
            }
        }
        p
    }

    /// `self^e` by repeated squaring.
    pub fn pow(&self, mut e: u32) -> Polynomial {
        let mut result = Self::constant(self.nvars, 1.0);
        let mut base = self.clone();
        while e > 0 {
            if e & 1 == 1 {
                result = result.product(&base);
            }
            e >>= 1;
            if e > 0 {
                base = base.product(&base);
            }
        }
        result
    }

    /// Value at a point `z` (length `nvars`).
    pub fn evaluate(&self, z: &[f64]) -> f64 {
        assert_eq!(z.len(), self.nvars, "point has the wrong dimension");
        self.terms().map(|(m, c)| c * m.evaluate(z)).sum()
    }

    /// Drop terms with |coefficient| ≤ `tol`.
    pub fn prune(&mut self, tol: f64) {
        self.terms.retain(|_, c| c.abs() > tol);
    }

    /// Embed into a larger variable set: variable `i` of `self` becomes variable `map[i]` of the result.
    pub fn embed(&self, nvars: usize, map: &[usize]) -> Polynomial {
        assert_eq!(map.len(), self.nvars);
        let mut p = Self::zero(nvars);
        for (m, c) in self.terms() {
            let mut e = vec![0u16; nvars];
            for (i, &k) in m.0.iter().enumerate() {
                e[map[i]] += k;
            }
            p.add_term(Monomial(e), c);
        }
        p
    }

    /// Gradient, one polynomial per variable.
    pub fn gradient(&self) -> Vec<Polynomial> {
        (0..self.nvars)
            .map(|i| {
                let mut g = Self::zero(self.nvars);
                for (m, c) in self.terms() {
                    if m.0[i] > 0 {
                        let mut e = m.0.clone();
                        e[i] -= 1;
                        g.add_term(Monomial(e), c * m.0[i] as f64);
                    }
                }
                g
            })
            .collect()
    }
}

impl fmt::Display for Polynomial {
    /// Readable form with variables named z1, z2, …, highest degree first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return write!(f, "0");
        }
        let mut terms: Vec<_> = self.terms().collect();
        terms.sort_by(|a, b| b.0.degree().cmp(&a.0.degree()).then(b.0.cmp(a.0)));
        for (i, (m, c)) in terms.iter().enumerate() {
            let sign = if *c < 0.0 { "-" } else { "+" };
            if i == 0 {
                if *c < 0.0 {
                    write!(f, "-")?;
                }
            } else {
                write!(f, " {sign} ")?;
            }
            let vars: Vec<String> =
                m.0.iter()
                    .enumerate()
                    .filter(|(_, e)| **e > 0)
                    .map(|(k, &e)| {
                        if e == 1 {
                            format!("z{}", k + 1)
                        } else {
                            format!("z{}^{}", k + 1, e)
                        }
                    })
                    .collect();
            let a = c.abs();
            if vars.is_empty() {
                write!(f, "{a}")?;
            } else if a == 1.0 {
                write!(f, "{}", vars.join("*"))?;
            } else {
                write!(f, "{a}*{}", vars.join("*"))?;
            }
        }
        Ok(())
    }
}

macro_rules! binop {
    ($tr:ident, $method:ident, $body:expr) => {
        impl $tr<&Polynomial> for &Polynomial {
            type Output = Polynomial;
            fn $method(self, rhs: &Polynomial) -> Polynomial {
                #[allow(clippy::redundant_closure_call)]
                ($body)(self, rhs)
            }
        }
        impl $tr<Polynomial> for Polynomial {
            type Output = Polynomial;
            fn $method(self, rhs: Polynomial) -> Polynomial {
                #[allow(clippy::redundant_closure_call)]
                ($body)(&self, &rhs)
            }
        }
    };
}

binop!(Add, add, |a: &Polynomial, b: &Polynomial| {
    let mut p = a.clone();
    p.add_scaled(b, 1.0);
    p
});
binop!(Sub, sub, |a: &Polynomial, b: &Polynomial| {
    let mut p = a.clone();
    p.add_scaled(b, -1.0);
    p
});
binop!(Mul, mul, |a: &Polynomial, b: &Polynomial| {
    Polynomial::product(a, b)
});

impl Neg for &Polynomial {
    type Output = Polynomial;
    fn neg(self) -> Polynomial {
        self.scale(-1.0)
    }
}

impl Neg for Polynomial {
    type Output = Polynomial;
    fn neg(self) -> Polynomial {
        self.scale(-1.0)
    }
}

/// Number of monomials of degree ≤ d in n variables: C(n + d, d). Saturates instead of overflowing.
pub fn monomial_count(n: usize, d: usize) -> usize {
    let mut r: u128 = 1;
    for i in 1..=d as u128 {
        r = r * (n as u128 + i) / i;
        if r > usize::MAX as u128 {
            return usize::MAX;
        }
    }
    r as usize
}

/// All monomials of degree ≤ `degree` in `nvars` variables, in graded order, with index lookup.
#[derive(Clone, Debug)]
pub struct MonomialBasis {
    nvars: usize,
    degree: usize,
    monomials: Vec<Monomial>,
    index: HashMap<Monomial, usize>,
    /// `prefix[t]` = number of monomials of degree ≤ t.
    prefix: Vec<usize>,
}

impl MonomialBasis {
    /// The graded basis of degree ≤ `degree`.
    pub fn new(nvars: usize, degree: usize) -> Self {
        let mut monomials = Vec::with_capacity(monomial_count(nvars, degree));
        let mut prefix = Vec::with_capacity(degree + 1);
        for d in 0..=degree {
            let mut e = vec![0u16; nvars];
            push_degree(&mut monomials, &mut e, 0, d as u16);
            prefix.push(monomials.len());
        }
        let index = monomials
            .iter()
            .enumerate()
            .map(|(i, m)| (m.clone(), i))
            .collect();
        MonomialBasis {
            nvars,
            degree,
            monomials,
            index,
            prefix,
        }
    }

    /// Number of variables.
    pub fn nvars(&self) -> usize {
        self.nvars
    }

    /// Maximal degree.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// Number of monomials.
    pub fn len(&self) -> usize {
        self.monomials.len()
    }

    /// Never empty (the constant monomial is always there).
    pub fn is_empty(&self) -> bool {
        self.monomials.is_empty()
    }

    /// Number of monomials of degree ≤ t (the basis of degree t is this prefix).
    pub fn count_up_to(&self, t: usize) -> usize {
        self.prefix[t.min(self.degree)]
    }

    /// The i-th monomial.
    pub fn monomial(&self, i: usize) -> &Monomial {
        &self.monomials[i]
    }

    /// All monomials in order.
    pub fn monomials(&self) -> &[Monomial] {
        &self.monomials
    }

    /// Index of a monomial, if its degree is ≤ the basis degree.
    pub fn index(&self, m: &Monomial) -> Option<usize> {
        self.index.get(m).copied()
    }

    /// Index of the product of the i-th and j-th monomials.
    pub fn index_of_product(&self, i: usize, j: usize) -> Option<usize> {
        self.index(&self.monomials[i].times(&self.monomials[j]))
    }

    /// Coefficients of a polynomial as a dense vector over this basis (error if a term lies outside).
    pub fn coefficients(&self, p: &Polynomial) -> Option<Vec<f64>> {
        let mut v = vec![0.0; self.len()];
        for (m, c) in p.terms() {
            v[self.index(m)?] += c;
        }
        Some(v)
    }
}

/// Push every monomial of total degree `d` over variables `k..` (lexicographically descending).
fn push_degree(out: &mut Vec<Monomial>, e: &mut [u16], k: usize, d: u16) {
    if k + 1 == e.len() {
        e[k] = d;
        out.push(Monomial(e.to_vec()));
        e[k] = 0;
        return;
    }
    if e.is_empty() {
        if d == 0 {
            out.push(Monomial(vec![]));
        }
        return;
    }
    for a in (0..=d).rev() {
        e[k] = a;
        push_degree(out, e, k + 1, d - a);
    }
    e[k] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(n: usize, i: usize) -> Polynomial {
        Polynomial::variable(n, i)
    }

    #[test]
    fn basis_is_graded_and_counted() {
        let b = MonomialBasis::new(3, 4);
        assert_eq!(b.len(), monomial_count(3, 4));
        assert_eq!(b.len(), 35);
        assert_eq!(b.count_up_to(0), 1);
        assert_eq!(b.count_up_to(1), 4);
        assert_eq!(b.count_up_to(2), 10);
        assert_eq!(b.monomial(1), &Monomial(vec![1, 0, 0]));
        assert_eq!(b.monomial(4), &Monomial(vec![2, 0, 0]));
        for (i, m) in b.monomials().iter().enumerate() {
            assert_eq!(b.index(m), Some(i));
        }
        for w in b.monomials().windows(2) {
            assert!(w[0].degree() <= w[1].degree());
        }
        assert_eq!(b.index(&Monomial(vec![5, 0, 0])), None);
        assert_eq!(monomial_count(7, 6), 1716);
        assert_eq!(MonomialBasis::new(0, 3).len(), 1);
    }

    #[test]
    fn arithmetic_matches_evaluation() {
        let n = 3;
        let p = &(&x(n, 0) * &x(n, 1)) - &Polynomial::constant(n, 2.5);
        let q = &x(n, 2) + &x(n, 0).scale(3.0);
        let z = [0.3, -1.7, 2.2];
        let (pv, qv) = (p.evaluate(&z), q.evaluate(&z));
        assert!(((&p * &q).evaluate(&z) - pv * qv).abs() < 1e-12);
        assert!(((&p + &q).evaluate(&z) - (pv + qv)).abs() < 1e-12);
        assert!((p.pow(3).evaluate(&z) - pv.powi(3)).abs() < 1e-10);
        assert_eq!(p.pow(3).degree(), 6);
        assert_eq!(p.pow(0), Polynomial::constant(n, 1.0));
        assert!((&p - &p).is_zero());
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let n = 2;
        let p = &x(n, 0).pow(3) * &x(n, 1) + x(n, 1).pow(2).scale(-2.0);
        let z = [0.7, -0.4];
        let g = p.gradient();
        for (i, gi) in g.iter().enumerate() {
            let mut zp = z;
            let mut zm = z;
            zp[i] += 1e-6;
            zm[i] -= 1e-6;
            let fd = (p.evaluate(&zp) - p.evaluate(&zm)) / 2e-6;
            assert!((gi.evaluate(&z) - fd).abs() < 1e-6);
        }
    }

    #[test]
    fn display_is_readable() {
        let p = &x(2, 0).pow(2).scale(3.0) - &x(2, 1) + Polynomial::constant(2, 1.0);
        assert_eq!(p.to_string(), "3*z1^2 - z2 + 1");
    }
}
