//! Reading and writing SDPs in SDPA's sparse format (`.dat-s`), and a solve report for `polyact sdp`.
//!
//! The format (SDPA 6/7, as used by SDPLIB):
//!
//! ```text
//!   "comment lines (starting with " or *) before the data
//!   m                     number of variables x₁..x_m
//!   nblocks               number of blocks
//!   s₁ s₂ … s_nblocks     block sizes; a negative size −s is a diagonal (LP) block of size s
//!   c₁ c₂ … c_m           the objective
//!   matno blkno i j value one line per nonzero entry (i ≤ j, 1-based); matno 0 is F₀
//! ```
//!
//! Numbers may be separated by spaces, tabs, commas, braces and parentheses. A line may continue after the
//! counts with a comment (`2 =mdim`). The problem is SDPA's: min c·x s.t. Σ xᵢFᵢ − F₀ ⪰ 0, so the crate's
//! constant matrix is C₀ = −F₀ (see [`super`]). An entry with i > j is mirrored to (j, i); duplicates add up.
//!
//! SDPA has no objective constant; [`write_sdpa`] keeps a nonzero c₀ in a comment line
//! `* polyact: objective constant = …` that [`parse`] reads back (other readers ignore it).

use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::block::{ConstraintBlock, DiagonalBlock, SparseBlock, SparseMatrix};
use super::{SdpCheck, SdpProblem, SdpSolution, SdpStatus};
use crate::error::{Error, Result};

/// Largest total matrix dimension accepted (far beyond what the dense interior-point method can solve; it keeps
/// a malformed size from allocating without bound).
const MAX_TOTAL_SIZE: u64 = 1 << 24;

/// The comment that carries the objective constant c₀ (which SDPA's format lacks).
const CONSTANT_TAG: &str = "polyact: objective constant =";

/// One token of the file with its 1-based line number.
#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    line: usize,
    text: &'a str,
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '{' | '}' | '(' | ')')
}

/// A parse failure at a line (0 = end of file).
fn parse_error(path: &str, line: usize, message: impl fmt::Display) -> Error {
    let message = if line == 0 {
        format!("at the end of the file: {message}")
    } else {
        format!("line {line}: {message}")
    };
    Error::Parse {
        path: path.to_string(),
        message,
    }
}

/// A float token: decimal with optional exponent (Fortran's `D` exponent accepted); NaN and ±∞ refused.
fn parse_real(text: &str) -> Option<f64> {
    let v = text
        .parse::<f64>()
        .ok()
        .or_else(|| text.replace(['D', 'd'], "e").parse::<f64>().ok())?;
    // Rust also parses "inf", "NaN", "infinity": refuse those words and non-finite results.
    (v.is_finite() && text.bytes().any(|b| b.is_ascii_digit())).then_some(v)
}

fn describe_real(text: &str) -> String {
    match text.parse::<f64>() {
        Ok(v) if !v.is_finite() => format!("{text:?} is not a finite number"),
        _ if parse_real(text).is_none() && text.replace(['D', 'd'], "e").parse::<f64>().is_ok() => {
            format!("{text:?} is not a finite number")
        }
        _ => format!("{text:?} is not a number"),
    }
}

/// An integer token (an integral float such as `3.0` is accepted).
fn parse_integer(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().or_else(|| {
        let v = parse_real(text)?;
        (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
    })
}

struct Reader<'a> {
    path: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
    last_line: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    fn next(&mut self, what: &str) -> Result<Token<'a>> {
        let t = self.peek().ok_or_else(|| {
            parse_error(
                self.path,
                0,
                format!(
                    "the file ends before {what} (after line {})",
                    self.last_line
                ),
            )
        })?;
        self.pos += 1;
        Ok(t)
    }

    fn integer(&mut self, what: &str) -> Result<(i64, usize)> {
        let t = self.next(what)?;
        let v = parse_integer(t.text).ok_or_else(|| {
            parse_error(
                self.path,
                t.line,
                format!("expected {what}, found {:?}", t.text),
            )
        })?;
        Ok((v, t.line))
    }

    /// After a count: text on the rest of its line (`=mdim`) is a comment; further numbers are kept.
    fn skip_trailing_comment(&mut self, line: usize) {
        if let Some(t) = self.peek().filter(|t| t.line == line)
            && parse_real(t.text).is_none()
        {
            while self.peek().is_some_and(|t| t.line == line) {
                self.pos += 1;
            }
        }
    }
}

