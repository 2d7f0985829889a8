//! Reproducing the paper's Tables 1–5 (`polyact reproduce`).
//!
//! API: [`Table::paper`] gives the configuration of Table 1..5 (degrees, the five sizes (N, m), noise σ = 1e-2,
//! relaxation orders up to 3); [`run_table`] generates each instance with [`crate::model::synthetic::generate`]
//! (seed = `first_seed` + repetition, so `polyact generate` reproduces any instance), fits it with
//! [`crate::fit::fit`] and measures it ([`Run`]); [`format_table`], [`to_csv`] and [`to_json`] print the
//! result. [`paper_rows`] holds the paper's published numbers for comparison.
//!
//! Columns: AbsErr = ‖c_true − c_pred‖₂ (all coefficients, fixed constants included — they agree);
//! RelErr = AbsErr / ‖ε‖₂ with ε = Y − f(X; c_true) the N × m_out noise matrix actually drawn and ‖·‖₂ its
//! spectral norm (Frobenius norm and the per-sample RMS norm √(Σ_i ‖ε_i‖²/N) are in the CSV/JSON); Time = wall
//! seconds of the fit (all orders); test MSE/RMSE on an independent test set of N samples (definition in
//! [`crate::experiments::evaluate::MSE_DEFINITION`]); the order of the answer; the status (certified by flat truncation or
//! by gap, at which order, or the remaining relative gap (loss − lower bound)/max(loss, |lower bound|, 0.01·s)); the lower bound and loss.

use std::fmt::Write as _;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::experiments::evaluate::{
    coefficient_distance, frobenius_norm, metrics, noise_matrix, spectral_norm,
};
use crate::fit::{DEFAULT_RADIUS, FitSettings, fit};
use crate::model::synthetic::{SyntheticSpec, generate};
use crate::pop::loss::{Loss, loss_value};
use crate::relax::hierarchy::HierarchySettings;
use crate::report::FitStatus;

/// The paper's sizes (N, m): samples and the common width of every layer.
pub const PAPER_SIZES: [(usize, usize); 5] = [(50, 20), (100, 25), (150, 30), (200, 35), (250, 40)];

/// The paper's noise level.
pub const PAPER_NOISE: f64 = 1e-2;

/// The paper's highest relaxation order.
pub const PAPER_MAX_ORDER: usize = 3;

/// The activation degrees of the paper's Table 1..5.
pub fn paper_degrees(table: usize) -> Option<Vec<usize>> {
    Some(match table {
        1 => vec![2, 2],
        2 => vec![2, 3],
        3 => vec![1, 1, 1],
        4 => vec![2, 1, 1],
        5 => vec![3, 2],
        _ => return None,
    })
}

/// One row of the paper's published tables (MATLAB + GloptiPoly 3 + SeDuMi on an Apple M1 Max, one draw).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PaperRow {
    /// Samples N.
    pub samples: usize,
    /// Width m.
    pub width: usize,
    /// ‖c_true − c_pred‖₂ (Tables 1–4).
    pub abs_err: Option<f64>,
    /// Seconds (Tables 1–4).
    pub seconds: Option<f64>,
    /// Test MSE (Table 5).
    pub test_mse: Option<f64>,
    /// Test RMSE (Table 5).
    pub test_rmse: Option<f64>,
}

/// The paper's numbers for Table 1..5 (empty for other numbers).
pub fn paper_rows(table: usize) -> Vec<PaperRow> {
    let (abs, time): (&[f64], &[f64]) = match table {
        1 => (
            &[0.0019, 0.0013, 0.0014, 0.0018, 0.0012],
            &[5.33, 5.90, 7.04, 6.38, 7.95],
        ),
        2 => (
            &[0.0065, 0.0061, 0.0020, 0.0012, 0.0012],
            &[17.3, 20.8, 22.9, 24.6, 26.4],
        ),
        3 => (
            &[0.0016, 0.0012, 0.0006, 0.0011, 0.0009],
            &[1.00, 0.98, 1.14, 1.25, 1.39],
        ),
        4 => (
            &[0.0012, 0.0055, 0.0030, 0.0009, 0.0007],
            &[2.85, 3.45, 3.83, 4.05, 4.32],
        ),
        5 => {
            let mse = [0.0090, 0.0026, 0.0046, 0.0078, 0.0133];
            let rmse = [0.083, 0.051, 0.067, 0.081, 0.100];
            return PAPER_SIZES
                .iter()
                .enumerate()
                .map(|(i, &(n, m))| PaperRow {
                    samples: n,
                    width: m,
                    abs_err: None,
                    seconds: None,
                    test_mse: Some(mse[i]),
                    test_rmse: Some(rmse[i]),
                })
                .collect();
        }
        _ => return vec![],
    };
    PAPER_SIZES
        .iter()
        .enumerate()
        .map(|(i, &(n, m))| PaperRow {
            samples: n,
            width: m,
            abs_err: Some(abs[i]),
            seconds: Some(time[i]),
            test_mse: None,
            test_rmse: None,
        })
        .collect()
}

