//! A small readable syntax for polynomials: `x1^2*x2 - 3*x3 + 1`, `-(x1 - 1)^2 + 2.5e-1*y`.
//!
//! Grammar: `expr := term (('+' | '-') term)*`, `term := factor (('*' | '/' | implicit) factor)*`,
//! `factor := ('+' | '-') factor | atom ('^' integer)?`, `atom := number | name | '(' expr ')'`.
//! Names are `[A-Za-z_][A-Za-z0-9_]*` and must be among the problem's variables; numbers are decimal with an
//! optional exponent (`1e-7`, `2.5E3`); powers are nonnegative integers. Juxtaposition (`2x1`, `2(x1+1)`)
//! multiplies. `/` divides by a nonzero constant (`(1/3)*x^6`, `x/2`, `x^2/4`: each coefficient is divided,
//! one rounding); dividing by a polynomial that is not constant, or by zero, is an error naming the place.
//! Operators are left-associative: `x/2*y` is `(x/2)*y`. An expression whose expansion would exceed
//! [`MAX_TERMS`] terms or degree [`MAX_DEGREE`] is refused before it is expanded.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::polynomial::{Monomial, Polynomial};

/// Largest number of terms of any polynomial built while parsing.
pub const MAX_TERMS: usize = 1_000_000;
/// Largest degree of any polynomial built while parsing.
pub const MAX_DEGREE: u32 = 256;

/// Parse `text` as a polynomial in the named variables.
pub fn parse_polynomial(text: &str, variables: &[String]) -> Result<Polynomial> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
        vars: variables,
        text,
    };
    let poly = p.expr()?;
    p.skip_ws();
    if p.i < p.s.len() {
        return Err(p.error("unexpected character"));
    }
    Ok(poly)
}

/// Natural order of variable names: by the name without its trailing digits, then by the number those digits
/// form (`x2` < `x10`, `x` < `x1`), then by the text (`x01` before `x1`).
pub fn natural_order(a: &str, b: &str) -> Ordering {
    fn split(s: &str) -> (&str, &str) {
        let cut = s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        s.split_at(cut)
    }
    let ((pa, da), (pb, db)) = (split(a), split(b));
    let num = |d: &str| d.trim_start_matches('0').to_string();
    let (na, nb) = (num(da), num(db));
    pa.cmp(pb)
        .then(da.is_empty().cmp(&db.is_empty()).reverse())
        .then(na.len().cmp(&nb.len()))
        .then(na.cmp(&nb))
        .then(a.cmp(b))
}

/// Sort variable names in [`natural_order`].
pub fn sort_natural(names: &mut [String]) {
    names.sort_by(|a, b| natural_order(a, b));
}

/// The variable names appearing in `text`, in order of first appearance.
pub fn variable_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = vec![];
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() || b[i] == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            // A letter right after digits is part of a number's exponent ("1e5"), not a name.
            let in_number = start > 0
                && (b[start] == b'e' || b[start] == b'E')
                && b[start - 1].is_ascii_digit()
                && b[start + 1..i].iter().all(u8::is_ascii_digit);
            let name = &text[start..i];
            if !in_number && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        } else if b[i].is_ascii_digit() {
            // skip a number with its exponent
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    names
}

/// Deepest nesting of parentheses and unary signs accepted (the parser recurses on them).
const MAX_NESTING: usize = 200;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    vars: &'a [String],
    text: &'a str,
}

