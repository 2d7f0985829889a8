//! A small readable syntax for polynomials: `x1^2*x2 - 3*x3 + 1`, `-(x1 - 1)^2 + 2.5e-1*y`.
//!
//! Grammar: `expr := term (('+' | '-') term)*`, `term := factor (('*' | implicit) factor)*`,
//! `factor := ('+' | '-') factor | atom ('^' integer)?`, `atom := number | name | '(' expr ')'`.
//! Names are `[A-Za-z_][A-Za-z0-9_]*` and must be among the problem's variables; numbers are decimal with an
//! optional exponent; powers are nonnegative integers. Juxtaposition (`2x1`, `2(x1+1)`) multiplies.

use crate::error::{Error, Result};
use crate::polynomial::Polynomial;

/// Parse `text` as a polynomial in the named variables.
pub fn parse_polynomial(text: &str, variables: &[String]) -> Result<Polynomial> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
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

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
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

    fn expr(&mut self) -> Result<Polynomial> {
        let mut acc = self.term()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.i += 1;
            let t = self.term()?;
            acc.add_scaled(&t, if c == b'+' { 1.0 } else { -1.0 });
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
                    acc = acc.product(&f);
                }
                Some(c) if c == b'(' || c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {
                    let f = self.factor()?;
                    acc = acc.product(&f);
                }
                _ => return Ok(acc),
            }
        }
    }

    fn factor(&mut self) -> Result<Polynomial> {
        match self.peek() {
            Some(b'-') => {
                self.i += 1;
                Ok(self.factor()?.scale(-1.0))
            }
            Some(b'+') => {
                self.i += 1;
                self.factor()
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
                    Ok(base.pow(e))
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
    fn finds_variable_names_but_not_exponents() {
        assert_eq!(
            variable_names("x2*x1 + 1e5*x2 - y_3"),
            vec!["x2", "x1", "y_3"]
        );
    }
}