/// An experiment: one network shape at several sizes, each repeated over several seeds.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    /// The paper's table number (1..5), or 0 for a custom table.
    pub number: usize,
    /// Activation degrees d_1..d_D.
    pub degrees: Vec<usize>,
    /// Sizes (N, m): samples, and the width of every layer (input, hidden and output).
    pub sizes: Vec<(usize, usize)>,
    /// Noise level σ.
    pub noise: f64,
    /// Highest relaxation order.
    pub max_order: usize,
    /// Repetitions per size (seeds `first_seed`, `first_seed` + 1, …).
    pub seeds: usize,
    /// Seed of the first repetition.
    pub first_seed: u64,
    /// Radius of the ball constraint (`None`: no ball).
    pub radius: Option<f64>,
    /// Show test MSE/RMSE columns (the paper's Table 5).
    pub test_columns: bool,
    /// The training loss (the paper's is mean-inf).
    pub loss: Loss,
}

impl Table {
    /// The paper's Table `number` (1..5) with its sizes, σ = 1e-2, orders up to 3, one seed (1).
    pub fn paper(number: usize) -> Result<Table> {
        let degrees = paper_degrees(number).ok_or_else(|| {
            Error::InvalidInput(format!(
                "the paper has Tables 1 to 5, there is no Table {number}"
            ))
        })?;
        Ok(Table {
            number,
            degrees,
            sizes: PAPER_SIZES.to_vec(),
            noise: PAPER_NOISE,
            max_order: PAPER_MAX_ORDER,
            seeds: 1,
            first_seed: 1,
            radius: Some(DEFAULT_RADIUS),
            test_columns: number == 5,
            loss: Loss::MeanInf,
        })
    }

    /// Number of fits the table runs.
    pub fn instances(&self) -> usize {
        self.sizes.len() * self.seeds
    }

    /// The synthetic problem of size `(samples, width)`, repetition `rep` (with a test set of N samples).
    pub fn spec(&self, (samples, width): (usize, usize), rep: usize) -> SyntheticSpec {
        SyntheticSpec {
            degrees: self.degrees.clone(),
            widths: vec![width; self.degrees.len() + 2],
            samples,
            test_samples: samples,
            noise: self.noise,
            seed: self.first_seed + rep as u64,
            biases: false,
        }
    }

    /// The fit settings: ball radius, orders up to `max_order`, no time limit (a table runs every order the
    /// paper did), everything else at its default.
    pub fn fit_settings(&self) -> FitSettings {
        FitSettings {
            loss: self.loss,
            radius: self.radius,
            hierarchy: HierarchySettings {
                max_order: Some(self.max_order),
                time_limit: None,
                ..HierarchySettings::default()
            },
            ..FitSettings::default()
        }
    }

    /// "Table 1: degrees (2, 2), …" header line.
    pub fn title(&self) -> String {
        let name = if self.number == 0 {
            "Custom table".to_string()
        } else {
            format!("Table {}", self.number)
        };
        let degrees: Vec<String> = self.degrees.iter().map(|d| d.to_string()).collect();
        format!(
            "{name}: degrees ({}), loss {}, all widths m, noise σ = {}, relaxation orders up to {}, ball radius {}, \
             {} seed(s) per row (first seed {})",
            degrees.join(", "),
            self.loss,
            self.noise,
            self.max_order,
            self.radius
                .map(|r| r.to_string())
                .unwrap_or_else(|| "none".into()),
            self.seeds,
            self.first_seed
        )
    }

    /// The paper's row for a size, when this is a paper table at the paper's noise level.
    pub fn paper_row(&self, samples: usize, width: usize) -> Option<PaperRow> {
        if self.noise != PAPER_NOISE {
            return None;
        }
        paper_rows(self.number)
            .into_iter()
            .find(|r| r.samples == samples && r.width == width)
    }
}

