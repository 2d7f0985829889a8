//! `polyact._polyact`: the Python extension module, a thin layer over the Rust library.
//!
//! Arrays arrive as float64 numpy arrays (the Python wrapper in `polyact/__init__.py` converts other dtypes
//! and layouts); every check of shapes and values is the library's own, so Python gets the CLI's messages as
//! `ValueError`. Reports cross the boundary as the library's JSON, which the wrapper turns into a result
//! object: one description of every field, the Rust report type.
//!
//! Every solve runs without the GIL in a thread of its own while the calling thread waits in 100 ms steps and
//! checks for signals: Ctrl-C sets the library's interrupt flag ([`HierarchySettings::interrupt`]), which
//! the solver reads at every iteration, and the call raises `KeyboardInterrupt` once the solve has stopped, or
//! after half a second if it has not (the solve then stops at the end of its iteration, in the background).

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use numpy::PyReadonlyArray2;
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use polyact::fit::{CERTIFICATE_TOLERANCE, DEFAULT_RADIUS, FitSettings};
use polyact::model::stats::SufficientStatistics;
use polyact::model::{Dataset, Loss, Network, Problem};
use polyact::relax::hierarchy::{DEFAULT_TIME_LIMIT, HierarchySettings};
use polyact::relax::moment::Structure;
use polyact::relax::sparsity::Sparsity;

/// The library's error as a Python exception: file errors as `OSError`, everything else as `ValueError`.
fn to_py(e: polyact::Error) -> PyErr {
    match e {
        polyact::Error::Io { .. } => PyOSError::new_err(e.to_string()),
        polyact::Error::Interrupted => PyKeyboardInterrupt::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// How long a call waits, after Ctrl-C, for its solve to stop before it returns `KeyboardInterrupt` anyway.
const INTERRUPT_GRACE: Duration = Duration::from_millis(500);

/// Run `solve` without the GIL in a thread of its own; the calling thread waits in 100 ms steps and checks for
/// signals (Ctrl-C). On a signal's exception it sets `interrupt` (which the solve reads at every
/// interior-point iteration), waits at most [`INTERRUPT_GRACE`] for the solve to stop, and returns that
/// exception. A solve still inside an iteration then stops on its own at the iteration's end and its result
/// is dropped: the closure owns everything it uses, so nothing it touches belongs to the caller.
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    interrupt: &AtomicBool,
    solve: impl FnOnce() -> polyact::Result<T> + Send + 'static,
) -> PyResult<T> {
    py.detach(|| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(solve());
        });
        let mut signal: Option<(PyErr, Instant)> = None;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(out) => {
                    return match signal {
                        Some((e, _)) => Err(e),
                        None => out.map_err(to_py),
                    };
                }
                Err(mpsc::RecvTimeoutError::Timeout) => match &signal {
                    None => {
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            interrupt.store(true, Ordering::Relaxed);
                            signal = Some((e, Instant::now()));
                        }
                    }
                    Some((_, at)) if at.elapsed() >= INTERRUPT_GRACE => {
                        return Err(signal.take().expect("a signal").0);
                    }
                    Some(_) => {}
                },
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(signal.map(|(e, _)| e).unwrap_or_else(|| {
                        PyRuntimeError::new_err(
                            "polyact: the solve ended without an answer (a bug)",
                        )
                    }));
                }
            }
        }
    })
}

/// A report's JSON and the JSON of its certificate, if any.
type WithCertificate = (String, Option<String>);

/// Rows of a 2-D array.
fn rows(a: &PyReadonlyArray2<'_, f64>) -> Vec<Vec<f64>> {
    let v = a.as_array();
    v.outer_iter().map(|r| r.to_vec()).collect()
}

/// The samples (X, Y) as a dataset (shapes are checked by the library).
fn dataset(inputs: &PyReadonlyArray2<'_, f64>, outputs: &PyReadonlyArray2<'_, f64>) -> Dataset {
    Dataset {
        inputs: rows(inputs),
        outputs: rows(outputs),
    }
}

/// The relaxation's structure and SDP path: the keyword arguments `solver`, `sparsity`, `ts_steps`,
/// `theta_free` (and, for `polyact.pop`, `correlative`) of `polyact.fit` and `polyact.pop`, passed as a dict
/// (the CLI's `--solver`, `--sparsity`, `--ts-steps`, `--theta-free`, `--correlative`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct Relaxation {
    solver: String,
    sparsity: String,
    ts_steps: usize,
    theta_free: bool,
    correlative: bool,
}

impl Relaxation {
    /// Set the hierarchy's solver and structure; an unknown name raises ValueError listing the known ones.
    fn apply(&self, hierarchy: &mut HierarchySettings) -> PyResult<()> {
        hierarchy.solver = self.solver.parse().map_err(to_py)?;
        hierarchy.structure = Structure {
            theta_free: self.theta_free,
            sparsity: self.sparsity.parse::<Sparsity>().map_err(to_py)?,
            ts_steps: self.ts_steps,
            correlative: self.correlative,
        };
        Ok(())
    }
}