/// Parse the text of an SDPA sparse file; `path` names the file in error messages.
pub fn parse(text: &str, path: &str) -> Result<SdpProblem> {
    let mut tokens = vec![];
    let mut constant = 0.0;
    let mut in_header = true;
    let mut last_line = 0;
    for (k, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        last_line = k + 1;
        if in_header && (trimmed.starts_with('"') || trimmed.starts_with('*')) {
            if let Some(rest) = trimmed.find(CONSTANT_TAG).map(|at| &trimmed[at..]) {
                let v = rest[CONSTANT_TAG.len()..].trim();
                constant = parse_real(v).ok_or_else(|| {
                    parse_error(
                        path,
                        k + 1,
                        format!("objective constant: {}", describe_real(v)),
                    )
                })?;
            }
            continue;
        }
        in_header = false;
        tokens.extend(
            line.split(is_separator)
                .filter(|t| !t.is_empty())
                .map(|text| Token { line: k + 1, text }),
        );
    }
    let mut r = Reader {
        path,
        tokens,
        pos: 0,
        last_line,
    };

    // m and the number of blocks.
    let (m, line) = r.integer("the number of variables m")?;
    if m < 0 {
        return Err(parse_error(
            path,
            line,
            format!("the number of variables must be ≥ 0, got {m}"),
        ));
    }
    let m = m as usize;
    r.skip_trailing_comment(line);
    let (nblocks, line) = r.integer("the number of blocks")?;
    if nblocks < 1 {
        return Err(parse_error(
            path,
            line,
            format!("the number of blocks must be ≥ 1, got {nblocks}"),
        ));
    }
    let nblocks = nblocks as usize;
    r.skip_trailing_comment(line);

    // Block sizes, all on one line.
    // (Vectors grow with the tokens actually read: a huge count in a malformed file allocates nothing.)
    let mut sizes = vec![];
    let mut sizes_line = 0;
    let mut total = 0u64;
    for b in 0..nblocks {
        let (s, line) = r.integer("a block size")?;
        if b == 0 {
            sizes_line = line;
        } else if line != sizes_line {
            return Err(parse_error(
                path,
                sizes_line,
                format!("expected {nblocks} block sizes on this line, found {b}"),
            ));
        }
        if s == 0 {
            return Err(parse_error(
                path,
                line,
                format!("block {} has invalid size 0", b + 1),
            ));
        }
        total += s.unsigned_abs();
        if total > MAX_TOTAL_SIZE {
            return Err(parse_error(
                path,
                line,
                format!("the block sizes add up to more than {MAX_TOTAL_SIZE}"),
            ));
        }
        sizes.push(s);
    }
    r.skip_trailing_comment(sizes_line);
    if let Some(t) = r.peek().filter(|t| t.line == sizes_line) {
        return Err(parse_error(
            path,
            t.line,
            format!(
                "expected {nblocks} block sizes on this line, found more ({:?})",
                t.text
            ),
        ));
    }

    // The objective c₁..c_m.
    let mut objective = vec![];
    objective.push(constant);
    let mut c_line = sizes_line;
    for i in 0..m {
        let t = r.next(&format!(
            "objective coefficient {} of {m} (line {c_line})",
            i + 1
        ))?;
        let v = parse_real(t.text).ok_or_else(|| {
            parse_error(
                path,
                t.line,
                format!("objective coefficient {}: {}", i + 1, describe_real(t.text)),
            )
        })?;
        c_line = t.line;
        objective.push(v);
    }
    if let Some(t) = r.peek().filter(|t| t.line == c_line && m > 0) {
        return Err(parse_error(
            path,
            t.line,
            format!(
                "expected {m} objective coefficients, found more ({:?})",
                t.text
            ),
        ));
    }

    // Entries, one per line.
    let mut sparse: Vec<Vec<SparseMatrix>> = vec![vec![]; nblocks];
    let mut diagonal: Vec<Vec<Vec<(u32, f64)>>> = sizes
        .iter()
        .map(|&s| {
            if s < 0 {
                vec![vec![]; s.unsigned_abs() as usize]
            } else {
                vec![]
            }
        })
        .collect();
    let rest = &r.tokens[r.pos..];
    let mut k = 0;
    while k < rest.len() {
        let line = rest[k].line;
        let mut end = k;
        while end < rest.len() && rest[end].line == line {
            end += 1;
        }
        let fields = &rest[k..end];
        k = end;
        if fields.len() != 5 {
            let hint = if line == rest[0].line && r.pos > 0 && r.tokens[r.pos - 1].line == line {
                " (the objective vector is too short?)"
            } else {
                ""
            };
            return Err(parse_error(
                path,
                line,
                format!(
                    "expected 5 fields (matno blkno i j value), found {}{hint}",
                    fields.len()
                ),
            ));
        }
        let int = |t: &Token, what: &str, lo: i64, hi: i64| -> Result<i64> {
            let v = parse_integer(t.text).ok_or_else(|| {
                parse_error(
                    path,
                    line,
                    format!("{what}: {:?} is not an integer", t.text),
                )
            })?;
            if v < lo || v > hi {
                return Err(parse_error(
                    path,
                    line,
                    format!("{what} {v} is out of range {lo}..={hi}"),
                ));
            }
            Ok(v)
        };
        let var = int(&fields[0], "matrix number", 0, m as i64)? as usize;
        let blk = int(&fields[1], "block number", 1, nblocks as i64)? as usize - 1;
        let size = sizes[blk].abs();
        let i = int(&fields[2], "row index", 1, size)? as u32 - 1;
        let j = int(&fields[3], "column index", 1, size)? as u32 - 1;
        let value = parse_real(fields[4].text).ok_or_else(|| {
            parse_error(
                path,
                line,
                format!("entry value: {}", describe_real(fields[4].text)),
            )
        })?;
        // C₀ = −F₀.
        let value = if var == 0 { -value } else { value };
        if sizes[blk] < 0 {
            if i != j {
                return Err(parse_error(
                    path,
                    line,
                    format!(
                        "entry ({}, {}) is off the diagonal of diagonal block {}",
                        i + 1,
                        j + 1,
                        blk + 1
                    ),
                ));
            }
            let row = &mut diagonal[blk][i as usize];
            match row.iter_mut().find(|(v, _)| *v as usize == var) {
                Some(e) => e.1 += value,
                None => row.push((var as u32, value)),
            }
        } else {
            let mats = &mut sparse[blk];
            match mats.last_mut().filter(|(v, _)| *v == var) {
                Some((_, e)) => e.push((i, j, value)),
                None => mats.push((var, vec![(i, j, value)])),
            }
        }
    }

    let blocks = sizes
        .iter()
        .zip(sparse)
        .zip(diagonal)
        .map(|((&s, mats), mut rows)| {
            if s < 0 {
                for row in &mut rows {
                    row.retain(|e| e.1 != 0.0);
                    row.sort_by_key(|e| e.0);
                }
                ConstraintBlock::Diagonal(DiagonalBlock::new(rows))
            } else {
                ConstraintBlock::Sparse(SparseBlock::new(s as usize, mats))
            }
        })
        .collect();
    SdpProblem::new(m, objective, blocks).map_err(|e| Error::Parse {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// Read an SDPA sparse file.
pub fn read_file(path: impl AsRef<Path>) -> Result<SdpProblem> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = crate::error::read_text(path)?;
    parse(&text, &name)
}

/// Write an SDPA sparse file.
pub fn write_file(problem: &SdpProblem, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    std::fs::write(path, write_sdpa(problem)).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The problem in SDPA sparse format. Every block kind is written: moment/localizing blocks are expanded
/// into their sparse coefficient matrices. Numbers are written in shortest round-trip form.
pub fn write_sdpa(problem: &SdpProblem) -> String {
    use std::fmt::Write;
    let m = problem.num_vars();
    let c = problem.objective();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\"SDPA sparse format, written by polyact: min c·x s.t. sum x_i F_i - F_0 >= 0"
    );
    if c[0] != 0.0 {
        let _ = writeln!(out, "* {CONSTANT_TAG} {:e}", c[0]);
    }
    let _ = writeln!(out, "{m} =mdim");
    let _ = writeln!(out, "{} =nblocks", problem.blocks().len());
    let sizes: Vec<String> = problem
        .blocks()
        .iter()
        .map(|b| {
            if b.is_diagonal() {
                format!("-{}", b.dim())
            } else {
                b.dim().to_string()
            }
        })
        .collect();
    let _ = writeln!(out, "{}", sizes.join(" "));
    let cs: Vec<String> = c[1..].iter().map(|v| format!("{v:e}")).collect();
    let _ = writeln!(out, "{}", cs.join(" "));
    // SDPA lists F₀ = −C₀.
    let sign = |var: usize, v: f64| if var == 0 { -v } else { v };
    for (k, blk) in problem.blocks().iter().enumerate() {
        let bno = k + 1;
        let mut entries: Vec<(usize, u32, u32, f64)> = vec![];
        match blk {
            ConstraintBlock::Sparse(s) => {
                for (var, e) in s.matrices() {
                    entries.extend(e.iter().map(|&(i, j, v)| (*var, i, j, v)));
                }
            }
            ConstraintBlock::Diagonal(d) => {
                for (r, row) in d.rows().iter().enumerate() {
                    entries.extend(
                        row.iter()
                            .map(|&(var, v)| (var as usize, r as u32, r as u32, v)),
                    );
                }
            }
            ConstraintBlock::Localizing(l) => entries.extend(l.entries()),
        }
        entries.sort_unstable_by_key(|&(var, i, j, _)| (var, i, j));
        for (var, i, j, v) in entries {
            if v != 0.0 {
                let _ = writeln!(out, "{var} {bno} {} {} {:e}", i + 1, j + 1, sign(var, v));
            }
        }
    }
    out
}

/// Everything `polyact sdp` prints: the solver's result and the independent check.
#[derive(Clone, Debug, Serialize)]
pub struct SdpReport {
    /// The file solved.
    pub file: String,
    /// Number of variables m.
    pub variables: usize,
    /// Block sizes (negative: diagonal block), as in the file.
    pub blocks: Vec<i64>,
    /// How the coefficient matrices were represented: "general" (sparse), or the moment relaxation the
    /// file was written from (see `MomentRelaxation::from_sdpa`).
    pub structure: String,
    /// How the solve ended.
    pub status: SdpStatus,
    /// c₀ + c·x.
    pub primal_objective: f64,
    /// c₀ − ⟨C₀, Y⟩.
    pub dual_objective: f64,
    /// |primal − dual| / (1 + |primal| + |dual|).
    pub relative_gap: f64,
    /// Solver's primal infeasibility.
    pub primal_infeasibility: f64,
    /// Solver's dual infeasibility.
    pub dual_infeasibility: f64,
    /// Interior-point iterations.
    pub iterations: usize,
    /// Wall-clock seconds of the solve.
    pub seconds: f64,
    /// The independent check of the returned point ([`SdpProblem::check`]).
    pub check: SdpCheck,
}

impl SdpReport {
    /// Build from a problem, its solution, and how its coefficient matrices were represented.
    pub fn new(
        file: &str,
        structure: &str,
        problem: &SdpProblem,
        solution: &SdpSolution,
    ) -> SdpReport {
        SdpReport {
            file: file.to_string(),
            structure: structure.to_string(),
            variables: problem.num_vars(),
            blocks: problem
                .blocks()
                .iter()
                .map(|b| {
                    let d = b.dim() as i64;
                    if b.is_diagonal() { -d } else { d }
                })
                .collect(),
            status: solution.status,
            primal_objective: solution.primal_objective,
            dual_objective: solution.dual_objective,
            relative_gap: solution.residuals.relative_gap,
            primal_infeasibility: solution.residuals.primal_infeasibility,
            dual_infeasibility: solution.residuals.dual_infeasibility,
            iterations: solution.iterations,
            seconds: solution.seconds,
            check: problem.check(&solution.x, &solution.dual),
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

impl fmt::Display for SdpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status;
        writeln!(f, "file                  {}", self.file)?;
        writeln!(
            f,
            "size                  m = {}, blocks {:?}",
            self.variables, self.blocks
        )?;
        writeln!(f, "structure             {}", self.structure)?;
        writeln!(f, "status                {status}")?;
        writeln!(f, "primal objective      {:+.10e}", self.primal_objective)?;
        writeln!(f, "dual objective        {:+.10e}", self.dual_objective)?;
        writeln!(f, "relative gap          {:.3e}", self.relative_gap)?;
        writeln!(f, "primal infeasibility  {:.3e}", self.primal_infeasibility)?;
        writeln!(f, "dual infeasibility    {:.3e}", self.dual_infeasibility)?;
        writeln!(f, "iterations            {}", self.iterations)?;
        writeln!(f, "seconds               {:.3}", self.seconds)?;
        writeln!(f, "check (recomputed from the data):")?;
        writeln!(
            f,
            "  λ_min(X)/(1+‖X‖)    {:.3e}",
            self.check.primal_min_eigenvalue
        )?;
        writeln!(
            f,
            "  λ_min(Y)/(1+‖Y‖)    {:.3e}",
            self.check.dual_min_eigenvalue
        )?;
        writeln!(f, "  ‖c − A(Y)‖/(1+‖c‖)  {:.3e}", self.check.dual_residual)?;
        write!(f, "  relative gap        {:.3e}", self.check.relative_gap)
    }
}

/// [`SdpReport::structure`] of a problem solved with sparse coefficient matrices.
pub const GENERAL_STRUCTURE: &str = "general (sparse coefficient matrices)";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::sdp::BlockMatrix;

    const SMALL: &str = "\"a comment\n* another\n2 =mdim\n2 =nblocks\n{2, -2}\n{1.0, 2.0}\n\
        0 1 1 1 -1\n0 1 2 2 -1\n1 1 1 2 1\n2 2 1 1 1\n2 2 2 2 1\n0 2 2 2 3e-1\n";

    #[test]
    fn parses_a_small_file() {
        let p = parse(SMALL, "small").unwrap();
        assert_eq!(p.num_vars(), 2);
        assert_eq!(p.objective(), &[0.0, 1.0, 2.0]);
        assert_eq!(p.blocks().len(), 2);
        assert!(!p.blocks()[0].is_diagonal() && p.blocks()[1].is_diagonal());
        // X(x) at x = (0.5, 2): [[1, 0.5], [0.5, 1]] and diag(2, 2 − 0.3).
        let xs = p.primal_slack(&[0.5, 2.0]);
        assert_eq!(xs[0].to_rows(), vec![vec![1.0, 0.5], vec![0.5, 1.0]]);
        assert_eq!(xs[1], BlockMatrix::Diagonal(vec![2.0, 1.7]));
    }

    fn err(text: &str) -> String {
        match parse(text, "bad.dat-s") {
            Err(Error::Parse { path, message }) => {
                assert_eq!(path, "bad.dat-s");
                message
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_files_give_line_numbers() {
        let cases: &[(&str, &str)] = &[
            ("", "ends before the number of variables"),
            ("x\n", "line 1: expected the number of variables"),
            ("2\n1\n2\n1\n", "ends before objective coefficient 2"),
            ("1\n2\n2\n1\n", "line 3: expected 2 block sizes"),
            (
                "1\n1\n2 3\n1\n",
                "line 3: expected 1 block sizes on this line, found more",
            ),
            ("1\n1\n0\n1\n", "line 3: block 1 has invalid size 0"),
            (
                "1\n1\n-99999999999\n1\n",
                "line 3: the block sizes add up to more than",
            ),
            (
                "99999999999999\n1\n2\n1\n",
                "ends before objective coefficient 2 of",
            ),
            (
                "1\n99999999999999\n2\n1\n",
                "line 3: expected 99999999999999 block sizes",
            ),
            (
                "1\n1\n2\n1 2\n",
                "line 4: expected 1 objective coefficients, found more",
            ),
            (
                "1\n1\n2\nabc\n",
                "line 4: objective coefficient 1: \"abc\" is not a number",
            ),
            (
                "1\n1\n2\nNaN\n",
                "line 4: objective coefficient 1: \"NaN\" is not a finite",
            ),
            ("1\n1\n2\n1\n1 1 1 1\n", "line 5: expected 5 fields"),
            (
                "1\n1\n2\n1\n2 1 1 1 1.0\n",
                "line 5: matrix number 2 is out of range 0..=1",
            ),
            (
                "1\n1\n2\n1\n1 2 1 1 1.0\n",
                "line 5: block number 2 is out of range",
            ),
            (
                "1\n1\n2\n1\n1 1 3 1 1.0\n",
                "line 5: row index 3 is out of range 1..=2",
            ),
            (
                "1\n1\n2\n1\n1 1 1 0 1.0\n",
                "line 5: column index 0 is out of range",
            ),
            (
                "1\n1\n2\n1\n1 1 1 1 inf\n",
                "line 5: entry value: \"inf\" is not a finite",
            ),
            (
                "1\n1\n2\n1\n1 1 1 1 1e999\n",
                "line 5: entry value: \"1e999\" is not a finite",
            ),
            (
                "1\n1\n2\n1\n1 1 a 1 1.0\n",
                "line 5: row index: \"a\" is not an integer",
            ),
            (
                "1\n1\n-2\n1\n1 1 1 2 1.0\n",
                "line 5: entry (1, 2) is off the diagonal",
            ),
            ("1\n0\n2\n1\n", "line 2: the number of blocks must be ≥ 1"),
            (
                "-1\n1\n2\n1\n",
                "line 1: the number of variables must be ≥ 0",
            ),
        ];
        for (text, needle) in cases {
            let msg = err(text);
            assert!(msg.contains(needle), "{text:?}: {msg:?} lacks {needle:?}");
        }
    }

    #[test]
    fn lower_triangle_entries_are_mirrored() {
        let a = parse("1\n1\n2\n1\n1 1 1 2 3.0\n", "a").unwrap();
        let b = parse("1\n1\n2\n1\n1 1 2 1 3.0\n", "b").unwrap();
        let x = [2.0];
        assert_eq!(a.primal_slack(&x), b.primal_slack(&x));
    }

    fn random_problem(seed: u64) -> SdpProblem {
        let mut rng = Rng::new(seed);
        let m = 4;
        let mut mats = vec![];
        for v in 0..=m {
            let mut e = vec![];
            for i in 0..3u32 {
                for j in i..3 {
                    if rng.uniform() < 0.6 {
                        e.push((i, j, rng.normal()));
                    }
                }
            }
            mats.push((v, e));
        }
        let rows = (0..3)
            .map(|_| (0..=m as u32).map(|v| (v, rng.normal() * 1e-3)).collect())
            .collect();
        let objective = (0..=m).map(|_| rng.normal() * 1e7).collect();
        SdpProblem::new(
            m,
            objective,
            vec![
                ConstraintBlock::Sparse(SparseBlock::new(3, mats)),
                ConstraintBlock::Diagonal(DiagonalBlock::new(rows)),
            ],
        )
        .unwrap()
    }

    /// Same objective and the same affine map and adjoint on random vectors.
    pub(crate) fn assert_same(a: &SdpProblem, b: &SdpProblem, seed: u64) {
        assert_eq!(a.num_vars(), b.num_vars());
        assert_eq!(a.objective(), b.objective());
        assert_eq!(a.blocks().len(), b.blocks().len());
        let mut rng = Rng::new(seed);
        for _ in 0..3 {
            let x: Vec<f64> = (0..a.num_vars()).map(|_| rng.normal()).collect();
            let (xa, xb) = (a.primal_slack(&x), b.primal_slack(&x));
            for (u, v) in xa.iter().zip(&xb) {
                let mut d = u.clone();
                d.axpy(-1.0, v);
                assert!(d.norm() <= 1e-12 * (1.0 + u.norm()), "affine differs");
            }
            let y: Vec<BlockMatrix> = xa
                .iter()
                .map(|blk| match blk {
                    BlockMatrix::Dense(m) => {
                        let n = m.nrows();
                        let r: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
                        BlockMatrix::Dense(faer::Mat::from_fn(n, n, |i, j| {
                            r[i.min(j) * n + i.max(j)]
                        }))
                    }
                    BlockMatrix::Diagonal(d) => {
                        BlockMatrix::Diagonal(d.iter().map(|_| rng.normal()).collect())
                    }
                })
                .collect();
            let (ya, yb) = (a.adjoint(&y), b.adjoint(&y));
            for (u, v) in ya.iter().zip(&yb) {
                assert!((u - v).abs() <= 1e-12 * (1.0 + u.abs()), "adjoint differs");
            }
        }
    }

    #[test]
    fn round_trip() {
        for seed in 0..4 {
            let p = random_problem(seed);
            let text = write_sdpa(&p);
            let q = parse(&text, "written").unwrap();
            assert_same(&p, &q, seed);
            let r = parse(&write_sdpa(&q), "again").unwrap();
            assert_same(&q, &r, seed + 10);
            assert_eq!(write_sdpa(&q), write_sdpa(&r));
        }
        let p = parse(SMALL, "small").unwrap();
        assert_same(&p, &parse(&write_sdpa(&p), "w").unwrap(), 7);
    }

    #[test]
    fn round_trip_of_a_moment_relaxation() {
        use crate::polynomial::Polynomial;
        use crate::pop::Pop;
        use crate::relax::moment::MomentRelaxation;
        let n = 2;
        let x = |i| Polynomial::variable(n, i);
        let g = &Polynomial::constant(n, 2.0) - &x(0).pow(2);
        let pop = Pop::new(vec!["a".into(), "b".into()], x(1), vec![g, x(1)], vec![]).unwrap();
        let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
        let p = r.sdp();
        assert!(matches!(p.blocks()[0], ConstraintBlock::Localizing(_)));
        let q = parse(&write_sdpa(p), "relaxation").unwrap();
        assert_same(p, &q, 3);
    }

    #[test]
    fn garbage_never_panics() {
        // Token soup around a valid file: every outcome is Ok or a Parse error.
        let words = [
            "1",
            "2",
            "-2",
            "0",
            "3",
            "1.5",
            "-1e3",
            "nan",
            "inf",
            "x",
            "{",
            "}",
            ",",
            "(",
            "\"c",
            "*",
            "\n",
            "\n",
            "\n",
            "=mdim",
            "99999999999",
            "-0",
            "1e400",
            "2.0",
        ];
        let mut rng = Rng::new(11);
        for _ in 0..3000 {
            let mut text = String::new();
            if rng.uniform() < 0.5 {
                text.push_str(SMALL);
            }
            for _ in 0..(rng.uniform() * 40.0) as usize {
                let w = words[(rng.uniform() * words.len() as f64) as usize % words.len()];
                text.push_str(w);
                text.push(' ');
            }
            match parse(&text, "soup") {
                Ok(_) | Err(Error::Parse { .. }) => {}
                Err(e) => panic!("{text:?}: unexpected error kind {e}"),
            }
        }
    }
}