/// One fitted instance.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// Samples N.
    pub samples: usize,
    /// Width m.
    pub width: usize,
    /// Seed of the synthetic problem.
    pub seed: u64,
    /// ‖c_true − c_pred‖₂.
    pub abs_err: f64,
    /// AbsErr / ‖ε‖₂ (spectral norm of the N × m_out noise matrix); `None` without noise.
    pub rel_err: Option<f64>,
    /// ‖ε‖₂: spectral norm of ε = Y − f(X; c_true) (N × m_out).
    pub noise_norm: f64,
    /// ‖ε‖_F.
    pub noise_frobenius: f64,
    /// √((1/N) Σ_i ‖ε_i‖²): the typical norm of one sample's noise vector (≈ σ √m_out).
    pub noise_sample_rms: f64,
    /// Wall seconds of the fit (all orders).
    pub seconds: f64,
    /// Order of the answer.
    pub order: usize,
    /// Highest order solved.
    pub last_order: usize,
    /// How the fit ended.
    pub status: FitStatus,
    /// Flat truncation held at the answer's order.
    pub flat: bool,
    /// The order at which optimality was certified, if it was.
    pub certified_order: Option<usize>,
    /// The best relaxation value (lower bound).
    pub lower_bound: Option<f64>,
    /// The table's loss at the returned coefficients (upper bound).
    pub loss: f64,
    /// loss − lower bound.
    pub gap: Option<f64>,
    /// (loss − lower bound) / max(loss, |lower bound|, objective scale) ([`FitReport::relative_gap`]).
    pub relative_gap: Option<f64>,
    /// The ball constraint is active at the answer.
    pub ball_active: bool,
    /// The table's loss at the true coefficients (what the noise alone costs).
    pub loss_at_truth: f64,
    /// Training MSE at the returned coefficients.
    pub train_mse: f64,
    /// Test MSE (independent test set of N samples).
    pub test_mse: f64,
    /// Test RMSE.
    pub test_rmse: f64,
    /// The returned coefficients, per hidden layer.
    pub coefficients: Vec<Vec<f64>>,
    /// The true coefficients, per hidden layer.
    pub true_coefficients: Vec<Vec<f64>>,
}

impl Run {
    /// "flat@3", "gap≤1e-6@2" (certified by the gap), "gap 7.3%@3" (not certified; the bound and the candidate
    /// from order 3), "gap 0.4% (bound@3, candidate@2)" (the bound from order 3, the candidate from order 2),
    /// or "failed".
    pub fn status_label(&self) -> String {
        match (self.status, self.certified_order) {
            (FitStatus::Certified, Some(k)) if self.flat => format!("flat@{k}"),
            (FitStatus::Certified, Some(k)) => format!("gap≤1e-6@{k}"),
            (FitStatus::Certified, None) => "certified".into(),
            (FitStatus::Uncertified, _) => match self.relative_gap {
                Some(g) if self.order != self.last_order => format!(
                    "gap {} (bound@{}, candidate@{})",
                    percent(g),
                    self.last_order,
                    self.order
                ),
                Some(g) => format!("gap {}@{}", percent(g), self.last_order),
                None => format!("uncertified@{}", self.last_order),
            },
            (FitStatus::Failed, _) => "failed".into(),
            (FitStatus::TimeLimit, _) => "time limit".into(),
        }
    }
}

fn percent(g: f64) -> String {
    if g >= 0.1 {
        format!("{:.0}%", 100.0 * g)
    } else if g >= 0.001 {
        format!("{:.1}%", 100.0 * g)
    } else {
        format!("{:.1e}", g)
    }
}