/// Build the settings of a fit from the keyword arguments of `polyact.fit`.
fn settings(
    loss: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    time_limit: Option<f64>,
    relaxation: Option<&Relaxation>,
    interrupt: &Arc<AtomicBool>,
) -> PyResult<FitSettings> {
    let loss: Loss = loss.parse().map_err(to_py)?;
    if let Some(t) = time_limit
        && (t.is_nan() || t < 0.0)
    {
        return Err(PyValueError::new_err(format!(
            "time_limit must be a nonnegative number of seconds (or None), got {t}"
        )));
    }
    if let Some(r) = radius
        && !(r.is_finite() && r > 0.0)
    {
        return Err(PyValueError::new_err(format!(
            "radius must be a positive number, got {r}"
        )));
    }
    if let (Some(lo), Some(hi)) = (order, max_order)
        && hi < lo
    {
        return Err(PyValueError::new_err(format!(
            "max_order ({hi}) is below order ({lo})"
        )));
    }
    let mut hierarchy = HierarchySettings {
        min_order: order,
        max_order,
        time_limit,
        interrupt: Some(interrupt.clone()),
        ..HierarchySettings::default()
    };
    if let Some(r) = relaxation {
        r.apply(&mut hierarchy)?;
    }
    Ok(FitSettings {
        loss,
        radius,
        hierarchy,
        ..FitSettings::default()
    })
}

/// Fit the activation coefficients globally; returns the report as JSON (see `polyact.fit`).
#[pyfunction]
#[pyo3(signature = (weights, degrees, inputs, outputs, loss="mean-inf", order=None, max_order=None, radius=Some(DEFAULT_RADIUS), true_coefficients=None, time_limit=Some(DEFAULT_TIME_LIMIT), biases=None, relaxation=None))]
#[allow(clippy::too_many_arguments)]
fn fit_json(
    py: Python<'_>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    inputs: PyReadonlyArray2<'_, f64>,
    outputs: PyReadonlyArray2<'_, f64>,
    loss: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    true_coefficients: Option<Vec<Vec<f64>>>,
    time_limit: Option<f64>,
    biases: Option<Vec<Vec<f64>>>,
    relaxation: Option<Relaxation>,
) -> PyResult<WithCertificate> {
    let flag = Arc::new(AtomicBool::new(false));
    let settings = settings(
        loss,
        order,
        max_order,
        radius,
        time_limit,
        relaxation.as_ref(),
        &flag,
    )?;
    let network = network(&weights, degrees, biases)?;
    let data = dataset(&inputs, &outputs);
    let problem = Problem::new(network, data, true_coefficients, None).map_err(to_py)?;
    let report = interruptible(py, &flag, move || {
        polyact::fit::fit(&problem, &settings, &mut |_| {})
    })?;
    Ok((report.to_json(), report.certificate.map(|c| c.to_json())))
}

/// Fit the problem in a problem file (the CLI's `polyact fit FILE`); returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (path, loss="mean-inf", order=None, max_order=None, radius=Some(DEFAULT_RADIUS), time_limit=Some(DEFAULT_TIME_LIMIT), relaxation=None))]
#[allow(clippy::too_many_arguments)]
fn fit_file_json(
    py: Python<'_>,
    path: &str,
    loss: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    time_limit: Option<f64>,
    relaxation: Option<Relaxation>,
) -> PyResult<WithCertificate> {
    let flag = Arc::new(AtomicBool::new(false));
    let settings = settings(
        loss,
        order,
        max_order,
        radius,
        time_limit,
        relaxation.as_ref(),
        &flag,
    )?;
    let problem = Problem::load(path).map_err(to_py)?;
    let report = interruptible(py, &flag, move || {
        polyact::fit::fit(&problem, &settings, &mut |_| {})
    })?;
    Ok((report.to_json(), report.certificate.map(|c| c.to_json())))
}

/// Solve a polynomial optimization problem given as POP JSON text; returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (text, order=None, max_order=None, relaxation=None))]
fn pop_json(
    py: Python<'_>,
    text: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    relaxation: Option<Relaxation>,
) -> PyResult<WithCertificate> {
    let file = polyact::pop::file::pop_from_json(text, "<pop>").map_err(to_py)?;
    let flag = Arc::new(AtomicBool::new(false));
    let mut settings = HierarchySettings {
        min_order: order,
        max_order,
        interrupt: Some(flag.clone()),
        ..HierarchySettings::default()
    };
    if let Some(r) = &relaxation {
        r.apply(&mut settings)?;
    }
    let (report, cert) = interruptible(py, &flag, move || {
        polyact::fit::solve_pop(&file.pop, &settings, &mut |_| {})
    })?;
    Ok((report.to_json(), cert.map(|c| c.to_json())))
}

