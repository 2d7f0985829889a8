//! POP files (JSON) for `polyact pop` and `polyact verify`:
//!
//! ```text
//! { "variables": ["x1", "x2"],                 // optional: default = the names used, in natural order
//!   "objective": "-(x1 - 1)^2 - (x1 - x2)^2",  // a polynomial in the syntax of [`super::parse`] ...
//!   "inequalities": ["1 - (x1 - 1)^2", ...],   // g_j ≥ 0 (optional)
//!   "equalities": ["x1^2 + x2^2 - 1"],         // h_k = 0 (optional)
//!   "radius": 10 }                             // optional ball R² − ‖z‖² ≥ 0 appended to the inequalities
//! ```
//!
//! Each polynomial may instead be a list of terms `[[exponents...], coefficient]` (exponents in the order of
//! `variables`, which is then required).
//!
//! Without `"variables"`, the variables are the names used, sorted by name and then numeric index
//! ([`natural_order`](super::parse::natural_order): `x`, `x1`, `x2`, …, `x10`, `y`); with it, its order is kept.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Pop;
use super::parse::{parse_polynomial, sort_natural, variable_names};
use crate::error::{Error, Result};
use crate::polynomial::{Monomial, Polynomial};

#[derive(Deserialize)]
#[serde(untagged)]
enum PolySpec {
    Text(String),
    Terms(Vec<(Vec<u16>, f64)>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PopFile {
    variables: Option<Vec<String>>,
    objective: PolySpec,
    #[serde(default)]
    inequalities: Vec<PolySpec>,
    #[serde(default)]
    equalities: Vec<PolySpec>,
    radius: Option<f64>,
}

/// A POP read from a file, with the radius of its ball if it asked for one.
#[derive(Clone, Debug)]
pub struct PopProblem {
    /// The problem (ball included when `radius` is set).
    pub pop: Pop,
    /// The ball's radius, if any.
    pub radius: Option<f64>,
}

/// Parse POP JSON text; `source` names the file in errors.
pub fn pop_from_json(text: &str, source: &str) -> Result<PopProblem> {
    crate::error::check_json_keys(
        text,
        &[
            "variables",
            "objective",
            "inequalities",
            "equalities",
            "radius",
        ],
        source,
        "a POP file",
    )?;
    let f: PopFile = serde_json::from_str(text).map_err(|e| Error::Parse {
        path: source.into(),
        message: format!("not a POP file: {e}"),
    })?;
    let err = |m: String| Error::InvalidInput(format!("{source}: {m}"));
    let specs = std::iter::once(&f.objective)
        .chain(&f.inequalities)
        .chain(&f.equalities);
    let vars = match &f.variables {
        Some(v) => v.clone(),
        None => {
            let mut names: Vec<String> = vec![];
            for s in specs.clone() {
                match s {
                    PolySpec::Text(t) => {
                        for n in variable_names(t) {
                            if !names.contains(&n) {
                                names.push(n);
                            }
                        }
                    }
                    PolySpec::Terms(_) => {
                        return Err(err(
                            "polynomials given as term lists need \"variables\"".into()
                        ));
                    }
                }
            }
            sort_natural(&mut names);
            names
        }
    };
    if vars.is_empty() {
        return Err(err("the problem has no variables".into()));
    }
    let n = vars.len();
    let build = |s: &PolySpec, what: String| -> Result<Polynomial> {
        match s {
            PolySpec::Text(t) => {
                parse_polynomial(t, &vars).map_err(|e| err(format!("{what}: {e}")))
            }
            PolySpec::Terms(terms) => {
                let mut p = Polynomial::zero(n);
                for (i, (e, c)) in terms.iter().enumerate() {
                    if e.len() != n {
                        return Err(err(format!(
                            "{what}: term {} has {} exponents, expected {n}",
                            i + 1,
                            e.len()
                        )));
                    }
                    if !c.is_finite() {
                        return Err(err(format!("{what}: term {} is not finite", i + 1)));
                    }
                    p.add_term(Monomial(e.clone()), *c);
                }
                Ok(p)
            }
        }
    };
    let objective = build(&f.objective, "objective".into())?;
    let inequalities = f
        .inequalities
        .iter()
        .enumerate()
        .map(|(i, s)| build(s, format!("inequality {}", i + 1)))
        .collect::<Result<Vec<_>>>()?;
    let equalities = f
        .equalities
        .iter()
        .enumerate()
        .map(|(i, s)| build(s, format!("equality {}", i + 1)))
        .collect::<Result<Vec<_>>>()?;
    if let Some(r) = f.radius.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Err(err(format!(
            "the radius must be a positive number, got {r}"
        )));
    }
    let pop = Pop::new(vars, objective, inequalities, equalities)?;
    Ok(PopProblem {
        pop: match f.radius {
            Some(r) => pop.with_ball(r),
            None => pop,
        },
        radius: f.radius,
    })
}

/// Term list `[[exponents...], coefficient]` of a polynomial.
fn terms_of(p: &Polynomial) -> Vec<(Vec<u16>, f64)> {
    p.terms().map(|(m, c)| (m.0.clone(), c)).collect()
}

/// The POP as one line of POP-file JSON in term-list form (no ball: a ball is one of the inequalities).
/// [`pop_from_json`] reads it back exactly (numbers are written in shortest round-trip form).
pub fn pop_to_json(pop: &Pop) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        variables: &'a [String],
        objective: Vec<(Vec<u16>, f64)>,
        inequalities: Vec<Vec<(Vec<u16>, f64)>>,
        equalities: Vec<Vec<(Vec<u16>, f64)>>,
    }
    let out = Out {
        variables: &pop.variable_names,
        objective: terms_of(&pop.objective),
        inequalities: pop.inequalities.iter().map(terms_of).collect(),
        equalities: pop.equalities.iter().map(terms_of).collect(),
    };
    serde_json::to_string(&out).unwrap_or_default()
}