/// Generate, fit and measure one instance.
pub fn run_instance(table: &Table, spec: &SyntheticSpec) -> Result<Run> {
    let problem = generate(spec)?;
    let truth = problem
        .true_coefficients
        .clone()
        .expect("synthetic problems carry their coefficients");
    let noise = noise_matrix(&problem).expect("synthetic problems carry their coefficients");
    let settings = table.fit_settings();
    let start = Instant::now();
    let report = fit(&problem, &settings, &mut |_| {})?;
    let seconds = start.elapsed().as_secs_f64();
    let c = &report.coefficients;
    let abs_err = coefficient_distance(&truth, c);
    let noise_norm = spectral_norm(&noise);
    let frob = frobenius_norm(&noise);
    let train = metrics(&problem.network, &problem.data, c);
    let test = problem
        .test
        .as_ref()
        .map(|t| metrics(&problem.network, t, c))
        .expect("the spec asks for a test set");
    let certified = report.status == FitStatus::Certified;
    Ok(Run {
        samples: spec.samples,
        width: spec.widths[0],
        seed: spec.seed,
        abs_err,
        rel_err: (noise_norm > 0.0).then(|| abs_err / noise_norm),
        noise_norm,
        noise_frobenius: frob,
        noise_sample_rms: frob / (spec.samples as f64).sqrt(),
        seconds,
        order: report.order,
        last_order: report.hierarchy.last().map_or(report.order, |o| o.order),
        status: report.status,
        flat: report.flat,
        certified_order: certified.then_some(report.order),
        lower_bound: report.lower_bound,
        loss: report.loss,
        gap: report.gap,
        relative_gap: report.relative_gap,
        ball_active: report.ball_active,
        loss_at_truth: loss_value(&problem, &truth, table.loss),
        train_mse: train.mse,
        test_mse: test.mse,
        test_rmse: test.rmse,
        coefficients: report.coefficients.clone(),
        true_coefficients: truth,
    })
}

/// Mean and sample standard deviation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Stat {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub std: f64,
}

impl Stat {
    /// Mean and standard deviation of the values.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Stat {
        let v: Vec<f64> = values.into_iter().collect();
        if v.is_empty() {
            return Stat {
                mean: f64::NAN,
                std: f64::NAN,
            };
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let std = if v.len() > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Stat { mean, std }
    }
}

/// One size of a table: its runs (one per seed) and their summary.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Samples N.
    pub samples: usize,
    /// Width m.
    pub width: usize,
    /// One run per seed.
    pub runs: Vec<Run>,
    /// Summary over the runs.
    pub summary: Summary,
    /// The paper's numbers for this size, when published.
    pub paper: Option<PaperRow>,
}

/// Mean ± std of a row's runs.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// AbsErr.
    pub abs_err: Stat,
    /// RelErr.
    pub rel_err: Stat,
    /// ‖ε‖₂.
    pub noise_norm: Stat,
    /// Seconds.
    pub seconds: Stat,
    /// Test MSE.
    pub test_mse: Stat,
    /// Test RMSE.
    pub test_rmse: Stat,
    /// Lower bound (over the runs that have one).
    pub lower_bound: Stat,
    /// Loss.
    pub loss: Stat,
    /// Runs certified.
    pub certified: usize,
    /// Runs.
    pub runs: usize,
}

impl Row {
    /// Summarize the runs of one size.
    pub fn new(samples: usize, width: usize, runs: Vec<Run>, paper: Option<PaperRow>) -> Row {
        let s = |f: fn(&Run) -> f64| Stat::of(runs.iter().map(f));
        let summary = Summary {
            abs_err: s(|r| r.abs_err),
            rel_err: Stat::of(runs.iter().filter_map(|r| r.rel_err)),
            noise_norm: s(|r| r.noise_norm),
            seconds: s(|r| r.seconds),
            test_mse: s(|r| r.test_mse),
            test_rmse: s(|r| r.test_rmse),
            lower_bound: Stat::of(runs.iter().filter_map(|r| r.lower_bound)),
            loss: s(|r| r.loss),
            certified: runs
                .iter()
                .filter(|r| r.status == FitStatus::Certified)
                .count(),
            runs: runs.len(),
        };
        Row {
            samples,
            width,
            runs,
            summary,
            paper,
        }
    }