impl Parser<'_> {
    fn n(&self) -> usize {
        self.vars.len()
    }

    fn error(&self, what: &str) -> Error {
        Error::InvalidInput(format!(
            "{what} at position {} of \"{}\"",
            self.i + 1,
            self.text
        ))
    }

    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.i).copied()
    }

    /// a·b, refused (naming the place) when it would exceed [`MAX_TERMS`] terms or degree [`MAX_DEGREE`],
    /// or when a coefficient overflows.
    fn product(&self, a: &Polynomial, b: &Polynomial) -> Result<Polynomial> {
        if a.degree() + b.degree() > MAX_DEGREE {
            return Err(self.error(&format!("expression of degree above {MAX_DEGREE}")));
        }
        if a.len().saturating_mul(b.len()) > MAX_TERMS {
            return Err(self.error(&format!(
                "expression too large to expand (more than {MAX_TERMS} terms)"
            )));
        }
        let p = a.product(b);
        if p.terms().any(|(_, c)| !c.is_finite()) {
            return Err(self.error("a coefficient overflows"));
        }
        Ok(p)
    }

    fn expr(&mut self) -> Result<Polynomial> {
        if self.depth >= MAX_NESTING {
            return Err(self.error(&format!("parentheses nested deeper than {MAX_NESTING}")));
        }
        self.depth += 1;
        let r = self.expr_inner();
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self) -> Result<Polynomial> {
        let mut acc = self.term()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.i += 1;
            let t = self.term()?;
            acc.add_scaled(&t, if c == b'+' { 1.0 } else { -1.0 });
            if acc.terms().any(|(_, c)| !c.is_finite()) {
                return Err(self.error("a coefficient overflows"));
            }
        }
        Ok(acc)
    }

    fn term(&mut self) -> Result<Polynomial> {
        let mut acc = self.factor()?;
        loop {
            match self.peek() {
                Some(b'*') => {
                    self.i += 1;
                    let f = self.factor()?;
                    acc = self.product(&acc, &f)?;
                }
                Some(b'/') => {
                    let at = self.i;
                    self.i += 1;
                    let f = self.factor()?;
                    let one = Monomial::one(self.n());
                    if f.terms().any(|(m, _)| *m != one) {
                        self.i = at;
                        return Err(self.error("division by a polynomial that is not constant"));
                    }
                    let d = f.coefficient(&one);
                    if d == 0.0 {
                        self.i = at;
                        return Err(self.error("division by zero"));
                    }
                    let q = Polynomial::from_terms(
                        self.n(),
                        acc.terms().map(|(m, c)| (m.clone(), c / d)),
                    );
                    if q.terms().any(|(_, c)| !c.is_finite()) {
                        self.i = at;
                        return Err(self.error("the quotient is not finite"));
                    }
                    acc = q;
                }
                Some(c) if c == b'(' || c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {
                    let f = self.factor()?;
                    acc = self.product(&acc, &f)?;
                }
                _ => return Ok(acc),
            }
        }
    }

    fn factor(&mut self) -> Result<Polynomial> {
        match self.peek() {
            Some(c @ (b'-' | b'+')) => {
                // A run of signs is read in a loop (no recursion on "------x").
                let mut negative = c == b'-';
                self.i += 1;
                while let Some(c @ (b'-' | b'+')) = self.peek() {
                    negative ^= c == b'-';
                    self.i += 1;
                }
                let f = self.factor()?;
                Ok(if negative { f.scale(-1.0) } else { f })
            }
            _ => {
                let base = self.atom()?;
                if self.peek() == Some(b'^') {
                    self.i += 1;
                    self.skip_ws();
                    let start = self.i;
                    while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                        self.i += 1;
                    }
                    if start == self.i {
                        return Err(self.error("expected a nonnegative integer power"));
                    }
                    let e: u32 = self.text[start..self.i]
                        .parse()
                        .ok()
                        .filter(|&e| e <= 64)
                        .ok_or_else(|| self.error("power too large (at most 64)"))?;
                    // The power's degree is known before it is expanded: refuse it at once.
                    if u64::from(base.degree()) * u64::from(e) > u64::from(MAX_DEGREE) {
                        return Err(self.error(&format!("expression of degree above {MAX_DEGREE}")));
                    }
                    let mut p = Polynomial::constant(self.n(), 1.0);
                    for _ in 0..e {
                        p = self.product(&p, &base)?;
                    }
                    Ok(p)
                } else {
                    Ok(base)
                }
            }
        }
    }

    fn atom(&mut self) -> Result<Polynomial> {
        match self.peek() {
            Some(b'(') => {
                self.i += 1;
                let e = self.expr()?;
                if self.peek() != Some(b')') {
                    return Err(self.error("expected ')'"));
                }
                self.i += 1;
                Ok(e)
            }
            Some(c) if c.is_ascii_digit() || c == b'.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
                {
                    self.i += 1;
                }
                let name = &self.text[start..self.i];
                match self.vars.iter().position(|v| v == name) {
                    Some(k) => Ok(Polynomial::variable(self.n(), k)),
                    None => {
                        self.i = start;
                        Err(self.error(&format!("unknown variable \"{name}\"")))
                    }
                }
            }
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end of expression")),
        }
    }

    fn number(&mut self) -> Result<Polynomial> {
        let start = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.') {
            self.i += 1;
        }
        if self.i < self.s.len() && (self.s[self.i] == b'e' || self.s[self.i] == b'E') {
            let mut j = self.i + 1;
            if j < self.s.len() && (self.s[j] == b'+' || self.s[j] == b'-') {
                j += 1;
            }
            if j < self.s.len() && self.s[j].is_ascii_digit() {
                self.i = j;
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
            }
        }
        let v: f64 = self.text[start..self.i]
            .parse()
            .map_err(|_| self.error("malformed number"))?;
        if !v.is_finite() {
            return Err(self.error("number is not finite"));
        }
        Ok(Polynomial::constant(self.n(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_and_evaluates() {
        let v = vars(&["x1", "x2", "x3"]);
        let p = parse_polynomial("x1^2*x2 - 3*x3 + 1", &v).unwrap();
        let z = [1.5, -2.0, 0.25];
        assert_eq!(p.evaluate(&z), 1.5f64.powi(2) * -2.0 - 0.75 + 1.0);
        let q = parse_polynomial("-(x1 - 1)^2 + 2.5e-1*x2 + 2(x3+1)x1", &v).unwrap();
        let want = -(0.5f64).powi(2) + 0.25 * -2.0 + 2.0 * 1.25 * 1.5;
        assert!((q.evaluate(&z) - want).abs() < 1e-14);
        assert_eq!(parse_polynomial("--x1", &v).unwrap().evaluate(&z), 1.5);
        assert_eq!(parse_polynomial("1e2", &v).unwrap().evaluate(&z), 100.0);
    }

    #[test]
    fn reports_errors_with_positions() {
        let v = vars(&["x"]);
        for (text, needle) in [
            ("x + y", "unknown variable \"y\""),
            ("(x + 1", "expected ')'"),
            ("(x^5 + 1)^60", "degree above 256"),
            ("((x + 1)^21 - x)^24", "degree above 256"),
            ("x^-1", "nonnegative integer power"),
            ("x +", "unexpected end"),
            ("x $ 2", "unexpected character"),
        ] {
            let e = parse_polynomial(text, &v).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert!(e.contains("position"), "{text}: {e}");
        }
    }

    #[test]
    fn divides_by_constants() {
        let v = vars(&["x", "y"]);
        let z = [1.5, -2.0];
        let p = parse_polynomial("(1/3)*x^6", &v).unwrap();
        assert_eq!(p.evaluate(&z), 1.5f64.powi(6) / 3.0);
        assert_eq!(parse_polynomial("x/2", &v).unwrap().evaluate(&z), 0.75);
        assert_eq!(parse_polynomial("x^2/4", &v).unwrap().evaluate(&z), 0.5625);
        // Left-associative: x/2*y = (x/2)·y, 1/2/4 = 1/8; a constant expression divides too.
        assert_eq!(parse_polynomial("x/2*y", &v).unwrap().evaluate(&z), -1.5);
        assert_eq!(parse_polynomial("1/2/4", &v).unwrap().evaluate(&z), 0.125);
        assert_eq!(
            parse_polynomial("(x + y)/(3 - 1)", &v)
                .unwrap()
                .evaluate(&z),
            -0.25
        );
        // The camel back's 1/3 is the double nearest 1/3 (one rounding), as the literal 0.333… would be.
        let a = parse_polynomial("x^6/3", &v).unwrap();
        let b = parse_polynomial("0.3333333333333333*x^6", &v).unwrap();
        assert_eq!(a, b);
        for (text, needle) in [
            ("x/y", "not constant"),
            ("x/(y + 1)", "not constant"),
            ("x/0", "division by zero"),
            ("x/(2 - 2)", "division by zero"),
            ("x/", "unexpected end"),
            ("1e300*x/1e-300", "not finite"),
        ] {
            let e = parse_polynomial(text, &v).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("position"), "{text}: {e}");
        }
        // The position is the '/'.
        let e = parse_polynomial("x + y/x", &v).unwrap_err().to_string();
        assert!(e.contains("position 6"), "{e}");
    }

    #[test]
    fn reads_scientific_notation() {
        let v = vars(&["x", "e"]);
        let z = [2.0, 10.0];
        assert_eq!(parse_polynomial("1e-7*x", &v).unwrap().evaluate(&z), 2e-7);
        assert_eq!(parse_polynomial("2.5E3", &v).unwrap().evaluate(&z), 2500.0);
        assert_eq!(parse_polynomial("1.5e+2x", &v).unwrap().evaluate(&z), 300.0);
        // A variable named e is still a variable where no exponent can be read.
        assert_eq!(parse_polynomial("2e", &v).unwrap().evaluate(&z), 20.0);
        assert_eq!(parse_polynomial("2*e^2", &v).unwrap().evaluate(&z), 200.0);
    }

    #[test]
    fn refuses_expressions_too_large_to_expand() {
        let v = vars(&["a", "b", "c", "d", "e1", "f", "g", "h"]);
        let e = parse_polynomial("(a+b+c+d+e1+f+g+h+1)^40", &v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("too large"), "{e}");
        let e = parse_polynomial("((a+1)^64)^64", &v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("degree"), "{e}");
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        let e = parse_polynomial(&deep, &v).unwrap_err().to_string();
        assert!(e.contains("nested"), "{e}");
        // A long run of signs is fine (no recursion): an even count of minus signs is +a.
        let signs = format!("{}a", "-".repeat(100_000));
        assert_eq!(
            parse_polynomial(&signs, &v).unwrap().evaluate(&[3.0; 8]),
            3.0
        );
    }

    #[test]
    fn orders_names_naturally() {
        let mut names = vars(&["x10", "x2", "y", "x1", "x", "b3", "x01", "b"]);
        sort_natural(&mut names);
        assert_eq!(
            names,
            vars(&["b", "b3", "x", "x01", "x1", "x2", "x10", "y"])
        );
    }

    #[test]
    fn finds_variable_names_but_not_exponents() {
        assert_eq!(
            variable_names("x2*x1 + 1e5*x2 - y_3"),
            vec!["x2", "x1", "y_3"]
        );
    }
}