/// Read a POP file.
pub fn load_pop(path: impl AsRef<Path>) -> Result<PopProblem> {
    let path = path.as_ref();
    let text = crate::error::read_text(path)?;
    pop_from_json(&text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_terms_agree() {
        let a = pop_from_json(
            r#"{"variables": ["x", "y"], "objective": "x^2*y - 3*y + 1", "inequalities": ["1 - x^2"], "radius": 2}"#,
            "a.json",
        )
        .unwrap();
        let b = pop_from_json(
            r#"{"variables": ["x", "y"], "objective": [[[2, 1], 1], [[0, 1], -3], [[0, 0], 1]],
                "inequalities": [[[[0, 0], 1], [[2, 0], -1]]], "radius": 2}"#,
            "b.json",
        )
        .unwrap();
        assert_eq!(a.pop.objective, b.pop.objective);
        assert_eq!(a.pop.inequalities, b.pop.inequalities);
        assert_eq!(a.pop.inequalities.len(), 2); // with the ball
        assert_eq!(a.radius, Some(2.0));
    }

    #[test]
    fn infers_variables_and_reports_errors() {
        let p = pop_from_json(r#"{"objective": "b + a^2"}"#, "p.json").unwrap();
        assert_eq!(p.pop.variable_names, vec!["a", "b"]);
        // Natural order without "variables": x1 … x10 by index, not by first appearance; with it, as given.
        let rosen = r#"{"objective": "100*(x2 - x1^2)^2 + (1 - x1)^2 + 100*(x10 - x2^2)^2 + (1 - x3)^2 + x4"}"#;
        let p = pop_from_json(rosen, "r.json").unwrap();
        assert_eq!(p.pop.variable_names, vec!["x1", "x2", "x3", "x4", "x10"]);
        // z = (x1, x2, x3, x4, x10) = (1, 2, 3, 4, 5): 100·(2 − 1)² + 0 + 100·(5 − 4)² + 4 + 4.
        assert_eq!(p.pop.objective_at(&[1.0, 2.0, 3.0, 4.0, 5.0]), 208.0);
        let given = r#"{"variables": ["x2", "x1"], "objective": "x1 - 2*x2"}"#;
        let p = pop_from_json(given, "g.json").unwrap();
        assert_eq!(p.pop.variable_names, vec!["x2", "x1"]);
        assert_eq!(p.pop.objective_at(&[1.0, 5.0]), 3.0);
        for (text, needle) in [
            (r#"{"objective": "x +"}"#, "objective"),
            (
                r#"{"variables": ["x"], "objective": "x", "inequalities": ["y"]}"#,
                "inequality 1",
            ),
            (r#"{"objective": [[[1], 1]]}"#, "need \"variables\""),
            (r#"{"objective": "x", "radius": -1}"#, "radius"),
            (r#"{"objective": "x", "typo": 1}"#, "typo"),
            (
                r#"{"variables": ["x"], "objective": [[[1, 2], 1]]}"#,
                "term 1 has 2 exponents",
            ),
        ] {
            let e = pop_from_json(text, "p.json").unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("p.json"), "{text}: {e}");
        }
    }
}