    /// The status column: a run's label, or "3/5 certified (flat@3 ×2, gap@2); gaps 5.1%–12%" over seeds.
    pub fn status_label(&self) -> String {
        if let [r] = self.runs.as_slice() {
            return r.status_label();
        }
        let mut labels: Vec<(String, usize)> = vec![];
        for r in self
            .runs
            .iter()
            .filter(|r| r.status == FitStatus::Certified)
        {
            let l = r.status_label();
            match labels.iter_mut().find(|(x, _)| *x == l) {
                Some((_, n)) => *n += 1,
                None => labels.push((l, 1)),
            }
        }
        let mut s = format!("{}/{} certified", self.summary.certified, self.summary.runs);
        if !labels.is_empty() {
            let parts: Vec<String> = labels
                .iter()
                .map(|(l, n)| {
                    if *n > 1 {
                        format!("{l}×{n}")
                    } else {
                        l.clone()
                    }
                })
                .collect();
            let _ = write!(s, " ({})", parts.join(", "));
        }
        let gaps: Vec<f64> = self
            .runs
            .iter()
            .filter(|r| r.status == FitStatus::Uncertified)
            .filter_map(|r| r.relative_gap)
            .collect();
        if !gaps.is_empty() {
            let lo = gaps.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = gaps.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if gaps.len() == 1 {
                let _ = write!(s, "; gap {}", percent(lo));
            } else {
                let _ = write!(s, "; gaps {}–{}", percent(lo), percent(hi));
            }
        }
        let failed = self
            .runs
            .iter()
            .filter(|r| r.status == FitStatus::Failed)
            .count();
        if failed > 0 {
            let _ = write!(s, "; {failed} failed");
        }
        s
    }

    /// The order column: "3", or "2–3" over seeds.
    pub fn order_label(&self) -> String {
        let lo = self.runs.iter().map(|r| r.order).min().unwrap_or(0);
        let hi = self.runs.iter().map(|r| r.order).max().unwrap_or(0);
        if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}–{hi}")
        }
    }
}

/// What [`run_table`] reports while it runs.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// Instance `index` (0-based) of `total` starts.
    Started {
        /// 0-based index.
        index: usize,
        /// Number of instances.
        total: usize,
        /// The instance.
        spec: &'a SyntheticSpec,
    },
    /// Instance `index` finished.
    Finished {
        /// 0-based index.
        index: usize,
        /// Number of instances.
        total: usize,
        /// Its result.
        run: &'a Run,
    },
}