/// The forward pass f(x; c) of a network for every row of `inputs` (coefficients per layer, c_{l,0} first).
#[pyfunction]
#[pyo3(signature = (weights, degrees, coefficients, inputs, biases=None))]
fn forward<'py>(
    py: Python<'py>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    coefficients: Vec<Vec<f64>>,
    inputs: PyReadonlyArray2<'_, f64>,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    let network = network(&weights, degrees, biases)?;
    polyact::experiments::evaluate::check_coefficients(&network, &coefficients).map_err(to_py)?;
    let x = rows(&inputs);
    if let Some((i, r)) = x
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != network.input_dim())
    {
        return Err(PyValueError::new_err(format!(
            "inputs row {} has {} entries, the network takes {}",
            i + 1,
            r.len(),
            network.input_dim()
        )));
    }
    let out: Vec<Vec<f64>> = x
        .iter()
        .map(|xi| network.forward(&coefficients, xi))
        .collect();
    numpy::PyArray2::from_vec2(py, &out).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The network of `weights`, `degrees` and optional `biases` (one vector per weight matrix).
fn network(
    weights: &[PyReadonlyArray2<'_, f64>],
    degrees: Vec<usize>,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<Network> {
    let network = Network::new(weights.iter().map(rows).collect(), degrees).map_err(to_py)?;
    match biases {
        None => Ok(network),
        Some(b) => network.with_biases(b).map_err(to_py),
    }
}

/// The sufficient statistics of one shard (X, Y) for a loss, as the JSON of `polyact reduce`.
#[pyfunction]
#[pyo3(signature = (weights, degrees, inputs, outputs, loss, biases=None))]
fn reduce_json(
    py: Python<'_>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    inputs: PyReadonlyArray2<'_, f64>,
    outputs: PyReadonlyArray2<'_, f64>,
    loss: &str,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<String> {
    let loss: Loss = loss.parse().map_err(to_py)?;
    let network = network(&weights, degrees, biases)?;
    let data = dataset(&inputs, &outputs);
    let stats = py
        .detach(|| SufficientStatistics::from_data(&network, &data, loss))
        .map_err(to_py)?;
    Ok(stats.to_json())
}

/// Merge statistics (JSON texts of the same network and loss): sums and counts add.
#[pyfunction]
fn merge_json(parts: Vec<String>) -> PyResult<String> {
    let mut it = parts.iter().enumerate();
    let Some((_, first)) = it.next() else {
        return Err(PyValueError::new_err(
            "merge needs at least one statistics part",
        ));
    };
    let mut merged = SufficientStatistics::from_json_str(first, "part 1").map_err(to_py)?;
    for (i, text) in it {
        let part =
            SufficientStatistics::from_json_str(text, &format!("part {}", i + 1)).map_err(to_py)?;
        merged.merge(&part).map_err(to_py)?;
    }
    Ok(merged.to_json())
}

/// Fit from statistics (JSON of `reduce_json`/`merge_json`) instead of data; returns the report as JSON.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (weights, degrees, statistics, order=None, max_order=None, radius=Some(DEFAULT_RADIUS), true_coefficients=None, time_limit=Some(DEFAULT_TIME_LIMIT), biases=None, relaxation=None))]
fn fit_statistics_json(
    py: Python<'_>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    statistics: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    true_coefficients: Option<Vec<Vec<f64>>>,
    time_limit: Option<f64>,
    biases: Option<Vec<Vec<f64>>>,
    relaxation: Option<Relaxation>,
) -> PyResult<WithCertificate> {
    let network = network(&weights, degrees, biases)?;
    let stats = SufficientStatistics::from_json_str(statistics, "statistics").map_err(to_py)?;
    let flag = Arc::new(AtomicBool::new(false));
    let settings = settings(
        stats.loss().name(),
        order,
        max_order,
        radius,
        time_limit,
        relaxation.as_ref(),
        &flag,
    )?;
    let report = interruptible(py, &flag, move || {
        polyact::fit::fit_statistics(
            &network,
            true_coefficients.as_deref(),
            &stats,
            &settings,
            &mut |_| {},
        )
    })?;
    Ok((report.to_json(), report.certificate.map(|c| c.to_json())))
}

/// A problem file read and validated by the library (data files resolved), as problem-file JSON.
#[pyfunction]
fn load_problem_json(path: &str) -> PyResult<String> {
    Ok(Problem::load(path).map_err(to_py)?.to_json_string())
}

/// Problem-file JSON text validated by the library and written back in its layout.
#[pyfunction]
fn check_problem_json(text: &str) -> PyResult<String> {
    Ok(Problem::from_json_str(text, "problem")
        .map_err(to_py)?
        .to_json_string())
}

/// A synthetic problem (the CLI's `polyact generate`) as problem-file JSON.
#[pyfunction]
#[pyo3(signature = (degrees, widths, samples, noise, seed, test_samples, biases=false))]
fn generate_json(
    degrees: Vec<usize>,
    widths: Vec<usize>,
    samples: usize,
    noise: f64,
    seed: u64,
    test_samples: usize,
    biases: bool,
) -> PyResult<String> {
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(PyValueError::new_err(format!(
            "noise must be a nonnegative number, got {noise}"
        )));
    }
    let spec = polyact::model::synthetic::SyntheticSpec {
        degrees,
        widths,
        samples,
        test_samples,
        noise,
        seed,
        biases,
    };
    Ok(polyact::model::synthetic::generate(&spec)
        .map_err(to_py)?
        .to_json_string())
}

/// Solve an SDPA sparse text (the CLI's `polyact sdp`); returns the report's JSON and x.
#[pyfunction]
#[pyo3(signature = (text, name, tolerance, max_iterations, general, gaussian_start))]
fn sdp_json(
    py: Python<'_>,
    text: &str,
    name: &str,
    tolerance: f64,
    max_iterations: usize,
    general: bool,
    gaussian_start: bool,
) -> PyResult<(String, Vec<f64>)> {
    if !(tolerance.is_finite() && tolerance > 0.0 && tolerance < 1.0) {
        return Err(PyValueError::new_err(format!(
            "tolerance must be a number in (0, 1), got {tolerance}"
        )));
    }
    if max_iterations == 0 {
        return Err(PyValueError::new_err("max_iterations must be at least 1"));
    }
    let settings = polyact::sdp::SdpSettings {
        tolerance,
        max_iterations,
        ..polyact::sdp::SdpSettings::default()
    };
    let flag = Arc::new(AtomicBool::new(false));
    let stop = flag.clone();
    let (text, name) = (text.to_owned(), name.to_owned());
    let (report, solution) = interruptible(py, &flag, move || {
        polyact::fit::solve_sdpa(
            &text,
            &name,
            &settings,
            general,
            gaussian_start,
            &mut |_| {
                if stop.load(Ordering::Relaxed) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
    })?;
    Ok((report.to_json(), solution.x))
}

/// Check a certificate against its problem (the CLI's `polyact verify`); returns the verification's JSON.
#[pyfunction]
#[pyo3(signature = (problem, problem_source, certificate, certificate_source, tolerance=CERTIFICATE_TOLERANCE))]
fn verify_json(
    problem: &str,
    problem_source: &str,
    certificate: &str,
    certificate_source: &str,
    tolerance: f64,
) -> PyResult<String> {
    if !(tolerance.is_finite() && tolerance > 0.0) {
        return Err(PyValueError::new_err(format!(
            "tolerance must be a positive number, got {tolerance}"
        )));
    }
    let v = polyact::relax::certificate::verify_texts(
        problem,
        problem_source,
        certificate,
        certificate_source,
        tolerance,
    )
    .map_err(to_py)?;
    let mut value = serde_json::to_value(&v).map_err(|e| PyValueError::new_err(e.to_string()))?;
    value["accepted"] = serde_json::Value::Bool(v.accepted());
    Ok(value.to_string())
}

/// The extension module.
#[pymodule]
fn _polyact(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit_json, m)?)?;
    m.add_function(wrap_pyfunction!(fit_file_json, m)?)?;
    m.add_function(wrap_pyfunction!(pop_json, m)?)?;
    m.add_function(wrap_pyfunction!(forward, m)?)?;
    m.add_function(wrap_pyfunction!(reduce_json, m)?)?;
    m.add_function(wrap_pyfunction!(merge_json, m)?)?;
    m.add_function(wrap_pyfunction!(fit_statistics_json, m)?)?;
    m.add_function(wrap_pyfunction!(load_problem_json, m)?)?;
    m.add_function(wrap_pyfunction!(check_problem_json, m)?)?;
    m.add_function(wrap_pyfunction!(generate_json, m)?)?;
    m.add_function(wrap_pyfunction!(sdp_json, m)?)?;
    m.add_function(wrap_pyfunction!(verify_json, m)?)?;
    m.add("DEFAULT_RADIUS", DEFAULT_RADIUS)?;
    m.add("CERTIFICATE_TOLERANCE", CERTIFICATE_TOLERANCE)?;
    m.add(
        "SDP_TOLERANCE",
        polyact::sdp::SdpSettings::default().tolerance,
    )?;
    m.add(
        "SDP_MAX_ITERATIONS",
        polyact::sdp::SdpSettings::default().max_iterations,
    )?;
    m.add("DEFAULT_TIME_LIMIT", DEFAULT_TIME_LIMIT)?;
    Ok(())
}