/// Run every instance of a table (sizes in order, seeds within a size); `progress` sees each start and end.
pub fn run_table(table: &Table, progress: &mut dyn FnMut(Progress<'_>)) -> Result<Vec<Row>> {
    if table.degrees.is_empty() {
        return Err(Error::InvalidInput(
            "a table needs activation degrees".into(),
        ));
    }
    if table.sizes.is_empty() || table.seeds == 0 {
        return Err(Error::InvalidInput(
            "a table needs at least one size and one seed".into(),
        ));
    }
    let total = table.instances();
    let mut index = 0;
    let mut rows = Vec::with_capacity(table.sizes.len());
    for &(n, m) in &table.sizes {
        let mut runs = Vec::with_capacity(table.seeds);
        for rep in 0..table.seeds {
            let spec = table.spec((n, m), rep);
            progress(Progress::Started {
                index,
                total,
                spec: &spec,
            });
            let run = run_instance(table, &spec)?;
            progress(Progress::Finished {
                index,
                total,
                run: &run,
            });
            runs.push(run);
            index += 1;
        }
        rows.push(Row::new(n, m, runs, table.paper_row(n, m)));
    }
    Ok(rows)
}

/// "1.23e-3", or "1.23e-3 ± 4.5e-4" over several runs.
fn stat_sci(s: Stat, runs: usize) -> String {
    if !s.mean.is_finite() {
        "-".into()
    } else if runs > 1 {
        format!("{:.2e} ± {:.1e}", s.mean, s.std)
    } else {
        format!("{:.2e}", s.mean)
    }
}

fn stat_fixed(s: Stat, runs: usize, digits: usize) -> String {
    if runs > 1 {
        format!("{:.*} ± {:.*}", digits, s.mean, digits, s.std)
    } else {
        format!("{:.*}", digits, s.mean)
    }
}

/// Lay out rows of cells as aligned columns (first `left` columns right-aligned too: numbers).
fn layout(header: &[String], rows: &[Vec<String>], left_aligned: &[bool]) -> String {
    let ncol = header.len();
    let width = |j: usize| {
        rows.iter()
            .map(|r| r[j].chars().count())
            .chain(std::iter::once(header[j].chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..ncol).map(width).collect();
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for j in 0..ncol {
            let pad = widths[j] - r[j].chars().count();
            if j > 0 {
                line.push_str("  ");
            }
            if left_aligned[j] {
                line.push_str(&r[j]);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(&r[j]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The table for people: the paper's columns (and the paper's numbers where published), then the order,
/// the status, the lower bound and the loss.
pub fn format_table(table: &Table, rows: &[Row]) -> String {
    let paper = rows.iter().any(|r| r.paper.is_some());
    let mut header: Vec<String> = ["N", "m", "AbsErr", "RelErr", "‖ε‖₂", "Time [s]"]
        .map(String::from)
        .to_vec();
    if table.test_columns {
        header.extend(["test MSE", "test RMSE"].map(String::from));
    }
    header.extend(
        ["order", "status", "lower bound", "loss"]
            .map(String::from)
            .to_vec(),
    );
    if paper {
        if table.test_columns {
            header.extend(["paper MSE", "paper RMSE"].map(String::from));
        } else {
            header.extend(["paper AbsErr", "paper Time"].map(String::from));
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let k = r.runs.len();
            let s = &r.summary;
            let mut c = vec![
                r.samples.to_string(),
                r.width.to_string(),
                stat_sci(s.abs_err, k),
                stat_sci(s.rel_err, k),
                stat_sci(s.noise_norm, k),
                stat_fixed(s.seconds, k, 2),
            ];
            if table.test_columns {
                c.push(stat_sci(s.test_mse, k));
                c.push(stat_sci(s.test_rmse, k));
            }
            c.push(r.order_label());
            c.push(r.status_label());
            c.push(stat_sci(s.lower_bound, k));
            c.push(stat_sci(s.loss, k));
            if paper {
                let opt = |v: Option<f64>, digits: usize| {
                    v.map(|v| format!("{v:.digits$}"))
                        .unwrap_or_else(|| "-".into())
                };
                match (&r.paper, table.test_columns) {
                    (Some(p), true) => {
                        c.push(opt(p.test_mse, 4));
                        c.push(opt(p.test_rmse, 3));
                    }
                    (Some(p), false) => {
                        c.push(opt(p.abs_err, 4));
                        c.push(opt(p.seconds, 2));
                    }
                    (None, _) => {
                        c.push("-".into());
                        c.push("-".into());
                    }
                }
            }
            c
        })
        .collect();
    let left: Vec<bool> = header.iter().map(|h| h == "status").collect();
    let total: f64 = rows.iter().flat_map(|r| &r.runs).map(|r| r.seconds).sum();
    let mut out = format!("{}\n\n", table.title());
    out.push_str(&layout(&header, &cells, &left));
    let _ = write!(
        out,
        "\nAbsErr = ‖c_true − c_pred‖₂.  RelErr = AbsErr/‖ε‖₂, ε = Y − f(X; c_true) the N×m noise matrix drawn, \
         ‖·‖₂ its spectral norm.\nTime = wall seconds of the fit (all orders).  order = order of the answer.\n\
         status: flat@k = certified by flat truncation at order k; gap≤1e-6@k = certified by the gap \
         ((loss − lower bound)/max(loss, |lower bound|, 0.01·s) ≤ 1e-6, s the objective's scale); gap x%@k = not \
         certified, that relative gap after order k (bound@k, candidate@j: the candidate came from order j).\nlower bound = relaxation value; loss = the {} loss \
         {} at the returned coefficients.",
        table.loss,
        table.loss.description()
    );
    if table.test_columns {
        let _ = write!(
            out,
            "\nTest MSE/RMSE on an independent test set of N samples: {}.",
            crate::experiments::evaluate::MSE_DEFINITION
        );
    }
    if rows.iter().any(|r| r.runs.len() > 1) {
        out.push_str("\nValues are mean ± sample standard deviation over the seeds.");
    }
    if paper {
        out.push_str(
            "\nPaper: MATLAB + GloptiPoly 3 + SeDuMi on an Apple M1 Max, one draw per row; its ‖ε‖₂ (0.042–0.065) \
             is of the order of one sample's noise vector, σ√m, not of the N×m matrix.",
        );
    }
    let _ = writeln!(out, "\nTotal fit time {total:.1} s.");
    out
}

const CSV_HEADER: &str = "table,degrees,noise,max_order,samples,width,seed,abs_err,rel_err,noise_norm,\
                          noise_frobenius,noise_sample_rms,seconds,order,last_order,status,flat,\
                          certified_order,lower_bound,loss,gap,relative_gap,ball_active,loss_at_truth,\
                          train_mse,test_mse,test_rmse,paper_abs_err,paper_seconds,paper_test_mse,\
                          paper_test_rmse";

/// One CSV line per run (header first); `degrees` is "2-2"; empty cells for missing values.
pub fn to_csv(table: &Table, rows: &[Row]) -> String {
    let opt = |v: Option<f64>| v.map(|v| format!("{v:e}")).unwrap_or_default();
    let degrees: Vec<String> = table.degrees.iter().map(|d| d.to_string()).collect();
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for row in rows {
        for r in &row.runs {
            let p = row.paper;
            let _ = writeln!(
                out,
                "{},{},{:e},{},{},{},{},{:e},{},{:e},{:e},{:e},{:.4},{},{},{},{},{},{},{:e},{},{},{},{:e},{:e},{:e},{:e},{},{},{},{}",
                table.number,
                degrees.join("-"),
                table.noise,
                table.max_order,
                r.samples,
                r.width,
                r.seed,
                r.abs_err,
                opt(r.rel_err),
                r.noise_norm,
                r.noise_frobenius,
                r.noise_sample_rms,
                r.seconds,
                r.order,
                r.last_order,
                serde_json::to_value(r.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                r.flat,
                r.certified_order.map(|k| k.to_string()).unwrap_or_default(),
                opt(r.lower_bound),
                r.loss,
                opt(r.gap),
                opt(r.relative_gap),
                r.ball_active,
                r.loss_at_truth,
                r.train_mse,
                r.test_mse,
                r.test_rmse,
                opt(p.and_then(|p| p.abs_err)),
                opt(p.and_then(|p| p.seconds)),
                opt(p.and_then(|p| p.test_mse)),
                opt(p.and_then(|p| p.test_rmse)),
            );
        }
    }
    out
}

/// The table's configuration and its rows (runs, summaries, paper numbers) as pretty JSON.
pub fn to_json(table: &Table, rows: &[Row]) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        table: &'a Table,
        rows: &'a [Row],
        total_seconds: f64,
    }
    let total_seconds = rows.iter().flat_map(|r| &r.runs).map(|r| r.seconds).sum();
    serde_json::to_string_pretty(&Out {
        table,
        rows,
        total_seconds,
    })
    .expect("tables serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_tables() {
        for t in 1..=5 {
            let table = Table::paper(t).unwrap();
            assert_eq!(table.sizes.len(), 5);
            assert_eq!(paper_rows(t).len(), 5);
            assert_eq!(table.test_columns, t == 5);
            let spec = table.spec((50, 20), 2);
            assert_eq!(spec.widths.len(), table.degrees.len() + 2);
            assert!(spec.widths.iter().all(|&w| w == 20));
            assert_eq!((spec.samples, spec.test_samples, spec.seed), (50, 50, 3));
        }
        assert!(Table::paper(6).is_err());
        assert!(Table::paper(0).is_err());
    }

    #[test]
    fn stats() {
        let s = Stat::of([1.0, 2.0, 3.0]);
        assert_eq!(s.mean, 2.0);
        assert!((s.std - 1.0).abs() < 1e-15);
        assert_eq!(Stat::of([4.0]).std, 0.0);
        assert!(Stat::of([]).mean.is_nan());
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    fn run(status: FitStatus, order: usize, last_order: usize, relative_gap: Option<f64>) -> Run {
        Run {
            samples: 10,
            width: 2,
            seed: 1,
            abs_err: 0.0,
            rel_err: None,
            noise_norm: 0.0,
            noise_frobenius: 0.0,
            noise_sample_rms: 0.0,
            seconds: 0.0,
            order,
            last_order,
            status,
            flat: false,
            certified_order: None,
            lower_bound: Some(1.0),
            loss: 1.004,
            gap: Some(0.004),
            relative_gap,
            ball_active: false,
            loss_at_truth: 0.0,
            train_mse: 0.0,
            test_mse: 0.0,
            test_rmse: 0.0,
            coefficients: vec![],
            true_coefficients: vec![],
        }
    }

    #[test]
    fn an_uncertified_label_names_the_orders_of_the_bound_and_the_candidate() {
        let r = run(FitStatus::Uncertified, 2, 3, Some(0.004));
        assert_eq!(r.status_label(), "gap 0.4% (bound@3, candidate@2)");
        let r = run(FitStatus::Uncertified, 3, 3, Some(0.004));
        assert_eq!(r.status_label(), "gap 0.4%@3");
    }
}
